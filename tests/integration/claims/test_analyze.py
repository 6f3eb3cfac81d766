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
from services.claims.servicer import Check, ClaimsServicer
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
    # Analysed together with it, a check whose window reaches further back and later.
    wider = claims_pb2.AnalyzeRequest(cases=[case("someone-else", "wide-" + patient, "2028-06-01"),
                                             case("someone-else-2", "wide2-" + patient, "2027-12-20")])
    check, other = Check(request), Check(wider)
    records = check.parse()
    assert records is not None and other.parse() is not None
    with grpc.insecure_channel("127.0.0.1:9") as nowhere:
        servicer = ClaimsServicer(ClaimsStore(engine), rules_pb2_grpc.RulesServiceStub(nowhere),
                                  physician_codes_pb2_grpc.PhysicianCodesServiceStub(nowhere))
        with engine.connect() as conn:
            servicer._add_history([check, other], conn)
        servicer.audit.stop()
    assert not request.cases[0].history  # the request itself is left as it came
    assert [e.encounter_id for e in other.cases[0].history] == ["other-" + patient]
    history = check.cases[0].history
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


def _world(tag: str) -> list[claims_pb2.AnalyzeRequest]:
    """A burst of 3101/3102 requests as the gateway may gather them, named by ``tag``: two
    patients, a second visit of the first (its history is the first visit), a retry of the
    first request, a malformed request and one with a moment real time does not take."""
    p1, p2 = f"P1{tag}", f"P2{tag}"
    first = claims_pb2.AnalyzeRequest(request_id=f"m1{tag}", moment=common_pb2.MOMENT_PRE, trigger_scene="1",
                                      cases=[case(p1, f"{p1}-a", "2028-05-02")])
    second_visit = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_IN, cases=[case(p1, f"{p1}-b", "2028-05-03")])
    # The same item twice within the look-back: a duplicate only with the first visit as history.
    second_visit.cases[0].encounters[0].lines[0].item_code = first.cases[0].encounters[0].lines[0].item_code
    other = claims_pb2.AnalyzeRequest(request_id=f"m2{tag}", moment=common_pb2.MOMENT_PRE,
                                      cases=[case(p2, f"{p2}-a", "2028-05-02", item="110200001", price="8.00")])
    malformed = claims_pb2.AnalyzeRequest(request_id=f"m3{tag}", moment=common_pb2.MOMENT_PRE,
                                          cases=[case("", f"X{tag}", "2028-05-02")])
    malformed.cases[0].encounters[0].lines[0].quantity = "two"
    post = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_POST, cases=[case(f"P4{tag}", f"P4{tag}", "2028-05-02")])
    return [first, second_visit, other, first, malformed, post]


def _outcome(tag: str, reply: claims_pb2.AnalyzeResponse | grpc.RpcError) -> tuple[object, ...]:
    """An answer with the world's tag taken out, comparable across worlds."""
    if isinstance(reply, grpc.RpcError):
        return ("error", reply.code().name, reply.details().replace(tag, "~"))
    return ("ok", reply.replayed, tuple(c.replace(tag, "~") for c in reply.claim_ids),
            tuple((f.rule_id, f.claim_id.replace(tag, "~"), tuple(f.line_ids), f.amount.amount, f.explanation,
                   f.tier) for f in reply.findings))


def test_a_batch_answers_each_request_as_analyze_answers_it_alone(claims) -> None:
    alone_tag, batch_tag = "A" + uuid.uuid4().hex[:6], "B" + uuid.uuid4().hex[:6]
    alone = []
    for request in _world(alone_tag):
        try:
            alone.append(_outcome(alone_tag, claims.Analyze(request, timeout=20)))
        except grpc.RpcError as exc:
            alone.append(_outcome(alone_tag, exc))
    parents = [f"00-{n:032x}-{n:016x}-01" for n in range(1, 7)]
    reply = claims.AnalyzeBatch(claims_pb2.AnalyzeBatchRequest(items=[
        claims_pb2.AnalyzeBatchItem(request=r, traceparent=p) for r, p in zip(_world(batch_tag), parents,
                                                                                 strict=True)]), timeout=30)
    together = []
    for o in reply.outcomes:
        if o.HasField("error"):
            together.append(("error", grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == o.error.code)
                                                      ).name, o.error.message.replace(batch_tag, "~")))
        else:
            together.append(_outcome(batch_tag, o.response))
    assert together == alone
    kinds = [o[0] for o in alone]
    assert kinds == ["ok", "ok", "ok", "ok", "error", "error"]
    assert alone[3][1] is True and alone[0][1] is False  # the retry is answered from storage
    assert "cases[0].patient.patient_id" in str(alone[4]) and "quantity" in str(alone[4]) and "moment" in str(alone[5])
    assert {"R-SERVICE-SEX"} <= {f[0] for f in alone[0][3]}  # type: ignore[union-attr]
    # Each request's claims joined the trace the request came with.
    stored = claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-P2{batch_tag}-a"), timeout=10)
    assert stored.trace_id == f"{3:032x}"


@pytest.mark.parametrize("spoil", ["doctor_code", "total_amount", "line_doctor_code", "line_quantity"])
def test_a_batch_item_its_claim_could_not_store_fails_alone_and_by_name(claims, spoil: str) -> None:
    """A value longer or larger than its stored column failed the batch's write, and with it
    every check gathered with it (INTERNAL for all). It is refused before the write, naming
    the field; the other item is answered and stored as usual."""
    tag = uuid.uuid4().hex[:8]
    good = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"G{tag}", f"G{tag}", "2028-05-02")])
    bad = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"B{tag}", f"B{tag}", "2028-05-02")])
    enc = bad.cases[0].encounters[0]
    field = {"doctor_code": "cases[0].encounters[0].doctor_code",
             "total_amount": "cases[0].encounters[0].total_amount",
             "line_doctor_code": "cases[0].encounters[0].lines[0].doctor_code",
             "line_quantity": "cases[0].encounters[0].lines[0].quantity"}[spoil]
    if spoil == "doctor_code":
        enc.doctor_code = "D" * 17
    elif spoil == "total_amount":
        enc.total_amount.amount = "1000000000000"
    elif spoil == "line_doctor_code":
        enc.lines[0].doctor_code = "D" * 17
    else:
        enc.lines[0].quantity = "12345678901"
    reply = claims.AnalyzeBatch(claims_pb2.AnalyzeBatchRequest(items=[
        claims_pb2.AnalyzeBatchItem(request=good), claims_pb2.AnalyzeBatchItem(request=bad)]), timeout=30)
    assert reply.outcomes[0].HasField("response") and reply.outcomes[0].response.claim_ids == [f"{INST}-G{tag}"]
    assert reply.outcomes[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert field in reply.outcomes[1].error.message
    with pytest.raises(grpc.RpcError) as missing:
        claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-B{tag}"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_batch_item_the_database_cannot_store_fails_alone(claims) -> None:
    """A NUL character (which the gateway refuses, but claims' own API lets through) makes
    PostgreSQL refuse the batch's write: each check is then answered alone, so only the one
    carrying it fails; the other is answered and stored."""
    tag = uuid.uuid4().hex[:8]
    good = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"G{tag}", f"G{tag}", "2028-05-02")])
    bad = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"B{tag}", f"B{tag}", "2028-05-02")])
    bad.cases[0].patient.name = "王\x00五"
    reply = claims.AnalyzeBatch(claims_pb2.AnalyzeBatchRequest(items=[
        claims_pb2.AnalyzeBatchItem(request=good), claims_pb2.AnalyzeBatchItem(request=bad)]), timeout=30)
    assert reply.outcomes[0].HasField("response") and reply.outcomes[0].response.claim_ids == [f"{INST}-G{tag}"]
    assert reply.outcomes[1].error.code == grpc.StatusCode.INTERNAL.value[0]
    assert claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-G{tag}"), timeout=10).claim_id
    with pytest.raises(grpc.RpcError) as missing:
        claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-B{tag}"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_batch_item_refused_downstream_fails_alone(claims) -> None:
    """Rules refuse a request claims let through (history the caller sent, with a malformed
    quantity): that item fails with rules' reason, naming the field as it would alone; the
    other item of the batch is answered as usual."""
    tag = uuid.uuid4().hex[:8]
    good = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"G{tag}", f"G{tag}", "2028-05-02")])
    bad = claims_pb2.AnalyzeRequest(moment=common_pb2.MOMENT_PRE, cases=[case(f"B{tag}", f"B{tag}", "2028-05-02")])
    bad.cases[0].history.add().CopyFrom(case(f"B{tag}", f"B{tag}-old", "2028-04-02").encounters[0])
    bad.cases[0].history[0].lines[0].quantity = "many"
    with pytest.raises(grpc.RpcError) as alone:
        claims.Analyze(bad, timeout=20)
    reply = claims.AnalyzeBatch(claims_pb2.AnalyzeBatchRequest(items=[
        claims_pb2.AnalyzeBatchItem(request=good), claims_pb2.AnalyzeBatchItem(request=bad)]), timeout=30)
    assert reply.outcomes[0].HasField("response") and reply.outcomes[0].response.claim_ids == [f"{INST}-G{tag}"]
    assert alone.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reply.outcomes[1].error.code == alone.value.code().value[0]
    assert reply.outcomes[1].error.message == alone.value.details()
    assert "cases[0].history[0].lines[0].quantity" in reply.outcomes[1].error.message
    # What the refused check saw was written while rules answered, in the batch's transaction
    # and again alone: both rolled back. The other check's claim is stored.
    with pytest.raises(grpc.RpcError) as missing:
        claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-B{tag}"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-G{tag}"), timeout=10).claim_id
