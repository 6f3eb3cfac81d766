"""The national interface: envelopes and the 3101/3102 request and result shapes.

Pure translation between the national JSON and Fundguard's contracts; no I/O. Unknown
fields are accepted (provinces add them) and never cause an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

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


def analysis_cases(data: Mapping[str, Any], fixmedins_code: str) -> list[common_pb2.PatientCase]:
    """3101/3102 ``input.data.patient_dtos`` as PatientCases; shapes are checked here,
    values (dates, amounts) by the claims service."""
    problems: list[FieldViolation] = []
    at = "input.data"
    cases: list[common_pb2.PatientCase] = []
    for pi, p in enumerate(_list(data, "patient_dtos", at, problems)):
        pat = f"{at}.patient_dtos[{pi}]"
        if not isinstance(p, dict):
            problems.append(FieldViolation(pat, "must be an object"))
            continue
        case = common_pb2.PatientCase(patient=common_pb2.Patient(
            patient_id=_text(p.get("patn_id")), name=_text(p.get("patn_name")), gender=_text(p.get("gend")),
            birth_date=_text(p.get("brdy"))[:10], pool_area=_text(p.get("poolarea")),
            death_date=_text(p.get("death_date"))[:10], insurance_type=_text(p.get("insutype")),
        ))
        for ei, e in enumerate(_list(p, "fsi_encounter_dtos", pat, problems)):
            eat = f"{pat}.fsi_encounter_dtos[{ei}]"
            if not isinstance(e, dict):
                problems.append(FieldViolation(eat, "must be an object"))
                continue
            adm_date = _text(e.get("adm_date"))[:10]
            enc = case.encounters.add(
                encounter_id=_text(e.get("mdtrt_id")), institution_code=_text(e.get("medins_id")) or fixmedins_code,
                institution_level=_text(e.get("medins_lv")), care_setting=_text(e.get("med_mdtrt_type")),
                med_type=_text(e.get("med_type")), admission_date=adm_date,
                discharge_date=_text(e.get("dscg_date"))[:10], doctor_code=_text(e.get("dr_codg")),
                dept_code=_text(e.get("adm_dept_codg") or e.get("dscg_dept_codg")),
                insurance_type=_text(e.get("insutype")) or case.patient.insurance_type,
                total_amount=common_pb2.Money(amount=_text(e.get("medfee_sumamt"))),
                fund_paid=common_pb2.Money(amount=_text(e.get("hifp_payamt"))),
            )
            main = _text(e.get("dscg_main_dise_codg"))
            for d in _list(e, "fsi_diagnose_dtos", eat, problems):
                if isinstance(d, dict):
                    code = _text(d.get("dise_codg"))
                    enc.diagnoses.add(code=code, name=_text(d.get("dise_name")),
                                      main=_flag(d.get("maindise_flag")) or code == main)
            if main and main not in [d.code for d in enc.diagnoses]:
                enc.diagnoses.add(code=main, main=True)
            for o in _list(e, "fsi_operation_dtos", eat, problems):
                if isinstance(o, dict):
                    enc.procedures.add(code=_text(o.get("oprn_code") or o.get("oprn_oprt_code")),
                                       name=_text(o.get("oprn_name") or o.get("oprn_oprt_name")),
                                       main=_flag(o.get("main_oprn_flag")))
            for oi, o in enumerate(_list(e, "fsi_order_dtos", eat, problems)):
                if not isinstance(o, dict):
                    problems.append(FieldViolation(f"{eat}.fsi_order_dtos[{oi}]", "must be an object"))
                    continue
                enc.lines.add(
                    line_id=_text(o.get("rx_id")), item_code=_text(o.get("hilist_code")),
                    item_name=_text(o.get("hilist_name")), item_type=_text(o.get("hilist_type")),
                    item_class=_text(o.get("hilist_lv")), quantity=_text(o.get("cnt")),
                    unit_price=common_pb2.Money(amount=_text(o.get("pric"))),
                    amount=common_pb2.Money(amount=_text(o.get("sumamt"))),
                    service_date=(_text(o.get("drord_begn_date")) or adm_date)[:10],
                    dept_code=_text(o.get("drord_dept_codg")), doctor_code=_text(o.get("drord_dr_codg")),
                    doctor_name=_text(o.get("drord_dr_name")),
                )
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
