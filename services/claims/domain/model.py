"""The claims domain: claims (encounters with their fee lines) and the findings on them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


def claim_id_for(institution_code: str, encounter_id: str) -> str:
    """A claim is one encounter at one institution; its id is stable across re-uploads."""
    return f"{institution_code}-{encounter_id}"


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str
    name: str
    gender: str
    birth_date: date | None
    death_date: date | None
    insurance_type: str


@dataclass(frozen=True, init=False)
class LineRecord:
    line_id: str
    item_code: str
    item_name: str
    item_type: str
    item_class: str
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    service_date: date
    dept_code: str
    doctor_code: str
    doctor_name: str
    original_line_id: str

    def __init__(self, line_id: str, item_code: str, item_name: str, item_type: str, item_class: str,
                 quantity: Decimal, unit_price: Decimal | None, amount: Decimal, service_date: date,
                 dept_code: str, doctor_code: str, doctor_name: str, original_line_id: str) -> None:
        # One per fee line read (real-time checks, the audit's loader): set in one step, at
        # half the cost of the generated __init__'s object.__setattr__ per field.
        self.__dict__.update(
            line_id=line_id, item_code=item_code, item_name=item_name, item_type=item_type, item_class=item_class,
            quantity=quantity, unit_price=unit_price, amount=amount, service_date=service_date,
            dept_code=dept_code, doctor_code=doctor_code, doctor_name=doctor_name, original_line_id=original_line_id)


@dataclass(frozen=True)
class ClaimRecord:
    claim_id: str
    encounter_id: str
    institution_code: str
    institution_level: str
    patient_id: str
    care_setting: str
    med_type: str
    admission_date: date | None
    discharge_date: date | None
    doctor_code: str
    dept_code: str
    insurance_type: str
    total_amount: Decimal | None
    diagnoses: list[dict[str, object]]
    procedures: list[dict[str, object]]
    lines: list[LineRecord]
    invoice_no: str = ""


@dataclass(frozen=True)
class FindingRecord:
    rule_id: str
    rule_version: int
    national_code: str
    rule_name: str
    tier: str
    result_type: str
    claim_id: str
    encounter_id: str
    patient_id: str
    institution_code: str
    doctor_code: str
    line_ids: tuple[str, ...]
    amount: Decimal
    explanation: str
    basis: str
    evidence: str
    service_date: date | None
    state: str = "found"
    finding_id: str = field(default="")

    def with_id(self, scope: str) -> FindingRecord:
        """A deterministic id, so that storing the same finding twice is a no-op."""
        key = "|".join([scope, self.claim_id, self.rule_id, str(self.rule_version), *sorted(self.line_ids)])
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return FindingRecord(**{**self.__dict__, "finding_id": "F" + digest})
