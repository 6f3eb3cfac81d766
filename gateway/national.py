"""The national interface: envelopes, and each transaction's input and output shapes.

Pure translation between the national JSON and Fundguard's contracts; no I/O. Unknown
fields are accepted (provinces add them) and never cause an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.runtime.errors import FieldViolation, InvalidArgument

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENVELOPE_REQUIRED = ("infno", "msgid", "fixmedins_code", "input")
MSGID = re.compile(r"^[A-Za-z0-9]{12}\d{14}\d{4}$")
ANALYSIS_INFNOS = {"3101": common_pb2.MOMENT_PRE, "3102": common_pb2.MOMENT_IN}


def now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# Decimals, not floats: amounts must survive to the cent. msgspec hands each number with a
# fraction or exponent over as its literal text, as json's parse_float does.
_decode = msgspec.json.Decoder(float_hook=Decimal).decode
# Below this many '[' and '{' no body can nest deep enough for either parser's recursion
# limit (both near 1,000 levels, minus the stack below them), so the two agree.
_SHALLOW = 500


def parse_body(raw: bytes) -> Any:
    """The request body as JSON, exactly as ``json.loads(raw, parse_float=Decimal)`` reads
    it: same values, same errors. msgspec parses in half the time, but is stricter (no NaN,
    BOM, UTF-16 or lone surrogates) and words its errors differently: whatever it refuses,
    and any body that could nest deeply, goes to the standard library, which decides."""
    if raw.count(b"[") + raw.count(b"{") < _SHALLOW:
        try:
            return _decode(raw)
        except (ValueError, RecursionError):
            pass
    return json.loads(raw, parse_float=Decimal)


def check_envelope(body: Any) -> dict[str, Any]:
    """The envelope's own fields; InvalidArgument names each missing or malformed one."""
    if not isinstance(body, dict):
        raise InvalidArgument([FieldViolation("body", "must be a JSON object (the national envelope)")])
    problems = [FieldViolation(f, "required") for f in ENVELOPE_REQUIRED if body.get(f) in (None, "")]
    msgid = _text(body.get("msgid"))
    if msgid and not MSGID.match(msgid):
        problems.append(FieldViolation("msgid", "must be 30 characters: institution code (12), "
                                                "yyyyMMddHHmmss and a 4-digit sequence"))
    if body.get("input") is not None and not isinstance(body.get("input"), dict):
        problems.append(FieldViolation("input", "must be a JSON object"))
    if problems:
        raise InvalidArgument(problems)
    return body


def response(msgid: str, output: Mapping[str, Any] | None, err: str = "") -> dict[str, Any]:
    t = now_text()
    return {"infcode": -1 if err else 0, "inf_refmsgid": msgid, "refmsg_time": t, "respond_time": t,
            "err_msg": err, "output": dict(output or {})}


def _list(obj: Mapping[str, Any], key: str, at: str, problems: list[FieldViolation]) -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        problems.append(FieldViolation(f"{at}.{key}", "must be a list"))
        return []
    return value


def _flag(value: Any) -> bool:
    return _text(value) in ("1", "true", "True", "Y")


def _t(value: Any) -> str:
    """``_text``, with the common case (the JSON held text) first: called ~15 times a line."""
    return value if value.__class__ is str else _text(value)


def analysis_cases(data: Mapping[str, Any], fixmedins_code: str) -> list[common_pb2.PatientCase]:
    """3101/3102 ``input.data.patient_dtos`` as PatientCases; shapes are checked here,
    values (dates, amounts) by the claims service."""
    problems: list[FieldViolation] = []
    at = "input.data"
    cases: list[common_pb2.PatientCase] = []
    t = _t
    for pi, p in enumerate(_list(data, "patient_dtos", at, problems)):
        pat = f"{at}.patient_dtos[{pi}]"
        if not isinstance(p, dict):
            problems.append(FieldViolation(pat, "must be an object"))
            continue
        case = common_pb2.PatientCase(patient=common_pb2.Patient(
            patient_id=t(p.get("patn_id")), name=t(p.get("patn_name")), gender=t(p.get("gend")),
            birth_date=t(p.get("brdy"))[:10], pool_area=t(p.get("poolarea")),
            death_date=t(p.get("death_date"))[:10], insurance_type=t(p.get("insutype")),
        ))
        for ei, e in enumerate(_list(p, "fsi_encounter_dtos", pat, problems)):
            eat = f"{pat}.fsi_encounter_dtos[{ei}]"
            if not isinstance(e, dict):
                problems.append(FieldViolation(eat, "must be an object"))
                continue
            adm_date = t(e.get("adm_date"))[:10]
            enc = case.encounters.add(
                encounter_id=t(e.get("mdtrt_id")), institution_code=t(e.get("medins_id")) or fixmedins_code,
                institution_level=t(e.get("medins_lv")), care_setting=t(e.get("med_mdtrt_type")),
                med_type=t(e.get("med_type")), admission_date=adm_date,
                discharge_date=t(e.get("dscg_date"))[:10], doctor_code=t(e.get("dr_codg")),
                dept_code=t(e.get("adm_dept_codg") or e.get("dscg_dept_codg")),
                insurance_type=t(e.get("insutype")) or case.patient.insurance_type,
            )
            enc.total_amount.amount = t(e.get("medfee_sumamt"))
            enc.fund_paid.amount = t(e.get("hifp_payamt"))
            main = t(e.get("dscg_main_dise_codg"))
            for d in _list(e, "fsi_diagnose_dtos", eat, problems):
                if isinstance(d, dict):
                    code = t(d.get("dise_codg"))
                    enc.diagnoses.add(code=code, name=t(d.get("dise_name")),
                                      main=_flag(d.get("maindise_flag")) or code == main)
            if main and main not in [d.code for d in enc.diagnoses]:
                enc.diagnoses.add(code=main, main=True)
            for o in _list(e, "fsi_operation_dtos", eat, problems):
                if isinstance(o, dict):
                    enc.procedures.add(code=t(o.get("oprn_code") or o.get("oprn_oprt_code")),
                                       name=t(o.get("oprn_name") or o.get("oprn_oprt_name")),
                                       main=_flag(o.get("main_oprn_flag")))
            # The order lines are most of the work: submessage fields are set in place
            # (building Money messages to copy in costs as much as the rest of a line).
            add_line = enc.lines.add
            for oi, o in enumerate(_list(e, "fsi_order_dtos", eat, problems)):
                if not isinstance(o, dict):
                    problems.append(FieldViolation(f"{eat}.fsi_order_dtos[{oi}]", "must be an object"))
                    continue
                g = o.get
                line = add_line(
                    line_id=t(g("rx_id")), item_code=t(g("hilist_code")), item_name=t(g("hilist_name")),
                    item_type=t(g("hilist_type")), item_class=t(g("hilist_lv")), quantity=t(g("cnt")),
                    service_date=(t(g("drord_begn_date")) or adm_date)[:10], dept_code=t(g("drord_dept_codg")),
                    doctor_code=t(g("drord_dr_codg")), doctor_name=t(g("drord_dr_name")),
                )
                line.unit_price.amount = t(g("pric"))
                line.amount.amount = t(g("sumamt"))
        cases.append(case)
    if problems:
        raise InvalidArgument(problems)
    return cases


def analysis_result(findings: Sequence[common_pb2.Finding], task_id: str) -> dict[str, Any]:
    """Findings in the 3101 output shape, one result per finding with its line details."""
    result = []
    for f in findings:
        result.append({
            "jr_id": f.finding_id, "rule_id": f.rule_id, "rule_name": f.rule_name, "vola_cont": f.explanation,
            "task_id": task_id, "patn_id": f.patient_id, "mdtrt_id": f.encounter_id,
            "vola_amt": f.amount.amount, "vola_amt_stas": "1" if f.tier == "A" else "0",
            "sev_deg": "明确违规" if f.result_type == "definite" else "可疑",
            "vola_evid": f.basis, "vola_bhvr_type": f.national_code or f.rule_id,
            "fundguard_claim_id": f.claim_id, "fundguard_tier": f.tier,
            "judge_result_detail_dtos": [
                {"jrd_id": f"{f.finding_id}-{i}", "rx_id": rx, "vola_item_type": "1",
                 "vola_amt": f.amount.amount if len(f.line_ids) == 1 else ""}
                for i, rx in enumerate(f.line_ids, 1)
            ],
        })
    return {"result": result}


# --- 3103 feedback, ingestion (2204/2301, 2207/2304, 2208/2305) --------------------------------

FEEDBACK_INFNO = "3103"
FEE_DETAIL_INFNOS = ("2204", "2301")      # outpatient / inpatient fee-detail upload
SETTLE_INFNOS = ("2207", "2304")          # outpatient / inpatient settlement
REVERSAL_INFNOS = ("2208", "2305")        # outpatient / inpatient settlement reversal
SUPPORTED_INFNOS = (*ANALYSIS_INFNOS, FEEDBACK_INFNO, *FEE_DETAIL_INFNOS, *SETTLE_INFNOS, *REVERSAL_INFNOS)

# National fee-detail field -> FeeDetail field. Everything else on the row goes to ``extra``.
FEE_DETAIL_FIELDS = {
    "feedetl_sn": "detail_sn", "mdtrt_id": "encounter_id", "psn_no": "patient_id",
    "fee_ocur_time": "occurred_at", "med_list_codg": "item_code", "med_list_name": "item_name",
    "list_type": "item_type", "cnt": "quantity", "bilg_dept_codg": "dept_code",
    "bilg_dr_codg": "doctor_code", "bilg_dr_name": "doctor_name", "init_feedetl_sn": "original_detail_sn",
}
FEE_DETAIL_MONEY = {"pric": "unit_price", "det_item_fee_sumamt": "amount"}
SETTLE_FIELDS = {"setl_id": "settlement_id", "mdtrt_id": "encounter_id", "psn_no": "patient_id",
                 "setl_time": "settled_at", "invono": "invoice_no"}
SETTLE_MONEY = {"medfee_sumamt": "total_amount", "fund_pay_sumamt": "fund_paid", "psn_cash_pay": "cash_paid"}
# Aliases some provinces use for the same facts; the first present wins.
SETTLE_ALIASES = {"hifp_payamt": "fund_pay_sumamt", "invoice_no": "invono"}


def _extra_text(value: Any) -> str:
    """A province field we do not model, kept as text: scalars as they came, objects as JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=_text, sort_keys=True)
    return _text(value)


def _data_object(envelope: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """``input.data`` (or the first of ``keys`` present) as an object, else InvalidArgument."""
    inp = envelope["input"]
    for key in ("data", *keys):
        value = inp.get(key)
        if value is not None:
            if not isinstance(value, dict):
                raise InvalidArgument([FieldViolation(f"input.{key}", "must be a JSON object")])
            return value
    raise InvalidArgument([FieldViolation("input.data", "required: a JSON object")])


def feedback_request(envelope: Mapping[str, Any]) -> Any:
    """3103: ``input.data`` is one warning's answer or a list of them (``input.data`` or
    ``input.warns``): ``warn_rslt_id``, ``dspo_way`` (1 continue, 2 go back and change),
    ``dspo_way_rea`` (the reason, required when continuing)."""
    inp = envelope["input"]
    raw = inp.get("data") if inp.get("data") is not None else inp.get("warns")
    at = "input.data" if inp.get("data") is not None else "input.warns"
    if isinstance(raw, dict):
        items: list[Any] = [raw]
        paths = [at]
    elif isinstance(raw, list):
        items = raw
        paths = [f"{at}[{i}]" for i in range(len(raw))]
    else:
        raise InvalidArgument([FieldViolation("input.data", "required: a warning answer or a list of them")])
    problems: list[FieldViolation] = []
    feedback = []
    for path, item in zip(paths, items, strict=True):
        if not isinstance(item, dict):
            problems.append(FieldViolation(path, "must be an object"))
            continue
        warning_id = _text(item.get("warn_rslt_id") or item.get("jr_id"))
        disposal = _text(item.get("dspo_way"))
        reason = _text(item.get("dspo_way_rea") or item.get("reason"))
        if not warning_id:
            problems.append(FieldViolation(f"{path}.warn_rslt_id", "required"))
        if disposal not in ("1", "2"):
            problems.append(FieldViolation(f"{path}.dspo_way", "must be 1 (continue) or 2 (go back and change)"))
        elif disposal == "1" and not reason:
            problems.append(FieldViolation(f"{path}.dspo_way_rea", "required when continuing after a warning"))
        feedback.append(claims_pb2.WarningFeedback(warning_id=warning_id, disposal=disposal, reason=reason))
    if problems:
        raise InvalidArgument(problems)
    return claims_pb2.RecordFeedbackRequest(request_id=_text(envelope["msgid"]), feedback=feedback,
                                            actor=_text(envelope.get("opter")),
                                            institution_code=_text(envelope["fixmedins_code"]))


def feedback_output(reply: Any) -> dict[str, Any]:
    return {"recorded": int(reply.recorded), "replayed": bool(reply.replayed)}


def fee_detail(row: Mapping[str, Any]) -> Any:
    """One ``feedetail[]`` row as a FeeDetail; unknown fields are kept in ``extra``."""
    detail = claims_pb2.FeeDetail()
    for key, value in row.items():
        if key in FEE_DETAIL_FIELDS:
            setattr(detail, FEE_DETAIL_FIELDS[key], _text(value))
        elif key in FEE_DETAIL_MONEY:
            getattr(detail, FEE_DETAIL_MONEY[key]).amount = _text(value)
        elif key in ("hilist_name", "medins_list_name") and not row.get("med_list_name"):
            detail.item_name = _text(value)
            detail.extra[key] = _text(value)
        else:
            detail.extra[key] = _extra_text(value)
    return detail


def fee_detail_rows(envelope: Mapping[str, Any]) -> list[Any]:
    """2204/2301 ``input.feedetail[]`` rows; rows that are not objects are named."""
    inp = envelope["input"]
    rows = inp.get("feedetail")
    if rows is None and isinstance(inp.get("data"), dict):
        rows = inp["data"].get("feedetail")
    if not isinstance(rows, list) or not rows:
        raise InvalidArgument([FieldViolation("input.feedetail", "required: a non-empty list of fee-detail rows")])
    problems = [FieldViolation(f"input.feedetail[{i}]", "must be an object")
                for i, r in enumerate(rows) if not isinstance(r, dict)]
    if problems:
        raise InvalidArgument(problems)
    return [fee_detail(r) for r in rows]


def fee_details_request(envelope: Mapping[str, Any], institution_level: str = "") -> Any:
    details = fee_detail_rows(envelope)
    inp = envelope["input"]
    mdtrt = inp.get("mdtrtinfo") if isinstance(inp.get("mdtrtinfo"), dict) else {}
    encounter_ids = {d.encounter_id for d in details}
    patient_ids = {d.patient_id for d in details}
    encounter = common_pb2.Encounter(
        encounter_id=_text(mdtrt.get("mdtrt_id")) or (encounter_ids.pop() if len(encounter_ids) == 1 else ""),
        institution_code=_text(envelope["fixmedins_code"]),
        med_type=_text(mdtrt.get("med_type")), insurance_type=_text(mdtrt.get("insutype")),
        care_setting="2" if _text(envelope["infno"]) == "2301" else "1",
    )
    patient = common_pb2.Patient(
        patient_id=_text(mdtrt.get("psn_no")) or (patient_ids.pop() if len(patient_ids) == 1 else ""))
    return claims_pb2.UploadFeeDetailsRequest(
        request_id=_text(envelope["msgid"]), institution_code=_text(envelope["fixmedins_code"]),
        institution_level=institution_level or _text(mdtrt.get("medins_lv")),
        encounter=encounter, patient=patient, details=details)


# FeeDetail field (as claims names a bad row's field) -> the national field the caller sent.
NATIONAL_FEE_FIELD = {v: k for k, v in {**FEE_DETAIL_FIELDS, **FEE_DETAIL_MONEY}.items()}
NATIONAL_FEE_FIELD["institution_code"] = "fixmedins_code"


def national_field(field: str) -> str:
    """A row error's field in the caller's words (``detail_sn`` -> ``feedetl_sn``); a field
    with no national name (or already national) is kept as it came."""
    return NATIONAL_FEE_FIELD.get(field, field)


def ingest_output(report: Any, details: Sequence[Any] = ()) -> dict[str, Any]:
    """An IngestReport in the national output shape: ``result[]`` per uploaded row (in order)
    plus the counts and each rejected row's field and reason."""
    bad = {int(e.row) for e in report.errors}
    return {
        "result": [{"feedetl_sn": d.detail_sn, "det_item_fee_sumamt": d.amount.amount, "cnt": d.quantity,
                    "pric": d.unit_price.amount, "fundguard_status": "rejected" if i in bad else "accepted"}
                   for i, d in enumerate(details)],
        "accepted": int(report.accepted), "duplicates": int(report.duplicates), "rejected": int(report.rejected),
        "errors": [{"row": int(e.row), "field": national_field(e.field), "reason": e.reason} for e in report.errors],
        "replayed": bool(report.replayed),
    }


def ingest_error_text(report: Any) -> str:
    """The err_msg when some rows were refused: every row, field and reason."""
    if not report.rejected and not report.errors:
        return ""
    return f"{int(report.rejected)} row(s) rejected: " + "; ".join(
        f"feedetail[{int(e.row)}].{national_field(e.field)}: {e.reason}" for e in report.errors)


def settle_request(envelope: Mapping[str, Any]) -> Any:
    """2207/2304 ``input.data`` (or ``input.setlinfo``) as a SettleRequest; extras kept."""
    data = _data_object(envelope, "setlinfo")
    req = claims_pb2.SettleRequest(request_id=_text(envelope["msgid"]),
                                   institution_code=_text(envelope["fixmedins_code"]))
    for key, value in data.items():
        canon = SETTLE_ALIASES.get(key, key)
        if canon in SETTLE_FIELDS:
            if not getattr(req, SETTLE_FIELDS[canon]) or key == canon:
                setattr(req, SETTLE_FIELDS[canon], _text(value))
            if key != canon:
                req.extra[key] = _extra_text(value)
        elif canon in SETTLE_MONEY:
            money = getattr(req, SETTLE_MONEY[canon])
            if not money.amount or key == canon:
                money.amount = _text(value)
            if key != canon:
                req.extra[key] = _extra_text(value)
        else:
            req.extra[key] = _extra_text(value)
    problems = [FieldViolation(f"input.data.{k}", "required") for k in ("setl_id", "mdtrt_id")
                if not getattr(req, SETTLE_FIELDS[k])]
    if problems:
        raise InvalidArgument(problems)
    return req


def reversal_request(envelope: Mapping[str, Any]) -> Any:
    """2208/2305: ``input.data.setl_id`` is the settlement being reversed."""
    data = _data_object(envelope, "setlinfo")
    settlement_id = _text(data.get("setl_id"))
    if not settlement_id:
        raise InvalidArgument([FieldViolation("input.data.setl_id", "required: the settlement to reverse")])
    reason_key = next((k for k in ("rea", "reason", "memo") if data.get(k)), "")
    req = claims_pb2.ReverseSettlementRequest(
        request_id=_text(envelope["msgid"]), settlement_id=settlement_id,
        institution_code=_text(envelope["fixmedins_code"]), reason=_text(data.get(reason_key)) if reason_key else "")
    for key, value in data.items():
        if key not in ("setl_id", reason_key):
            req.extra[key] = _extra_text(value)  # mdtrt_id, psn_no and province fields: kept
    return req


def settle_output(reply: Any) -> dict[str, Any]:
    return {"setlinfo": {"setl_id": reply.settlement_id, "fundguard_claim_id": reply.claim_id,
                         "state": reply.state, "replayed": bool(reply.replayed)}}


def institution_codes(envelope: Mapping[str, Any]) -> list[str]:
    """Every institution a request speaks for: the envelope's and each encounter's medins_id,
    so that a caller's scope can be checked against all of them."""
    codes = [_text(envelope.get("fixmedins_code"))]
    inp = envelope.get("input")
    data = inp.get("data") if isinstance(inp, dict) else None
    if isinstance(data, dict) and isinstance(data.get("patient_dtos"), list):
        for p in data["patient_dtos"]:
            if isinstance(p, dict) and isinstance(p.get("fsi_encounter_dtos"), list):
                codes += [_text(e.get("medins_id")) for e in p["fsi_encounter_dtos"]
                          if isinstance(e, dict) and e.get("medins_id")]
    return list(dict.fromkeys(c for c in codes if c))


def analysis_request(envelope: Mapping[str, Any]) -> claims_pb2.AnalyzeRequest:
    """3101/3102 as an AnalyzeRequest (the msgid is the idempotency key)."""
    data = envelope["input"].get("data")
    if not isinstance(data, dict):
        raise InvalidArgument([FieldViolation("input.data", "required: an object")])
    cases = analysis_cases(data, _text(envelope["fixmedins_code"]))
    rule_ids = data.get("rule_ids") or []
    if isinstance(rule_ids, str):
        rule_ids = [r for r in rule_ids.split(",") if r]
    if not isinstance(rule_ids, list):
        raise InvalidArgument([FieldViolation("input.data.rule_ids", "must be a list or a comma-separated text")])
    return claims_pb2.AnalyzeRequest(
        request_id=_text(envelope["msgid"]), moment=ANALYSIS_INFNOS[_text(envelope["infno"])],
        trigger_scene=_text(data.get("trig_scen")), task_id=_text(data.get("task_id")),
        rule_ids=[_text(r) for r in rule_ids], cases=cases)


def nul_fields(message: Any, at: str = "") -> list[str]:
    """Fields whose text holds a NUL character, which PostgreSQL text cannot store: refused
    here, by name, rather than failing deep inside a service."""
    found: list[str] = []
    for field, value in message.ListFields():
        path = f"{at}.{field.name}" if at else field.name
        if field.type == field.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                found += [f"{path}[{k!r}]" for k, v in value.items()
                          if "\x00" in str(k) or (isinstance(v, str) and "\x00" in v)]
            elif field.is_repeated:
                for i, item in enumerate(value):
                    found += nul_fields(item, f"{path}[{i}]")
            else:
                found += nul_fields(value, path)
        elif field.type == field.TYPE_STRING:
            values = value if field.is_repeated else [value]
            found += [path for v in values if "\x00" in v][:1]
    return found


def refuse_nul(message: Any) -> None:
    bad = nul_fields(message)
    if bad:
        raise InvalidArgument([FieldViolation(f, "must not contain a NUL character") for f in bad[:50]])
