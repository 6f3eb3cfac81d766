"""Turning binding results from physician_codes into findings: no fee without a valid doctor
passes unnoticed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from services.claims.domain.model import ClaimRecord, FindingRecord

# A local rule: the fee is not payable when its doctor is unknown, not registered at the
# institution on that day, or suspended or terminated then (2024 national staff scheme).
BINDING_RULE = {
    "rule_id": "R-DOCTOR-BINDING",
    "rule_version": 1,
    "national_code": "",
    "rule_name": "医保医师代码无效、未备案或暂停/终止期间提供服务",
    "tier": "A",
    "result_type": "definite",
    "basis": "《医疗保障基金使用监督管理条例》第十五条；医保支付资格管理规定：暂停或终止期间发生的费用不予支付",
}
NOT_VALID = {"missing_code", "unknown_code", "not_registered", "suspended", "terminated"}

# What a binding's verdict depends on: the ordering doctor's code, the institution and the day.
BindingQuestion = tuple[str, str, date]


def binding_questions(claims: Iterable[ClaimRecord]) -> dict[BindingQuestion, int]:
    """The distinct questions the claims' fee lines ask, numbered in order of first appearance.
    An encounter's lines share a doctor or two and a few days, so a 50-line check asks one or
    two questions rather than fifty."""
    asked: dict[BindingQuestion, int] = {}
    for claim in claims:
        for line in claim.lines:
            asked.setdefault((line.doctor_code, claim.institution_code, line.service_date), len(asked))
    return asked


def line_verdicts(claims: Iterable[ClaimRecord], asked: Mapping[BindingQuestion, int],
                  verdicts: Sequence[tuple[str, str] | None]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each question's verdict (status, detail; None for none) given back to the lines that
    asked it, keyed by claim id and line id; a line id met twice in a claim keeps its last."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if not any(verdicts):
        return out
    for claim in claims:
        for line in claim.lines:
            verdict = verdicts[asked[line.doctor_code, claim.institution_code, line.service_date]]
            if verdict is not None:
                out[claim.claim_id, line.line_id] = verdict
            else:
                out.pop((claim.claim_id, line.line_id), None)
    return out


def findings_from_bindings(claims: Iterable[ClaimRecord],
                           results: Mapping[tuple[str, str], tuple[str, str]]) -> list[FindingRecord]:
    """One finding per fee line whose binding (keyed by claim id and line id) is not valid."""
    out: list[FindingRecord] = []
    if not results:
        return out
    for claim in claims:
        for line in claim.lines:
            status, detail = results.get((claim.claim_id, line.line_id), ("valid", ""))
            if status not in NOT_VALID or line.quantity <= 0:
                continue
            out.append(FindingRecord(
                **BINDING_RULE,  # type: ignore[arg-type]
                claim_id=claim.claim_id, encounter_id=claim.encounter_id, patient_id=claim.patient_id,
                institution_code=claim.institution_code, doctor_code=line.doctor_code,
                line_ids=(line.line_id,), amount=line.amount,
                explanation=f"{line.item_name or line.item_code}：{detail}，该明细不予支付",
                evidence=json.dumps({"binding": status, "doctor_code": line.doctor_code,
                                     "service_date": line.service_date.isoformat()}, ensure_ascii=False),
                service_date=line.service_date,
            ))
    return out
