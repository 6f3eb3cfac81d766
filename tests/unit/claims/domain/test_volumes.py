"""A doctor's volume: period dates, request checks and costs per unit to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.claims.domain.volumes import (
    MAX_DOCTOR_CODES,
    DoctorVolume,
    check_request,
    per_unit,
    period_dates,
)


@pytest.mark.parametrize(("period", "dates"), [
    ("2026-11", (date(2026, 11, 1), date(2026, 12, 1))),
    ("2026-12", (date(2026, 12, 1), date(2027, 1, 1))),
    ("2026-Q1", (date(2026, 1, 1), date(2026, 4, 1))),
    ("2026-Q4", (date(2026, 10, 1), date(2027, 1, 1))),
    ("2026-13", None), ("2026-Q5", None), ("2026-1", None), ("", None), ("2026-11-01", None), ("2026-q1", None),
])
def test_a_period_is_a_month_or_a_quarter(period: str, dates: tuple[date, date] | None) -> None:
    assert period_dates(period) == dates


def test_costs_per_unit_are_to_the_cent_half_up_and_zero_without_units() -> None:
    assert per_unit(Decimal("100.00"), 3) == Decimal("33.33")
    assert per_unit(Decimal("0.05"), 2) == Decimal("0.03")      # 0.025 rounds up, as a cashier does
    assert per_unit(Decimal("-0.05"), 2) == Decimal("-0.03")
    assert per_unit(Decimal("12.34"), 0) == Decimal("0.00")
    v = DoctorVolume("D1", encounters=2, patients=1, lines=5, total_cost=Decimal("171.00"))
    assert (v.cost_per_encounter, v.cost_per_patient) == (Decimal("85.50"), Decimal("171.00"))
    assert DoctorVolume("D2").cost_per_encounter == Decimal("0.00")


def test_a_request_names_every_bad_field_and_drops_duplicate_codes() -> None:
    codes, problems = check_request(["D1", "D2", "D1"], "2026-11")
    assert (codes, problems) == (["D1", "D2"], [])
    _, problems = check_request(["D1", "", "X" * 65], "2026/11")
    assert [p.field for p in problems] == ["period", "doctor_codes[1]", "doctor_codes[2]"]
    _, problems = check_request([], "2026-Q2")
    assert [p.field for p in problems] == ["doctor_codes"]
    _, problems = check_request([f"D{i}" for i in range(MAX_DOCTOR_CODES + 1)], "2026-Q2")
    assert [p.field for p in problems] == ["doctor_codes"]
    _, problems = check_request([f"D{i}" for i in range(MAX_DOCTOR_CODES)] * 2, "2026-Q2")
    assert problems == []  # the limit counts distinct codes
