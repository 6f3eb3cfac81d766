"""A doctor's points: the decisions credit makes and the calls it records for physician_codes.

physician_codes is not reachable here (an unused port), so every call stays pending with
its error recorded; the cross-service walk is in test_doctor_walk.py.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from services.credit.store.tables import sanction_calls
from tests.integration.credit.helpers import finding_event
from tests.servers import serve

pytestmark = pytest.mark.integration
DOCTOR = "D320100000001"


@pytest.fixture()
def credit(migrated_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with serve("credit", migrated_url, data_dir) as (channel, _):
        yield credit_pb2_grpc.CreditServiceStub(channel)


def _staff_decisions(stub, doctor: str) -> list[pb.Decision]:
    return list(stub.ListDecisions(pb.ListDecisionsRequest(subject=doctor)).decisions)


def test_nine_points_suspend_and_an_overturn_lifts(credit, engine) -> None:
    doctor = DOCTOR
    first = finding_event("F-S1", doctor=doctor, tier="A", result_type="definite")     # band 4-6, main -> 6
    second = finding_event("F-S2", doctor=doctor, tier="B", result_type="definite",    # band 1-3, main -> 3
                           occurred_at="2026-03-12T02:00:00+00:00")
    assert credit.DeliverEvents(pb.DeliverEventsRequest(events=[first])).accepted == 1
    assert not [d for d in _staff_decisions(credit, doctor) if d.kind == "staff_suspension"]
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[second]))
    ledger = credit.GetLedger(pb.GetLedgerRequest(subject=doctor, year="2026"))
    assert ledger.total_points == 9
    assert [e.points for e in ledger.entries] == [6, 3]
    assert all(e.finding_id and e.cause and e.person == "auditor-li" for e in ledger.entries)

    [suspension] = [d for d in _staff_decisions(credit, doctor) if d.kind == "staff_suspension"]
    assert suspension.active and suspension.start_date == "2026-03-12" and suspension.end_date == "2026-04-11"
    assert suspension.dispatch_state == "pending" and suspension.dispatch_error.startswith("UNAVAILABLE")
    standing = credit.GetStanding(pb.GetStandingRequest(subject=doctor, year=2026))
    assert standing.points == 9 and [d.kind for d in standing.active_decisions] == ["staff_suspension"]

    # Redelivery changes nothing.
    again = credit.DeliverEvents(pb.DeliverEventsRequest(events=[second]))
    assert (again.accepted, again.duplicates) == (0, 1)
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor, year="2026")).total_points == 9

    # The appeal overturns the second finding: its points are taken back by a new entry.
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
        "F-S2", kind="finding.overturned", doctor=doctor, decided_by="reviewer-wang", reason="appeal upheld")]))
    ledger = credit.GetLedger(pb.GetLedgerRequest(subject=doctor, year="2026"))
    assert ledger.total_points == 6
    assert [e.points for e in ledger.entries] == [6, 3, -3]
    assert ledger.entries[2].reverses_entry_id == ledger.entries[1].entry_id
    assert ledger.entries[2].person == "reviewer-wang"

    decisions = _staff_decisions(credit, doctor)
    [suspension] = [d for d in decisions if d.kind == "staff_suspension"]
    [withdrawal] = [d for d in decisions if d.kind == "withdrawal"]
    assert not suspension.active and withdrawal.withdraws == suspension.decision_id
    # The calls credit issues, in order, with deterministic ids.
    with engine.connect() as conn:
        calls = conn.execute(sa.select(sanction_calls.c.method, sanction_calls.c.request)
                             .where(sanction_calls.c.staff_code == doctor).order_by(sanction_calls.c.seq)).all()
    assert [c.method for c in calls] == ["suspend", "lift"]
    assert calls[0].request["decision_id"] == suspension.decision_id
    assert calls[1].request == {**calls[1].request, "decision_id": suspension.decision_id,
                                "lift_decision_id": withdrawal.decision_id}
    assert credit.GetStanding(pb.GetStandingRequest(subject=doctor, year=2026)).active_decisions == []


def test_twelve_points_from_one_fraud_incident_terminate_with_a_three_year_ban(credit) -> None:
    doctor = "D320100000002"
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
        "F-T1", doctor=doctor, rule_id="R-FICTITIOUS-SERVICE", institution="H32010000009")]))
    [d] = [d for d in _staff_decisions(credit, doctor) if d.kind != "withdrawal"]
    assert d.kind == "staff_termination" and d.start_date == "2026-03-10" and d.end_date == "2029-03-10"
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor)).total_points == 12


def test_twelve_points_over_several_incidents_ban_one_year(credit) -> None:
    doctor = "D320100000003"
    events = [finding_event(f"F-M{i}", doctor=doctor, occurred_at=f"2026-05-0{i}T02:00:00+00:00",
                            institution="H32010000008") for i in (1, 2)]
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events))
    kinds = {d.kind: d for d in _staff_decisions(credit, doctor)}
    assert set(kinds) == {"staff_termination"}   # 6 + 6 jumps past 9 straight to 12
    assert kinds["staff_termination"].end_date == "2027-05-02"


def test_points_reset_each_natural_year(credit) -> None:
    doctor = "D320100000004"
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[
        finding_event("F-Y1", doctor=doctor, occurred_at="2025-12-30T02:00:00+00:00", institution="H32010000007"),
        finding_event("F-Y2", doctor=doctor, occurred_at="2026-01-05T02:00:00+00:00", institution="H32010000007",
                      tier="B")]))
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor, year="2025")).total_points == 6
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor, year="2026")).total_points == 3
    assert _staff_decisions(credit, doctor) == []


def test_bad_events_are_rejected_whole_naming_each_field(credit) -> None:
    bad = finding_event("F-BAD", doctor=DOCTOR, amount="12,5", responsibility="boss")
    bad.kind = "finding.lost"
    with pytest.raises(grpc.RpcError) as err:
        credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event("F-OK", doctor="D320100000099"), bad]))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    for name in ("events[1].kind", "events[1].responsibility"):
        assert name in err.value.details()
    assert credit.GetLedger(pb.GetLedgerRequest(subject="D320100000099")).total_points == 0


def test_an_appeal_against_the_points_reverses_one_entry_and_lifts(credit) -> None:
    doctor = "D320100000005"
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[
        finding_event("F-P1", doctor=doctor, institution="H32010000006"),
        finding_event("F-P2", doctor=doctor, institution="H32010000006", tier="B",
                      occurred_at="2026-03-11T02:00:00+00:00")]))
    assert [d.kind for d in _staff_decisions(credit, doctor)] == ["staff_suspension"]
    second = credit.GetLedger(pb.GetLedgerRequest(subject=doctor)).entries[1]
    reversal = credit.ReverseEntry(pb.ReverseEntryRequest(request_id="a1", entry_id=second.entry_id,
                                                          decided_by="reviewer-wang", reason="not responsible"))
    assert reversal.points == -3 and reversal.reverses_entry_id == second.entry_id
    again = credit.ReverseEntry(pb.ReverseEntryRequest(request_id="a2", entry_id=second.entry_id,
                                                       decided_by="reviewer-wang", reason="not responsible"))
    assert again.entry_id == reversal.entry_id
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor)).total_points == 6
    assert sorted(d.kind for d in _staff_decisions(credit, doctor)) == ["staff_suspension", "withdrawal"]
    with pytest.raises(grpc.RpcError) as err:
        credit.ReverseEntry(pb.ReverseEntryRequest(entry_id=reversal.entry_id, decided_by="x", reason="y"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_concurrent_deliveries_decide_once(credit) -> None:
    doctor = "D320100000006"
    events = [finding_event(f"F-CC{i}", doctor=doctor, institution=f"H3201000001{i % 3}", tier="B",
                            occurred_at=f"2026-04-{i + 1:02d}T02:00:00+00:00") for i in range(8)]   # 3 points each

    def deliver(e: pb.Event) -> int:
        return credit.DeliverEvents(pb.DeliverEventsRequest(events=[e, events[0]])).accepted

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=8) as pool:
        accepted = sum(pool.map(deliver, events))
    assert accepted == 8
    assert credit.GetLedger(pb.GetLedgerRequest(subject=doctor)).total_points == 24
    # Arrival order may change which entry is taken to cross a threshold (a late-arriving earlier
    # event re-dates it, withdrawing and re-deciding), but what stays in force is exactly one
    # suspension from the 9th point and one termination from the 12th, in business-date order.
    active = credit.GetStanding(pb.GetStandingRequest(subject=doctor, year=2026)).active_decisions
    assert sorted((d.kind, d.start_date) for d in active) == [("staff_suspension", "2026-04-03"),
                                                             ("staff_termination", "2026-04-04")]
