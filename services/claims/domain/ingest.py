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
from decimal import Decimal, InvalidOperation
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


def _decimal(value: str) -> Decimal | None:
    if "_" in value:  # Python reads 1_000, PostgreSQL does not
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


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
    qty = _decimal(d.quantity) if d.quantity else None
    if qty is None:
        problems.append(RowProblem(row, "quantity", "required decimal (cnt)" if not d.quantity
                                   else f"must be a decimal number, got {d.quantity!r}"))
    elif qty == 0:
        problems.append(RowProblem(row, "quantity", "must not be zero"))
    elif abs(qty) >= Decimal("1e10") or qty.as_tuple().exponent < -4:  # type: ignore[operator]
        problems.append(RowProblem(row, "quantity", "at most 10 integer digits and 4 decimals"))
    money = _decimal(amount) if amount else None
    if money is None:
        problems.append(RowProblem(row, "amount", "required decimal (det_item_fee_sumamt)" if not amount
                                   else f"must be a decimal number, got {amount!r}"))
    elif money.as_tuple().exponent < -2 or abs(money) >= Decimal("1e12"):  # type: ignore[operator]
        problems.append(RowProblem(row, "amount", f"must be yuan to the cent (at most 2 decimals), got {amount!r}"))
    elif qty is not None and qty != 0 and money != 0 and (money < 0) != (qty < 0):
        problems.append(RowProblem(row, "amount", "sign must follow the quantity (a return is negative)"))
    if unit_price:
        price = _decimal(unit_price)
        if price is None or price.as_tuple().exponent < -4 or abs(price) >= Decimal("1e12"):  # type: ignore[operator]
            problems.append(RowProblem(row, "unit_price", f"must be a decimal with at most 4 decimals, got {unit_price!r}"))
    original = d.original_detail_sn
    if qty is not None and qty < 0 and not original:
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
