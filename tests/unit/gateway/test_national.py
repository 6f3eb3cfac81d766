"""The national shapes: every infno's input to its proto request, and each reply back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.demo import SAMPLES
from fundguard.runtime.errors import InvalidArgument
from gateway import national


def envelope(infno: str, inp: Any, **kw: Any) -> dict[str, Any]:
    return {"infno": infno, "msgid": "H32118100064202611010930000001", "fixmedins_code": "H32118100064",
            "opter": "D32118100101", "input": inp, **kw}


def violations(exc: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.reason for v in exc.value.violations}


# --- envelope and response -------------------------------------------------------------------

def test_envelope_problems_are_each_named() -> None:
    with pytest.raises(InvalidArgument) as exc:
        national.check_envelope({"infno": "3101", "msgid": "short", "input": []})
    assert set(violations(exc)) == {"msgid", "fixmedins_code", "input"}
    with pytest.raises(InvalidArgument):
        national.check_envelope("a string")


def test_unknown_envelope_fields_are_kept() -> None:
    body = envelope("3101", {}, province_field="x")
    assert national.check_envelope(body)["province_field"] == "x"


def test_response_envelope_shape() -> None:
    ok = national.response("M1", {"a": 1})
    assert ok["infcode"] == 0 and ok["err_msg"] == "" and ok["inf_refmsgid"] == "M1" and ok["output"] == {"a": 1}
    bad = national.response("M1", None, "infno: unknown")
    assert bad["infcode"] == -1 and bad["output"] == {} and bad["err_msg"] == "infno: unknown"
    assert len(ok["respond_time"]) == 19 and ok["respond_time"][4] == "-"


def _loads(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        return "error", (type(exc), str(exc))


def _parse(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", national.parse_body(raw)
    except (ValueError, RecursionError) as exc:
        return "error", (type(exc), str(exc))


@pytest.mark.parametrize("raw", [
    b'{"a": 10.10, "b": 1e3, "c": -0.0, "d": 1.0E+2, "e": 12345678901234567890123, "f": 0.1e-400}',
    b'{"a": 1, "b": 2, "a": 3}', b' \t\r\n[]\n', b'"\\uD83D\\uDE00"', '{"名": "汉字"}'.encode(),
    b'{"a": "\\u0000"}', b'{"a": NaN, "b": Infinity}', b'\xef\xbb\xbf{}', '{"a": "汉字"}'.encode("utf-16"),
    b'"\\ud800"', b'"\xed\xa0\x80"', b'"\xff"', b'{"a": 1}x', b'[1,]', b'01', b'.5', b'', b'nul', b'"\\u12"',
    b'{"a": "\x01"}', b"1" * 5000, b"[" * 400 + b"]" * 400, b"[" * 3000 + b"]" * 3000,
], ids=lambda raw: repr(raw[:24]))
def test_the_body_is_read_exactly_as_the_standard_library_reads_it(raw: bytes) -> None:
    """Same values (Decimals to the last digit, same key order), same errors, word for word:
    the national err_msg quotes the parser's message."""
    expected, got = _loads(raw), _parse(raw)
    assert repr(got) == repr(expected)


def test_deep_bodies_fail_as_the_standard_library_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a parser's recursion limit lies depends on the stack below it, and msgspec's
    lies a few levels deeper than the standard library's: at every depth around both,
    parse_body answers as the standard library alone would in its place."""
    bodies = [raw for depth in range(850, 1001)
              for raw in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth)]
    got = [_parse(raw)[0] for raw in bodies]

    def refuse(raw: bytes) -> Any:
        raise ValueError("msgspec left out")

    monkeypatch.setattr(national, "_decode", refuse)
    assert got == [_parse(raw)[0] for raw in bodies]


def test_amounts_in_a_parsed_body_are_exact() -> None:
    body = national.parse_body(b'{"sumamt": 0.1, "pric": 1234567890123456.78}')
    assert body == {"sumamt": Decimal("0.1"), "pric": Decimal("1234567890123456.78")}
    assert national._text(body["pric"]) == "1234567890123456.78"


# --- 3101 / 3102 ------------------------------------------------------------------------------

def sample_3101() -> dict[str, Any]:
    return json.loads((SAMPLES / "requests" / "3101-05-psa-for-female-above-ceiling.json").read_text("utf-8"),
                      parse_float=Decimal)


@pytest.mark.parametrize(("infno", "moment"), [("3101", common_pb2.MOMENT_PRE), ("3102", common_pb2.MOMENT_IN)])
def test_analysis_request_from_the_national_shape(infno: str, moment: int) -> None:
    body = sample_3101()
    body["infno"] = infno
    body["input"]["data"]["rule_ids"] = "R1,R2"
    req = national.analysis_request(body)
    assert req.moment == moment and req.request_id == body["msgid"] and list(req.rule_ids) == ["R1", "R2"]
    data = body["input"]["data"]
    assert req.task_id == data["task_id"] and req.trigger_scene == data["trig_scen"]
    p = data["patient_dtos"][0]
    case = req.cases[0]
    assert case.patient.patient_id == p["patn_id"] and case.patient.gender == p["gend"]
    e = p["fsi_encounter_dtos"][0]
    enc = case.encounters[0]
    assert enc.encounter_id == e["mdtrt_id"] and enc.doctor_code == e["dr_codg"]
    assert enc.admission_date == e["adm_date"][:10]
    o = e["fsi_order_dtos"][0]
    line = enc.lines[0]
    assert (line.line_id, line.item_code, line.doctor_code, line.amount.amount) == (
        o["rx_id"], o["hilist_code"], o["drord_dr_codg"], national._text(o["sumamt"]))


def test_analysis_values_that_are_not_text_are_converted_as_text() -> None:
    """Numbers (amounts as Decimals, to the cent), booleans and nulls where the national
    shape has text; a missing amount still sends an (empty) Money."""
    body = sample_3101()
    e = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    e["medfee_sumamt"] = Decimal("120.50")
    e.pop("hifp_payamt", None)
    e["fsi_order_dtos"] = [{"rx_id": 7, "hilist_code": None, "hilist_name": True, "hilist_lv": False,
                            "cnt": Decimal("2"), "pric": Decimal("10.10"), "sumamt": Decimal("1E+1"),
                            "drord_begn_date": None}]
    enc = national.analysis_request(body).cases[0].encounters[0]
    assert enc.total_amount.amount == "120.50" and enc.HasField("fund_paid") and enc.fund_paid.amount == ""
    line = enc.lines[0]
    assert (line.line_id, line.item_code, line.item_name, line.item_class, line.quantity) == ("7", "", "1", "0", "2")
    assert (line.unit_price.amount, line.amount.amount) == ("10.10", "10")
    assert line.service_date == e["adm_date"][:10]
    e["fsi_order_dtos"] = [{"rx_id": "1"}]
    line = national.analysis_request(body).cases[0].encounters[0].lines[0]
    assert line.HasField("unit_price") and line.HasField("amount") and line.unit_price.amount == ""


def test_analysis_shape_errors_are_named() -> None:
    with pytest.raises(InvalidArgument) as exc:
        national.analysis_request(envelope("3101", {"data": {"patient_dtos": [1, {"fsi_encounter_dtos": "x"}],
                                                             "rule_ids": 5}}))
    fields = violations(exc)
    assert "input.data.patient_dtos[0]" in fields and "input.data.patient_dtos[1].fsi_encounter_dtos" in fields
    with pytest.raises(InvalidArgument) as exc:
        national.analysis_request(envelope("3101", {}))
    assert "input.data" in violations(exc)


def test_analysis_result_in_the_national_output_shape() -> None:
    f = common_pb2.Finding(finding_id="F1", rule_id="R-PRICE", rule_name="price", explanation="above ceiling",
                           patient_id="P1", encounter_id="M1", amount=common_pb2.Money(amount="13.00"), tier="A",
                           result_type="definite", basis="policy", national_code="GZ001", claim_id="H-M1",
                           line_ids=["1", "2"])
    out = national.analysis_result([f], "T1")["result"][0]
    assert out["jr_id"] == "F1" and out["vola_amt"] == "13.00" and out["sev_deg"] == "明确违规"
    assert out["vola_amt_stas"] == "1" and out["task_id"] == "T1" and out["vola_bhvr_type"] == "GZ001"
    assert [d["rx_id"] for d in out["judge_result_detail_dtos"]] == ["1", "2"]
    assert national.analysis_result([common_pb2.Finding(result_type="suspicious")], "")["result"][0]["sev_deg"] == "可疑"


# --- 3103 ------------------------------------------------------------------------------------

def test_feedback_one_or_many() -> None:
    one = national.feedback_request(envelope("3103", {"data": {"warn_rslt_id": "F1", "dspo_way": "2"}}))
    assert one.request_id.startswith("H321") and one.actor == "D32118100101"
    assert [(f.warning_id, f.disposal, f.reason) for f in one.feedback] == [("F1", "2", "")]
    many = national.feedback_request(envelope("3103", {"warns": [
        {"warn_rslt_id": "F1", "dspo_way": "1", "dspo_way_rea": "needed"}, {"jr_id": "F2", "dspo_way": 2}]}))
    assert [(f.warning_id, f.disposal, f.reason) for f in many.feedback] == [("F1", "1", "needed"), ("F2", "2", "")]
    assert national.feedback_output(claims_pb2.RecordFeedbackResponse(recorded=2)) == {"recorded": 2,
                                                                                         "replayed": False}


def test_feedback_problems_are_named() -> None:
    with pytest.raises(InvalidArgument) as exc:
        national.feedback_request(envelope("3103", {"data": [{"dspo_way": "1"}, {"warn_rslt_id": "F", "dspo_way": "9"},
                                                             "x"]}))
    fields = violations(exc)
    assert {"input.data[0].warn_rslt_id", "input.data[0].dspo_way_rea", "input.data[1].dspo_way",
            "input.data[2]"} <= set(fields)
    with pytest.raises(InvalidArgument):
        national.feedback_request(envelope("3103", {}))


# --- 2204 / 2301 -----------------------------------------------------------------------------

ROW = {"feedetl_sn": "0001", "mdtrt_id": "M1", "psn_no": "P1", "fee_ocur_time": "2026-11-01 09:10:00",
       "med_list_codg": "XB05", "med_list_name": "drug", "cnt": Decimal("2"), "pric": Decimal("1.50"),
       "det_item_fee_sumamt": Decimal("3.00"), "bilg_dept_codg": "A03", "bilg_dr_codg": "D32118100101",
       "bilg_dr_name": "王", "init_feedetl_sn": "", "medins_list_codg": "LOCAL-1", "prov_ext": {"a": [1]},
       "hosp_appr_flag": 1}


@pytest.mark.parametrize(("infno", "setting"), [("2204", "1"), ("2301", "2")])
def test_fee_details_request_keeps_every_field(infno: str, setting: str) -> None:
    req = national.fee_details_request(envelope(infno, {"feedetail": [ROW, {**ROW, "feedetl_sn": "0002"}]}))
    assert req.request_id and req.institution_code == "H32118100064"
    assert req.encounter.encounter_id == "M1" and req.patient.patient_id == "P1"
    assert req.encounter.care_setting == setting
    d = req.details[0]
    assert (d.detail_sn, d.encounter_id, d.patient_id, d.occurred_at, d.item_code, d.item_name, d.quantity,
            d.unit_price.amount, d.amount.amount, d.dept_code, d.doctor_code, d.doctor_name) == (
        "0001", "M1", "P1", "2026-11-01 09:10:00", "XB05", "drug", "2", "1.50", "3.00", "A03", "D32118100101", "王")
    assert dict(d.extra) == {"medins_list_codg": "LOCAL-1", "prov_ext": '{"a": [1]}', "hosp_appr_flag": "1"}


def test_a_return_keeps_its_origin() -> None:
    req = national.fee_details_request(envelope("2204", {"feedetail": [
        {"feedetl_sn": "9", "cnt": "-1", "init_feedetl_sn": "0001"}]}))
    assert req.details[0].quantity == "-1" and req.details[0].original_detail_sn == "0001"


def test_fee_details_of_several_encounters_leave_the_encounter_open() -> None:
    req = national.fee_details_request(envelope("2204", {
        "feedetail": [ROW, {**ROW, "mdtrt_id": "M2"}]}))
    assert req.encounter.encounter_id == "" and {d.encounter_id for d in req.details} == {"M1", "M2"}


def test_fee_detail_shape_errors() -> None:
    with pytest.raises(InvalidArgument) as exc:
        national.fee_details_request(envelope("2204", {"feedetail": [ROW, 3]}))
    assert "input.feedetail[1]" in violations(exc)
    with pytest.raises(InvalidArgument) as exc:
        national.fee_details_request(envelope("2204", {"feedetail": {}}))
    assert "input.feedetail" in violations(exc)


def test_ingest_report_back_to_the_national_shape() -> None:
    req = national.fee_details_request(envelope("2204", {"feedetail": [ROW, {**ROW, "feedetl_sn": "0002"}]}))
    report = claims_pb2.IngestReport(accepted=1, rejected=1, errors=[
        claims_pb2.RowError(row=1, field="quantity", reason="not a number")])
    out = national.ingest_output(report, req.details)
    assert [r["fundguard_status"] for r in out["result"]] == ["accepted", "rejected"]
    assert out["result"][0]["feedetl_sn"] == "0001" and out["result"][0]["det_item_fee_sumamt"] == "3.00"
    assert out["errors"] == [{"row": 1, "field": "cnt", "reason": "not a number"}]  # the national name
    assert national.ingest_error_text(report) == "1 row(s) rejected: feedetail[1].cnt: not a number"
    assert national.ingest_error_text(claims_pb2.IngestReport(accepted=2)) == ""


# --- 2207/2304, 2208/2305 ---------------------------------------------------------------------

@pytest.mark.parametrize("infno", ["2207", "2304"])
def test_settle_request_with_aliases_and_extras(infno: str) -> None:
    req = national.settle_request(envelope(infno, {"data": {
        "setl_id": "S1", "mdtrt_id": "M1", "psn_no": "P1", "medfee_sumamt": Decimal("100.50"),
        "hifp_payamt": "70", "psn_cash_pay": "30.50", "setl_time": "2026-11-01 10:00:00", "invono": "INV1",
        "insutype": "310", "clr_type": "11"}}))
    assert (req.settlement_id, req.encounter_id, req.patient_id, req.total_amount.amount, req.fund_paid.amount,
            req.cash_paid.amount, req.settled_at, req.invoice_no) == (
        "S1", "M1", "P1", "100.50", "70", "30.50", "2026-11-01 10:00:00", "INV1")
    assert dict(req.extra) == {"hifp_payamt": "70", "insutype": "310", "clr_type": "11"}
    assert req.request_id and req.institution_code == "H32118100064"


def test_settle_prefers_the_national_name_over_an_alias() -> None:
    req = national.settle_request(envelope("2207", {"setlinfo": {
        "setl_id": "S1", "mdtrt_id": "M1", "hifp_payamt": "1", "fund_pay_sumamt": "2"}}))
    assert req.fund_paid.amount == "2"


def test_settle_required_fields() -> None:
    with pytest.raises(InvalidArgument) as exc:
        national.settle_request(envelope("2207", {"data": {"psn_no": "P1"}}))
    assert set(violations(exc)) == {"input.data.setl_id", "input.data.mdtrt_id"}
    with pytest.raises(InvalidArgument):
        national.settle_request(envelope("2207", {"data": "x"}))


@pytest.mark.parametrize("infno", ["2208", "2305"])
def test_reversal_request(infno: str) -> None:
    req = national.reversal_request(envelope(infno, {"data": {"setl_id": "S1", "mdtrt_id": "M1", "rea": "typo",
                                                              "prov_x": {"k": 1}}}))
    assert (req.settlement_id, req.reason, req.institution_code) == ("S1", "typo", "H32118100064")
    assert dict(req.extra) == {"mdtrt_id": "M1", "prov_x": '{"k": 1}'}  # nothing dropped
    with pytest.raises(InvalidArgument) as exc:
        national.reversal_request(envelope(infno, {"data": {}}))
    assert "input.data.setl_id" in violations(exc)


def test_settle_output() -> None:
    out = national.settle_output(claims_pb2.SettleResponse(settlement_id="S1", claim_id="H-M1", state="reversed"))
    assert out == {"setlinfo": {"setl_id": "S1", "fundguard_claim_id": "H-M1", "state": "reversed",
                                "replayed": False}}


def test_institution_codes_covers_every_encounter() -> None:
    body = sample_3101()
    body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]["medins_id"] = "H11000000001"
    assert national.institution_codes(body) == ["H32118100064", "H11000000001"]
    assert national.institution_codes(envelope("2207", {"data": {}})) == ["H32118100064"]


def test_every_supported_infno_has_a_translation() -> None:
    assert set(national.SUPPORTED_INFNOS) == {"3101", "3102", "3103", "2204", "2301", "2207", "2304", "2208", "2305"}


def test_nul_characters_are_named_wherever_they_hide() -> None:
    req = national.fee_details_request(envelope("2204", {"feedetail": [
        ROW, {**ROW, "feedetl_sn": "2", "bilg_dr_name": "a\x00b", "prov\x00k": "v", "p2": "x\x00"}]}))
    bad = national.nul_fields(req)
    assert "details[1].doctor_name" in bad
    assert any(b.startswith("details[1].extra[") for b in bad)
    assert national.nul_fields(national.fee_details_request(envelope("2204", {"feedetail": [ROW]}))) == []
    with pytest.raises(InvalidArgument) as exc:
        national.refuse_nul(claims_pb2.ListFindingsRequest(institution_code="H\x00"))
    assert "institution_code" in violations(exc)
