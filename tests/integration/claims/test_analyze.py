"""3101/3102 through the real claims server: the patient's stored history goes to rules with
the request, warnings are stored, and 3103 feedback is kept against each warning."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date

import grpc
import pytest
import sqlalchemy as sa

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.rules.v1 import rules_pb2_grpc
from services.claims.domain.model import ClaimRecord
from services.claims.servicer import ClaimsServicer, read_cases
from services.claims.store.repository import ClaimsStore
from tests.servers import serve

INST = "H32118100064"


@pytest.fixture(scope="module")
def claims(backends: dict[str, str], migrated_url: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[claims_pb2_grpc.ClaimsServiceStub]:
    with serve("claims", migrated_url, tmp_path_factory.mktemp("claims-analyze"), addrs=backends) as (channel, _):
        yield claims_pb2_grpc.ClaimsServiceStub(channel)


def case(patient: str, enc: str, day: str, item: str = "250305011", price: str = "68.00") -> common_pb2.PatientCase:
    return common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id=patient, gender="2", birth_date="1979-12-03"),
        encounters=[common_pb2.Encounter(
            encounter_id=enc, institution_code=INST, institution_level="3", care_setting="1", med_type="11",
            doctor_code="D32118100101",
            lines=[common_pb2.FeeLine(line_id="1", item_code=item, item_type="201", quantity="1",
                                      unit_price=common_pb2.Money(amount=price), amount=common_pb2.Money(amount=price),
                                      service_date=day, doctor_code="D32118100101")])])


def upload(stub: claims_pb2_grpc.ClaimsServiceStub, patient: str, enc: str, when: str) -> None:
    stub.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"h-{enc}", institution_code=INST,
        encounter=common_pb2.Encounter(encounter_id=enc, care_setting="1", invoice_no=f"INV-{enc}"),
        patient=common_pb2.Patient(patient_id=patient, gender="2"),
        details=[claims_pb2.FeeDetail(detail_sn="1", encounter_id=enc, patient_id=patient, occurred_at=when,
                                      item_code="110200001", quantity="1", amount=common_pb2.Money(amount="8.00"))]),
        timeout=10)


def test_history_of_the_look_back_window_is_loaded_for_rules(claims, engine) -> None:
    patient = "PH" + uuid.uuid4().hex[:8]
    upload(claims, patient, patient + "-old", "2028-01-02 08:00:00")     # 94 days before: outside 90 days
    upload(claims, patient, patient + "-recent", "2028-03-20 08:00:00")  # 16 days before: history
    upload(claims, patient, patient + "-later", "2028-04-20 08:00:00")   # after the request: not history
    upload(claims, "someone-else", "other-" + patient, "2028-03-20 08:00:00")
    request = claims_pb2.AnalyzeRequest(cases=[case(patient, patient + "-now", "2028-04-05")])
    _, records = read_cases(request.cases)
    with grpc.insecure_channel("127.0.0.1:9") as nowhere:
        servicer = ClaimsServicer(ClaimsStore(engine), rules_pb2_grpc.RulesServiceStub(nowhere),
                                  physician_codes_pb2_grpc.PhysicianCodesServiceStub(nowhere))
        cases = claims_pb2.AnalyzeRequest()
        cases.CopyFrom(request)
        with engine.connect() as conn:
            servicer._add_history(cases.cases, records, conn)
        servicer.audit.stop()
    history = cases.cases[0].history
    assert [e.encounter_id for e in history] == [patient + "-recent"]
    assert history[0].claim_id == f"{INST}-{patient}-recent" and history[0].invoice_no == f"INV-{patient}-recent"
    assert history[0].lines[0].service_date == "2028-03-20" and history[0].care_setting == "1"
    assert isinstance(records[0], ClaimRecord) and records[0].lines[0].service_date == date(2028, 4, 5)


def test_feedback_is_kept_against_each_warning_and_continuing_is_visible(claims, engine) -> None:
    patient = "PW" + uuid.uuid4().hex[:8]
    reply = claims.Analyze(claims_pb2.AnalyzeRequest(
        request_id=f"msg-{patient}", moment=common_pb2.MOMENT_PRE, trigger_scene="2",
        cases=[case(patient, patient + "-e", "2028-04-05")]), timeout=20)
    warnings = {f.rule_id: f.finding_id for f in reply.findings}
    assert {"R-SERVICE-SEX", "R-PRICE-CEILING"} <= set(warnings)
    with engine.connect() as conn:
        times = conn.execute(sa.text("SELECT requested_at, responded_at FROM claims.analyses WHERE request_id = :r"),
                             {"r": f"msg-{patient}"}).one()
    assert times.requested_at <= times.responded_at

    with pytest.raises(grpc.RpcError) as err:
        claims.RecordFeedback(claims_pb2.RecordFeedbackRequest(request_id=f"fb0-{patient}", actor="D32118100101",
                                                               feedback=[
            claims_pb2.WarningFeedback(warning_id=warnings["R-SERVICE-SEX"], disposal="1"),
            claims_pb2.WarningFeedback(warning_id="nope", disposal="3")]), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "feedback[0].reason" in err.value.details() and "feedback[1].disposal" in err.value.details()

    fb = claims_pb2.RecordFeedbackRequest(request_id=f"fb-{patient}", actor="D32118100101", feedback=[
        claims_pb2.WarningFeedback(warning_id=warnings["R-SERVICE-SEX"], disposal="1", reason="患者为变性人，已核实"),
        claims_pb2.WarningFeedback(warning_id=warnings["R-PRICE-CEILING"], disposal="2")])
    assert claims.RecordFeedback(fb, timeout=10).recorded == 2
    again = claims.RecordFeedback(fb, timeout=10)
    assert again.replayed and again.recorded == 2

    continued = claims.ListFindings(claims_pb2.ListFindingsRequest(continued_only=True, rule_id="R-SERVICE-SEX"),
                                    timeout=10)
    assert warnings["R-SERVICE-SEX"] in {f.finding_id for f in continued.findings}
    assert warnings["R-PRICE-CEILING"] not in {f.finding_id for f in continued.findings}
    events = claims.ListFindingEvents(claims_pb2.ListFindingEventsRequest(finding_id=warnings["R-SERVICE-SEX"]),
                                      timeout=10).events
    assert len(events) == 1 and events[0].actor == "D32118100101" and "患者为变性人" in events[0].reason


def test_orders_checked_in_real_time_are_not_judged_again_with_the_billed_fee_details(claims) -> None:
    """A hospital checks its order by 3101 (rx_id 1) and then bills it by 2204 (feedetl_sn F1):
    the monthly audit judges what was billed, once, and the deduction counts it once."""
    patient = "PO" + uuid.uuid4().hex[:8]
    enc = patient + "-visit"
    claims.Analyze(claims_pb2.AnalyzeRequest(request_id=f"chk-{enc}", moment=common_pb2.MOMENT_PRE,
                                             cases=[case(patient, enc, "2029-05-06")]), timeout=30)
    claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"up-{enc}", institution_code=INST, institution_level="3",
        encounter=common_pb2.Encounter(encounter_id=enc, institution_code=INST, institution_level="3",
                                       care_setting="1", med_type="11", doctor_code="D32118100101"),
        patient=common_pb2.Patient(patient_id=patient, gender="2", birth_date="1979-12-03"),
        details=[claims_pb2.FeeDetail(detail_sn="F1", encounter_id=enc, patient_id=patient,
                                      occurred_at="2029-05-06 10:00:00", item_code="250305011", item_type="201",
                                      quantity="1", unit_price=common_pb2.Money(amount="68.00"),
                                      amount=common_pb2.Money(amount="68.00"), doctor_code="D32118100101")]),
        timeout=10)
    run = claims.StartAuditRun(claims_pb2.StartAuditRunRequest(request_id=f"run-{enc}", period="2029-05"), timeout=10)
    for _ in range(300):
        run = claims.GetAuditRun(claims_pb2.GetAuditRunRequest(run_id=run.run_id), timeout=5)
        if run.state != "running":
            break
        time.sleep(0.1)
    assert (run.state, run.lines_total) == ("done", 1)
    audited = claims.ListFindings(claims_pb2.ListFindingsRequest(run_id=run.run_id), timeout=10).findings
    lines = {(f.rule_id, tuple(f.line_ids)) for f in audited}
    assert lines == {("R-SERVICE-SEX", ("F1",)), ("R-PRICE-CEILING", ("F1",))}
    claim = claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-{enc}"), timeout=10)
    assert [ln.line_id for ln in claim.encounter.lines] == ["F1"]  # the billed line, not the order


def test_an_upload_without_patient_facts_keeps_the_ones_already_stored(claims) -> None:
    patient = "PK" + uuid.uuid4().hex[:8]
    enc = patient + "-visit"
    claims.Analyze(claims_pb2.AnalyzeRequest(request_id=f"chk-{enc}", moment=common_pb2.MOMENT_PRE,
                                             cases=[case(patient, enc, "2029-06-06")]), timeout=30)
    claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"up-{enc}", institution_code=INST, encounter=common_pb2.Encounter(encounter_id=enc),
        patient=common_pb2.Patient(patient_id=patient),  # named, but no sex, no birth date
        details=[claims_pb2.FeeDetail(detail_sn="F1", encounter_id=enc, patient_id=patient,
                                      occurred_at="2029-06-06 10:00:00", item_code="110200001", quantity="1",
                                      amount=common_pb2.Money(amount="10.00"))]), timeout=10)
    claim = claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-{enc}"), timeout=10)
    assert (claim.patient.gender, claim.patient.birth_date) == ("2", "1979-12-03")
    assert (claim.encounter.institution_level, claim.encounter.care_setting) == ("3", "1")


def test_a_replayed_request_id_gets_the_stored_answer_and_the_orders_are_stored(claims, engine) -> None:
    patient = "PR" + uuid.uuid4().hex[:8]
    enc = patient + "-visit"
    request = claims_pb2.AnalyzeRequest(request_id=f"rp-{enc}", moment=common_pb2.MOMENT_IN, trigger_scene="1",
                                        cases=[case(patient, enc, "2028-04-05")])
    request.cases[0].encounters[0].lines.add(
        line_id="2", item_code="110200001", quantity="2.5", unit_price=common_pb2.Money(amount="3.10"),
        amount=common_pb2.Money(amount="7.75"), service_date="2028-04-06 10:30:00", doctor_code="D32118100101")
    first = claims.Analyze(request, timeout=20)
    assert not first.replayed and first.claim_ids == [f"{INST}-{enc}"]
    assert {"R-SERVICE-SEX", "R-PRICE-CEILING"} <= {f.rule_id for f in first.findings}
    # A retry gets the first answer, even when what it carries would no longer pass the checks.
    again = claims.Analyze(claims_pb2.AnalyzeRequest(request_id=f"rp-{enc}", moment=common_pb2.MOMENT_IN), timeout=20)
    assert again.replayed and again.claim_ids == first.claim_ids

    def key(f: common_pb2.Finding) -> tuple[object, ...]:
        return (f.finding_id, f.rule_id, tuple(f.line_ids), f.amount.amount, f.claim_id, f.service_date, f.state)

    assert sorted(map(key, again.findings)) == sorted(map(key, first.findings))
    with engine.connect() as conn:
        lines = conn.execute(sa.text(
            "SELECT line_id, item_code, quantity, unit_price, amount, service_date, patient_id FROM claims.order_lines"
            " WHERE claim_id = :c ORDER BY line_id"), {"c": f"{INST}-{enc}"}).all()
        stored = conn.execute(sa.text("SELECT moment, trigger_scene, claim_ids, finding_ids FROM claims.analyses "
                                      "WHERE request_id = :r"), {"r": f"rp-{enc}"}).one()
    assert [tuple(map(str, r)) for r in lines] == [
        ("1", "250305011", "1.0000", "68.0000", "68.00", "2028-04-05", patient),
        ("2", "110200001", "2.5000", "3.1000", "7.75", "2028-04-06", patient)]
    assert (stored.moment, stored.trigger_scene, stored.claim_ids) == ("in", "1", first.claim_ids)
    assert stored.finding_ids == [f.finding_id for f in first.findings]
