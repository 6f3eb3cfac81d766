"""Checking uploaded fee-detail rows (2204/2301 feedetail[]) one by one, cheaply.

Bulk ingestion must approach COPY speed, so each row gets one pass of plain string checks
and becomes a tuple of text fields ready for COPY; every problem is named by row, field and
reason, and a bad row never stops the good ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

# fee_ocur_time: yyyy-MM-dd HH:mm:ss (a 'T' separator and a bare date are accepted too).
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)?$")
KEY_MAX = 64            # feedetl_sn, mdtrt_id, psn_no: the columns' width
INSTITUTION_MAX = 16
SHANGHAI = "+08:00"     # the national interface sends local Asia/Shanghai times


class FeeDetailLike(Protocol):
    """The fields of a claims.v1.FeeDetail that ingestion reads."""

    detail_sn: str
    encounter_id: str
    patient_id: str
    occurred_at: str
    item_code: str
    item_name: str
    item_type: str
    quantity: str
    dept_code: str
    doctor_code: str
    doctor_name: str
    original_detail_sn: str


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    reason: str


# Plain decimals only, ASCII digits, as PostgreSQL's numeric reads them and within the
# columns' precision (a regular expression is several times cheaper than Decimal here).
_QUANTITY = re.compile(r"^[+-]?(?:[0-9]{1,10}(?:\.[0-9]{0,4})?|\.[0-9]{1,4})$")
_MONEY = re.compile(r"^[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})$")
_PRICE = re.compile(r"^[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,4})?|\.[0-9]{1,4})$")


def _is_zero(value: str) -> bool:
    return not value.lstrip("+-").replace(".", "").strip("0")


def check_detail(d: FeeDetailLike, unit_price: str, amount: str, extra: dict[str, str], row: int,
                 institution_code: str, default_encounter: str, default_patient: str,
                 problems: list[RowProblem]) -> tuple[str, ...] | None:
    """One fee-detail row as COPY-ready text fields, or None with its problems appended.

    Field order: row, claim_id, encounter_id, line_id, service_date, patient_id,
    institution_code, item_code, item_name, item_type, quantity, unit_price, amount,
    occurred_at, dept_code, doctor_code, doctor_name, original_line_id, extra.
    """
    before = len(problems)
    sn = d.detail_sn
    encounter = d.encounter_id or default_encounter
    patient = d.patient_id or default_patient
    if not sn:
        problems.append(RowProblem(row, "detail_sn", "required (feedetl_sn)"))
    elif len(sn) > KEY_MAX:
        problems.append(RowProblem(row, "detail_sn", f"longer than {KEY_MAX} characters"))
    if not encounter:
        problems.append(RowProblem(row, "encounter_id", "required (mdtrt_id)"))
    elif len(encounter) > KEY_MAX:
        problems.append(RowProblem(row, "encounter_id", f"longer than {KEY_MAX} characters"))
    if not patient:
        problems.append(RowProblem(row, "patient_id", "required (psn_no)"))
    elif len(patient) > KEY_MAX:
        problems.append(RowProblem(row, "patient_id", f"longer than {KEY_MAX} characters"))
    if not d.item_code:
        problems.append(RowProblem(row, "item_code", "required (med_list_codg)"))
    when = d.occurred_at
    if not when:
        problems.append(RowProblem(row, "occurred_at", "required (fee_ocur_time)"))
    elif not _TIME.match(when):
        problems.append(RowProblem(row, "occurred_at", f"must be yyyy-MM-dd HH:mm:ss, got {when!r}"))
    else:
        try:
            date.fromisoformat(when[:10])
        except ValueError:
            problems.append(RowProblem(row, "occurred_at", f"not a calendar date: {when[:10]!r}"))
    qty = d.quantity
    qty_negative = qty.startswith("-")
    if not qty:
        problems.append(RowProblem(row, "quantity", "required decimal (cnt)"))
    elif not _QUANTITY.match(qty):
        problems.append(RowProblem(row, "quantity", f"must be a decimal with at most 10 integer digits and "
                                                    f"4 decimals, got {qty!r}"))
    elif _is_zero(qty):
        problems.append(RowProblem(row, "quantity", "must not be zero"))
    if not amount:
        problems.append(RowProblem(row, "amount", "required decimal (det_item_fee_sumamt)"))
    elif not _MONEY.match(amount):
        problems.append(RowProblem(row, "amount", f"must be yuan to the cent (a decimal with at most 2 decimals), "
                                                  f"got {amount!r}"))
    elif qty and not _is_zero(amount) and amount.startswith("-") != qty_negative:
        problems.append(RowProblem(row, "amount", "sign must follow the quantity (a return is negative)"))
    if unit_price and not _PRICE.match(unit_price):
        problems.append(RowProblem(row, "unit_price", f"must be a decimal with at most 4 decimals, got {unit_price!r}"))
    original = d.original_detail_sn
    if qty_negative and not original:
        problems.append(RowProblem(row, "original_detail_sn", "a return (negative quantity) must name the original "
                                                              "line (init_feedetl_sn)"))
    elif original and original == sn:
        problems.append(RowProblem(row, "original_detail_sn", "a line cannot return itself"))
    elif len(original) > KEY_MAX:
        problems.append(RowProblem(row, "original_detail_sn", f"longer than {KEY_MAX} characters"))
    if len(problems) != before:
        return None
    stamp = when if len(when) > 10 else when + " 00:00:00"
    return (str(row), f"{institution_code}-{encounter}", encounter, sn, when[:10], patient, institution_code,
            d.item_code, d.item_name, d.item_type, d.quantity, unit_price, amount, stamp + SHANGHAI,
            d.dept_code, d.doctor_code, d.doctor_name, original,
            json.dumps(extra, ensure_ascii=False) if extra else "{}")
