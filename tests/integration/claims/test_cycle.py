"""The month from upload to deduction, through real claims, rules, physician_codes and credit
servers: audit run, publish, appeal, review, confirmation at the deadline, the deduction
statement, the finding events, and the outbox delivering to credit once credit comes up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from tests.integration.claims.conftest import serve_at
from tests.servers import serve

INST, OTHER = "H32118100064", "H32118100071"
PERIOD = "2027-03"
GOOD_DOCTOR, UNKNOWN_DOCTOR = "D32118100101", "D32118109999"


def line(sn: str, enc: str, patient: str, item: str, price: str, doctor: str = GOOD_DOCTOR,
         day: str = "2027-03-10") -> claims_pb2.FeeDetail:
    return claims_pb2.FeeDetail(detail_sn=sn, encounter_id=enc, patient_id=patient, occurred_at=f"{day} 09:00:00",
                                item_code=item, item_type="201", quantity="1", unit_price=common_pb2.Money(amount=price),
                                amount=common_pb2.Money(amount=price), doctor_code=doctor, dept_code="A03")


def upload(stub: claims_pb2_grpc.ClaimsServiceStub, enc: str, patient: str, gender: str,
           details: list[claims_pb2.FeeDetail], inst: str = INST, level: str = "3") -> None:
    report = stub.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"up-{enc}", institution_code=inst, institution_level=level,
        encounter=common_pb2.Encounter(encounter_id=enc, institution_code=inst, institution_level=level,
                                       care_setting="1", med_type="11", doctor_code=GOOD_DOCTOR,
                                       admission_date="2027-03-10", discharge_date="2027-03-10"),
        patient=common_pb2.Patient(patient_id=patient, gender=gender, birth_date="1980-01-01"),
        details=details), timeout=10)
    assert report.rejected == 0, report.errors


def wait_done(stub: claims_pb2_grpc.ClaimsServiceStub, run_id: str, timeout: float = 60) -> claims_pb2.AuditRun:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = stub.GetAuditRun(claims_pb2.GetAuditRunRequest(run_id=run_id), timeout=5)
        if run.state != "running":
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still running")


@pytest.fixture(scope="module")
def claims(backends: dict[str, str], migrated_url: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[claims_pb2_grpc.ClaimsServiceStub]:
    with serve("claims", migrated_url, tmp_path_factory.mktemp("claims"), addrs=backends) as (channel, _):
        yield claims_pb2_grpc.ClaimsServiceStub(channel)


def test_the_monthly_cycle_from_audit_to_deduction_and_credit(claims, backends, migrated_url, engine,
                                                              tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FUNDGUARD_OUTBOX_MAX_BACKOFF", "0.5")
    # C1, a woman at a level-3 hospital: a PSA test (male only, 68.00 above the 55.00 ceiling)
    # and a consultation by a doctor the registry does not know. Settled for 70.00.
    upload(claims, "E1", "PF1", "2", [line("0001", "E1", "PF1", "250305011", "68.00"),
                                      line("0002", "E1", "PF1", "110200001", "10.00", doctor=UNKNOWN_DOCTOR)])
    claims.Settle(claims_pb2.SettleRequest(request_id="s-E1", settlement_id="S-E1", encounter_id="E1",
                                           patient_id="PF1", institution_code=INST,
                                           total_amount=common_pb2.Money(amount="70.00")), timeout=10)
    # C2, a man billed a gynaecological examination: the institution will appeal and win.
    upload(claims, "E2", "PM1", "1", [line("0001", "E2", "PM1", "311201001", "12.00")])

    run = claims.StartAuditRun(claims_pb2.StartAuditRunRequest(request_id="run-cycle", period=PERIOD), timeout=10)
    assert run.state == "running"  # returned at once; the work goes on in the background
    run = wait_done(claims, run.run_id)
    # Five findings: the settlement of C1 (70.00) also disagrees with its lines (78.00), which
    # the national pack's R-SETTLEMENT-TOTAL reports with amount 0.
    assert (run.state, run.lines_total, run.lines_done, run.findings) == ("done", 3, 3, 5), run
    assert run.rule_pack_version

    listed = claims.ListFindings(claims_pb2.ListFindingsRequest(run_id=run.run_id, page_size=2), timeout=10)
    assert listed.total_count == 5 and len(listed.findings) == 2 and listed.next_page_token
    pages = [*listed.findings]
    while listed.next_page_token:
        listed = claims.ListFindings(claims_pb2.ListFindingsRequest(run_id=run.run_id, page_size=2,
                                                                    page_token=listed.next_page_token), timeout=10)
        pages += listed.findings
    found = {(f.claim_id, f.rule_id): f for f in pages}
    assert set(found) == {(f"{INST}-E1", "R-SERVICE-SEX"), (f"{INST}-E1", "R-PRICE-CEILING"),
                          (f"{INST}-E1", "R-DOCTOR-BINDING"), (f"{INST}-E2", "R-SERVICE-SEX"),
                          (f"{INST}-E1", "R-SETTLEMENT-TOTAL")}
    assert found[(f"{INST}-E1", "R-SETTLEMENT-TOTAL")].amount.amount == "0.00"
    assert Decimal(listed.total_amount.amount) == Decimal("68.00") + Decimal("13.00") + Decimal("10.00") + Decimal("12.00")

    published = claims.PublishFindings(claims_pb2.PublishFindingsRequest(
        request_id="pub-1", period=PERIOD, actor="auditor-1"), timeout=10)
    assert published.published == 5 and list(published.run_ids) == [run.run_id]
    assert claims.PublishFindings(claims_pb2.PublishFindingsRequest(
        request_id="pub-1", period=PERIOD, actor="auditor-1"), timeout=10).replayed

    gyn = found[(f"{INST}-E2", "R-SERVICE-SEX")].finding_id
    with pytest.raises(grpc.RpcError) as err:  # another institution cannot appeal it
        claims.AppealFinding(claims_pb2.AppealFindingRequest(request_id="ap-x", finding_id=gyn, institution_code=OTHER,
                                                             reason="x"), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    ev = claims.AppealFinding(claims_pb2.AppealFindingRequest(
        request_id="ap-1", finding_id=gyn, institution_code=INST, reason="患者性别登记错误", evidence_refs=["doc://id-card"],
        actor="billing-office"), timeout=10)
    assert (ev.from_state, ev.to_state) == ("published", "appealed")
    ev = claims.ReviewAppeal(claims_pb2.ReviewAppealRequest(
        request_id="rv-1", finding_id=gyn, decision="overturned", reason="身份证显示为女性", reviewer="expert-7"),
        timeout=10)
    assert (ev.from_state, ev.to_state, ev.actor) == ("appealed", "overturned", "expert-7")

    deadline = date.fromisoformat(published.appeal_deadline)
    early = claims.ConfirmDueFindings(claims_pb2.ConfirmDueFindingsRequest(
        request_id="cd-0", as_of=deadline.isoformat()), timeout=10)
    assert early.confirmed == 0  # the deadline day itself is still open for appeals
    due = claims.ConfirmDueFindings(claims_pb2.ConfirmDueFindingsRequest(
        request_id="cd-1", as_of=(deadline + timedelta(days=1)).isoformat()), timeout=10)
    assert due.confirmed == 4

    states = {f.rule_id + "/" + f.claim_id[-2:]: f.state for f in claims.ListFindings(
        claims_pb2.ListFindingsRequest(run_id=run.run_id), timeout=10).findings}
    assert states == {"R-SERVICE-SEX/E1": "confirmed", "R-PRICE-CEILING/E1": "confirmed",
                      "R-DOCTOR-BINDING/E1": "confirmed", "R-SERVICE-SEX/E2": "overturned",
                      "R-SETTLEMENT-TOTAL/E1": "confirmed"}
    events = claims.ListFindingEvents(claims_pb2.ListFindingEventsRequest(
        finding_id=found[(f"{INST}-E1", "R-PRICE-CEILING")].finding_id), timeout=10).events
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [
        ("found", "published", "auditor-1"), ("published", "confirmed", "system")]
    assert all(e.reason and e.occurred_at for e in events)

    # Line 0001: 68.00 and 13.00 -> the larger, 68.00; line 0002: 10.00; lines 78.00 > bill 70.00 -> 70.00.
    statement = claims.GetDeductionStatement(claims_pb2.GetDeductionStatementRequest(
        institution_code=INST, period=PERIOD), timeout=10)
    assert statement.total.amount == "70.00"
    by_line = {ln.line_id: ln for ln in statement.lines}
    assert (by_line["0001"].largest_finding.amount, by_line["0001"].deducted.amount) == ("68.00", "68.00")
    assert len(by_line["0001"].finding_ids) == 2
    assert by_line["0002"].deducted.amount == "10.00"
    assert by_line[""].deducted.amount == "-8.00" and "capped at the bill total 70.00" in by_line[""].how
    claim = claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-E1"), timeout=10)
    assert claim.deducted.amount == "70.00" and claim.settlements[0].state == "settled"
    assert {f.state for f in claim.findings} == {"confirmed"}

    # Credit was down all along: the events wait in the outbox, then arrive once it starts.
    with engine.connect() as conn:
        pending = conn.execute(sa.text("SELECT kind, institution_code FROM claims.outbox WHERE delivered_at IS NULL "
                                       "ORDER BY seq")).all()
    kinds = [k for k, _ in pending]
    assert kinds.count("finding.confirmed") == 4 and kinds.count("finding.overturned") == 1
    assert kinds.count("deduction.made") >= 2
    with serve_at("credit", backends["credit"], migrated_url, tmp_path, backends):
        end = time.monotonic() + 30
        while time.monotonic() < end:
            with engine.connect() as conn:
                left = conn.execute(sa.text("SELECT count(*) FROM claims.outbox WHERE delivered_at IS NULL")
                                    ).scalar_one()
            if left == 0:
                break
            time.sleep(0.2)
        assert left == 0
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT event_id, kind FROM credit.inbox")).all()
            sent = conn.execute(sa.text("SELECT event_id FROM claims.outbox")).scalars().all()
    assert set(sent) <= {g.event_id for g in got}
    deducted = {g.event_id for g in got if g.kind == "deduction.made"}
    assert deducted

    # The settlement is reversed: nothing was paid, so nothing is taken back, and credit is told.
    claims.ReverseSettlement(claims_pb2.ReverseSettlementRequest(request_id="rv-E1", settlement_id="S-E1",
                                                                 institution_code=INST, reason="冲正"), timeout=10)
    claim = claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-E1"), timeout=10)
    assert claim.deducted.amount == "0.00" and claim.settlements[0].state == "reversed"
    with engine.connect() as conn:
        zeroed = conn.execute(sa.text("SELECT count(*) FROM claims.outbox WHERE delivered_at IS NULL "
                                      "AND kind = 'deduction.made'")).scalar_one()
    assert zeroed == 2  # the two findings that were deducting now deduct 0.00


def test_a_run_split_by_partition_finds_what_one_run_finds(claims, engine) -> None:
    whole = wait_done(claims, claims.StartAuditRun(claims_pb2.StartAuditRunRequest(
        request_id="run-whole", period=PERIOD), timeout=10).run_id)
    shares = [wait_done(claims, claims.StartAuditRun(claims_pb2.StartAuditRunRequest(
        request_id=f"run-share-{i}", period=PERIOD, partition=i, partitions=2), timeout=10).run_id) for i in (0, 1)]
    assert sum(s.lines_total for s in shares) == whole.lines_total
    assert sum(s.findings for s in shares) == whole.findings

    def content(run_ids: list[str]) -> list[tuple]:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(sa.text(
                "SELECT claim_id, rule_id, line_ids, amount FROM claims.findings WHERE run_id = ANY(:r)"),
                {"r": run_ids}))

    assert content([s.run_id for s in shares]) == content([whole.run_id])
    with pytest.raises(grpc.RpcError) as err:
        claims.StartAuditRun(claims_pb2.StartAuditRunRequest(period="2027-3", partition=2, partitions=2), timeout=10)
    assert {"period", "partition"} <= {v for v in ("period", "partition") if v in err.value.details()}
