"""Stored claims as the wire's PatientCase: what rules judges, with the look-back history."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date

from fundguard.common.v1 import common_pb2
from fundguard.runtime.wire import money
from services.claims.domain.model import ClaimRecord, PatientRecord

DEFAULT_LOOKBACK_DAYS = 90


def lookback_days() -> int:
    """How far back a patient's history is loaded for rules (FUNDGUARD_LOOKBACK_DAYS, default 90)."""
    raw = os.environ.get("FUNDGUARD_LOOKBACK_DAYS", str(DEFAULT_LOOKBACK_DAYS))
    if not raw.isdigit():
        raise ValueError(f"FUNDGUARD_LOOKBACK_DAYS must be a whole number of days, got {raw!r}")
    return int(raw)


def _day(d: date | None) -> str:
    return d.isoformat() if d else ""


def patient_proto(p: PatientRecord) -> common_pb2.Patient:
    return common_pb2.Patient(patient_id=p.patient_id, name=p.name, gender=p.gender, birth_date=_day(p.birth_date),
                              death_date=_day(p.death_date), insurance_type=p.insurance_type)


def encounter_proto(c: ClaimRecord) -> common_pb2.Encounter:
    lines = c.lines
    return common_pb2.Encounter(
        encounter_id=c.encounter_id, institution_code=c.institution_code, institution_level=c.institution_level,
        care_setting=c.care_setting, med_type=c.med_type, admission_date=_day(c.admission_date),
        discharge_date=_day(c.discharge_date), doctor_code=c.doctor_code, dept_code=c.dept_code,
        insurance_type=c.insurance_type, total_amount=money(c.total_amount), claim_id=c.claim_id,
        invoice_no=c.invoice_no,
        diagnoses=[common_pb2.Diagnosis(code=str(d.get("code", "")), name=str(d.get("name", "")),
                                        main=bool(d.get("main"))) for d in c.diagnoses],
        procedures=[common_pb2.Procedure(code=str(x.get("code", "")), name=str(x.get("name", "")),
                                         main=bool(x.get("main"))) for x in c.procedures],
        lines=[common_pb2.FeeLine(
            line_id=ln.line_id, item_code=ln.item_code, item_name=ln.item_name, item_type=ln.item_type,
            item_class=ln.item_class, quantity=str(ln.quantity), unit_price=money(ln.unit_price),
            amount=money(ln.amount), service_date=ln.service_date.isoformat(), dept_code=ln.dept_code,
            doctor_code=ln.doctor_code, doctor_name=ln.doctor_name, original_line_id=ln.original_line_id)
            for ln in lines],
    )


def period_cases(people: Mapping[str, PatientRecord], records: Sequence[ClaimRecord], start: date, end: date
                 ) -> tuple[list[common_pb2.PatientCase], list[ClaimRecord]]:
    """Each patient's claims with lines served in [start, end) to judge (those lines only), and
    their other claims of the look-back window as history.

    A claim whose lines straddle the period start is judged on its in-period lines; its earlier
    lines were judged in their own month's run.
    """
    judged: list[ClaimRecord] = []
    by_patient: dict[str, common_pb2.PatientCase] = {}
    for c in records:
        case = by_patient.get(c.patient_id)
        if case is None:
            case = by_patient[c.patient_id] = common_pb2.PatientCase(patient=patient_proto(people[c.patient_id]))
        inside = [ln for ln in c.lines if start <= ln.service_date < end]
        if inside:
            judged_claim = ClaimRecord(**{**c.__dict__, "lines": inside})
            judged.append(judged_claim)
            case.encounters.append(encounter_proto(judged_claim))
        else:
            case.history.append(encounter_proto(c))
    return [c for c in by_patient.values() if c.encounters], judged
