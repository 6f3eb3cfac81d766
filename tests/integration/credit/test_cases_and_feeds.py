"""A fraud case from findings to referral, read by the police across a reconnect with no event
lost or repeated; another agency sees nothing of it; identity numbers stay sealed and masked."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from services.credit.store.tables import case_subjects
from tests.integration.credit.helpers import finding_event
from tests.servers import serve

pytestmark = pytest.mark.integration
INST = "H32010000051"
ID_NUMBER = "320102198507074321"


def _read_all(credit, agency: str, cursor: str, page: int = 1) -> tuple[list[pb.FeedEvent], str]:
    events: list[pb.FeedEvent] = []
    while True:
        resp = credit.ReadFeed(pb.ReadFeedRequest(agency=agency, cursor=cursor, page_size=page, reader=f"{agency}-1"))
        events += resp.events
        cursor = resp.next_cursor
        if not resp.events:
            return events, cursor


def test_fraud_case_referral_and_feed_across_a_reconnect(migrated_url: str, data_dir: Path, engine) -> None:
    fraud = dict(institution=INST, rule_id="R-FICTITIOUS-SERVICE", doctor="D320100000051")
    with serve("credit", migrated_url, data_dir) as (channel, _):
        credit = credit_pb2_grpc.CreditServiceStub(channel)
        credit.DeliverEvents(pb.DeliverEventsRequest(events=[
            finding_event("F-C1", amount="4000.00", patient_id="P001", **fraud),
            finding_event("F-C2", amount="3000.00", patient_id="P002", occurred_at="2026-03-11T02:00:00+00:00",
                          **fraud),
            finding_event("F-C0", institution=INST, amount="900.00")]))   # not fraud-type: no case
        [case] = credit.ListCases(pb.ListCasesRequest(institution_code=INST, reader="auditor-li")).cases
        assert sorted(case.finding_ids) == ["F-C1", "F-C2"]
        assert (case.amount.amount, case.threshold_band) == ("7000.00", "large")
        assert (case.fine_basis, case.fine_multiple, case.fine.amount) == ("art40", "4", "28000.00")
        assert {(s.kind, s.code) for s in case.subjects} == {("institution", INST), ("staff", "D320100000051"),
                                                            ("insured", "P001"), ("insured", "P002")}
        # The auditor adds what the findings do not carry: an insured person's identity number.
        credit.OpenCase(pb.OpenCaseRequest(request_id="open-x", opened_by="auditor-li", summary="card lending",
                                           subjects=[pb.CaseSubject(kind="insured", code="P009", name="Zhang San",
                                                                    id_number=ID_NUMBER)], institution_code=INST))
        [auditor_case] = [c for c in credit.ListCases(pb.ListCasesRequest(institution_code=INST,
                                                                          reader="auditor-li")).cases
                          if c.summary == "card lending"]

        for c in (case, auditor_case):
            referred = credit.ReferCase(pb.ReferCaseRequest(request_id=f"ref-{c.case_id}", case_id=c.case_id,
                                                            agency="police", referred_by="chief-zhao"))
            assert referred.state == "referred" and list(referred.referred_to) == ["police"]
        credit.ReferCase(pb.ReferCaseRequest(case_id=auditor_case.case_id, agency="market", referred_by="chief-zhao"))

        first, cursor = _read_all(credit, "police", "")
        assert [(e.kind, e.case.case_id) for e in first] == [("case.referred", case.case_id),
                                                             ("case.referred", auditor_case.case_id)]
        # Another fraud finding updates the referred case while the police are away.
        credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
            "F-C3", amount="50000.00", occurred_at="2026-03-15T02:00:00+00:00", **fraud)]))

    # Reconnect: a new server process, the same cursor.
    with serve("credit", migrated_url, data_dir) as (channel, _):
        credit = credit_pb2_grpc.CreditServiceStub(channel)
        credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
            "F-C1", kind="finding.overturned", institution=INST, doctor="D320100000051")]))
        rest, cursor = _read_all(credit, "police", cursor, page=10)
        assert [e.kind for e in rest] == ["case.updated", "case.updated"]
        assert rest[0].case.threshold_band == "huge" and rest[0].case.amount.amount == "57000.00"
        assert rest[1].case.amount.amount == "53000.00" and "F-C1" not in rest[1].case.finding_ids
        everything, _ = _read_all(credit, "police", "", page=100)
        ids = [e.event_id for e in first + rest]
        assert ids == [e.event_id for e in everything] and len(set(ids)) == len(ids)
        assert _read_all(credit, "police", cursor)[0] == []

        # Another agency sees nothing of the fraud case.
        assert _read_all(credit, "health", "")[0] == []
        with pytest.raises(grpc.RpcError) as err:
            credit.GetCase(pb.GetCaseRequest(case_id=case.case_id, agency="health", reader="health-1"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        market, _ = _read_all(credit, "market", "")
        assert {e.case.case_id for e in market} == {auditor_case.case_id}

        # Identity numbers: police's scope opens them, market's does not, whatever it asks for.
        def insured_id(agency: str) -> str:
            c = credit.GetCase(pb.GetCaseRequest(case_id=auditor_case.case_id, agency=agency, unmask_identity=True,
                                                 reader=f"{agency}-1"))
            return next(s.id_number for s in c.subjects if s.code == "P009")
        assert insured_id("police") == ID_NUMBER
        assert insured_id("market") == "320***********4321"
        with engine.connect() as conn:
            sealed = conn.execute(sa.select(case_subjects.c.id_sealed).where(case_subjects.c.code == "P009")).scalar_one()
        assert ID_NUMBER not in sealed and sealed.startswith("v1:")

        log = credit.ListAccessLog(pb.ListAccessLogRequest(page_size=1000)).entries
        assert any(e.reader == "health-1" and e.action == "get_case.denied" for e in log)
        assert any(e.reader == "police-1" and e.action == "get_case" and e.unmasked for e in log)
        assert any(e.reader == "market-1" and e.action == "get_case" and not e.unmasked for e in log)
        assert sum(e.action == "read_feed" and e.agency == "police" for e in log) >= 4

        # Closing tells the agencies; a later fraud finding opens a new case.
        closed = credit.CloseCase(pb.CloseCaseRequest(case_id=case.case_id, closed_by="chief-zhao",
                                                      reason="prosecuted"))
        assert closed.state == "closed" and closed.timeline[-1].kind == "closed"
        last, _ = _read_all(credit, "police", cursor)
        assert [(e.kind, e.case.state) for e in last] == [("case.updated", "closed")]
        credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event("F-C9", amount="10.00", **fraud)]))
        open_cases = credit.ListCases(pb.ListCasesRequest(institution_code=INST, state="open", reader="a")).cases
        assert [list(c.finding_ids) for c in open_cases if c.summary != "card lending"] == [["F-C9"]]


def test_feed_cursor_of_another_agency_is_refused(migrated_url: str, data_dir: Path) -> None:
    with serve("credit", migrated_url, data_dir) as (channel, _):
        credit = credit_pb2_grpc.CreditServiceStub(channel)
        cursor = credit.ReadFeed(pb.ReadFeedRequest(agency="police", reader="p")).next_cursor
        with pytest.raises(grpc.RpcError) as err:
            credit.ReadFeed(pb.ReadFeedRequest(agency="health", cursor=cursor, reader="h"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as err:
            credit.ReadFeed(pb.ReadFeedRequest(agency="nobody", reader="h"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
