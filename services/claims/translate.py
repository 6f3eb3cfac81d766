"""Findings between the wire and the domain."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc_pb
from fundguard.runtime.errors import FieldViolation
from fundguard.runtime.wire import date_or_none, decimal_or_none, money
from services.claims.domain.binding import NOT_VALID
from services.claims.domain.model import FindingRecord

BINDING_NAMES = {
    pc_pb.BINDING_STATUS_VALID: "valid", pc_pb.BINDING_STATUS_MISSING_CODE: "missing_code",
    pc_pb.BINDING_STATUS_UNKNOWN_CODE: "unknown_code", pc_pb.BINDING_STATUS_NOT_REGISTERED: "not_registered",
    pc_pb.BINDING_STATUS_SUSPENDED: "suspended", pc_pb.BINDING_STATUS_TERMINATED: "terminated",
}


def not_valid_bindings(results: Iterable[pc_pb.BindingResult]) -> dict[str, tuple[str, str]]:
    """The answers that a binding is not valid, by the line id the question carried: the
    status's name and physician_codes' detail. Only these make findings, and there are
    usually none, so valid answers are not kept; a later answer about the same line id still
    overrides an earlier one."""
    out: dict[str, tuple[str, str]] = {}
    for b in results:
        name = BINDING_NAMES.get(b.status, "valid")
        if name in NOT_VALID:
            out[b.line_id] = (name, b.detail)
        elif out:
            out.pop(b.line_id, None)
    return out


def finding_to_proto(f: dict[str, Any] | FindingRecord) -> common_pb2.Finding:
    d = f if isinstance(f, dict) else f.__dict__
    day = d.get("service_date")
    evidence = d["evidence"]
    return common_pb2.Finding(
        finding_id=d["finding_id"], rule_id=d["rule_id"], rule_version=d["rule_version"],
        national_code=d["national_code"], rule_name=d["rule_name"], tier=d["tier"], result_type=d["result_type"],
        claim_id=d["claim_id"], encounter_id=d["encounter_id"], patient_id=d["patient_id"],
        institution_code=d["institution_code"], doctor_code=d["doctor_code"], line_ids=list(d["line_ids"]),
        amount=money(d["amount"]), explanation=d["explanation"], basis=d["basis"],
        evidence_json=evidence if isinstance(evidence, str) else json.dumps(evidence, ensure_ascii=False),
        service_date=day.isoformat() if day else "", state=d.get("state", "found"),
    )


def finding_from_rules(f: common_pb2.Finding, doctor_by_line: dict[tuple[str, str], str]) -> FindingRecord:
    problems: list[FieldViolation] = []
    amount = decimal_or_none(f.amount.amount, "finding.amount", problems, required=True)
    if amount is None:
        raise RuntimeError(f"rules returned a finding without an amount: {problems}")
    doctor = doctor_by_line.get((f.claim_id, f.line_ids[0]), "") if f.line_ids else ""
    return FindingRecord(
        rule_id=f.rule_id, rule_version=f.rule_version, national_code=f.national_code, rule_name=f.rule_name,
        tier=f.tier, result_type=f.result_type, claim_id=f.claim_id, encounter_id=f.encounter_id,
        patient_id=f.patient_id, institution_code=f.institution_code, doctor_code=f.doctor_code or doctor,
        line_ids=tuple(f.line_ids), amount=amount, explanation=f.explanation, basis=f.basis,
        evidence=f.evidence_json, service_date=date_or_none(f.service_date, "finding.service_date", problems),
    )
