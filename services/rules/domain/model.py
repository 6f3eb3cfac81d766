"""The rules domain's input and output: Polars frames with fixed schemas.

Real-time checks and the bulk audit both reach the templates as these frames, so every
rule has one definition. Money is Decimal, never float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

MONEY = pl.Decimal(18, 2)
PRICE = pl.Decimal(18, 4)
QUANTITY = pl.Decimal(18, 4)

PATIENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "patient_id": pl.String,
    "gender": pl.String,
    "birth_date": pl.Date,
    "death_date": pl.Date,
    "insurance_type": pl.String,
}

ENCOUNTER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "claim_id": pl.String,
    "encounter_id": pl.String,
    "patient_id": pl.String,
    "institution_code": pl.String,
    "institution_level": pl.String,
    "care_setting": pl.String,
    "med_type": pl.String,
    "admission_date": pl.Date,
    "discharge_date": pl.Date,
    "doctor_code": pl.String,
    "dept_code": pl.String,
    "insurance_type": pl.String,
    "diagnoses": pl.List(pl.String),
    "procedures": pl.List(pl.String),
    "total_amount": MONEY,
    "invoice_no": pl.String,
    "is_history": pl.Boolean,
    "seq": pl.Int64,  # order of receipt in the batch: history first, then the encounters judged
}

LINE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "claim_id": pl.String,
    "encounter_id": pl.String,
    "patient_id": pl.String,
    "line_id": pl.String,
    "item_code": pl.String,
    "item_name": pl.String,
    "item_type": pl.String,
    "quantity": QUANTITY,
    "unit_price": PRICE,
    "amount": MONEY,
    "service_date": pl.Date,
    "dept_code": pl.String,
    "doctor_code": pl.String,
    "original_line_id": pl.String,
    "is_history": pl.Boolean,
}

FINDING_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "rule_id": pl.String,
    "claim_id": pl.String,
    "encounter_id": pl.String,
    "patient_id": pl.String,
    "line_ids": pl.List(pl.String),
    "amount": MONEY,
    "service_date": pl.Date,
    "explanation": pl.String,
    "evidence": pl.String,
}


@dataclass(frozen=True)
class Batch:
    """Patients, their encounters and fee lines; ``is_history`` marks look-back rows."""

    patients: pl.DataFrame
    encounters: pl.DataFrame
    lines: pl.DataFrame

    @property
    def target_lines(self) -> pl.DataFrame:
        return self.lines.filter(~pl.col("is_history"))


@dataclass(frozen=True)
class Rows:
    """A batch as plain rows (one dict per patient, encounter and line, keyed like the schemas),
    as read from the wire: the real-time screen reads these directly, and the frames are built
    from them only when some rule could fire (``batch``)."""

    patients: list[dict[str, Any]]
    encounters: list[dict[str, Any]]
    lines: list[dict[str, Any]]

    def batch(self) -> Batch:
        return Batch(
            patients=pl.DataFrame(self.patients, schema=PATIENT_SCHEMA).unique("patient_id", keep="first"),
            encounters=pl.DataFrame(self.encounters, schema=ENCOUNTER_SCHEMA),
            lines=pl.DataFrame(self.lines, schema=LINE_SCHEMA),
        )


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_version: int
    national_code: str
    rule_name: str
    tier: str
    result_type: str
    claim_id: str
    encounter_id: str
    patient_id: str
    line_ids: tuple[str, ...]
    amount: Decimal
    service_date: date | None
    explanation: str
    basis: str
    evidence: str
    institution_code: str = ""
    doctor_code: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def empty(schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
