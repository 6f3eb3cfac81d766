"""A doctor's billed volume in a period: the period's dates and the per-unit costs.

Pure: the store sums the lines set-based; this module only reads the period and divides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fundguard.runtime.errors import FieldViolation

MAX_DOCTOR_CODES = 2000   # a department's peers across a province fit; a whole register does not
CODE_MAX = 64
CENT = Decimal("0.01")
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


def period_dates(period: str) -> tuple[date, date] | None:
    """[start, end) of a YYYY-MM month or YYYY-Qn quarter; None when the text is neither."""
    m = _PERIOD.match(period)
    if m is None:
        return None
    year = int(m.group(1))
    first = int(m.group(2)) if m.group(2) else (int(m.group(3)) - 1) * 3 + 1
    months = 1 if m.group(2) else 3
    after = first + months
    start = date(year, first, 1)
    end = date(year + 1, 1, 1) if after > 12 else date(year, after, 1)
    return start, end


def check_request(doctor_codes: list[str], period: str) -> tuple[list[str], list[FieldViolation]]:
    """The distinct codes in request order, and every problem with the request."""
    problems: list[FieldViolation] = []
    if period_dates(period) is None:
        problems.append(FieldViolation("period", f"must be YYYY-MM or YYYY-Qn, got {period!r}"))
    if not doctor_codes:
        problems.append(FieldViolation("doctor_codes", "at least one doctor code is required"))
    codes = list(dict.fromkeys(doctor_codes))
    if len(codes) > MAX_DOCTOR_CODES:
        problems.append(FieldViolation("doctor_codes", f"at most {MAX_DOCTOR_CODES} distinct codes per call, "
                                                       f"got {len(codes)}"))
    for i, code in enumerate(doctor_codes):
        if not code.strip():
            problems.append(FieldViolation(f"doctor_codes[{i}]", "must not be empty"))
        elif len(code) > CODE_MAX:
            problems.append(FieldViolation(f"doctor_codes[{i}]", f"longer than {CODE_MAX} characters"))
    return codes, problems


def per_unit(total: Decimal, count: int) -> Decimal:
    """total / count to the cent, half up (yuan are rounded the way a cashier rounds); 0.00 if count is 0."""
    if count <= 0:
        return Decimal("0.00")
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DoctorVolume:
    doctor_code: str
    encounters: int = 0
    patients: int = 0
    lines: int = 0
    total_cost: Decimal = Decimal("0.00")

    @property
    def cost_per_encounter(self) -> Decimal:
        return per_unit(self.total_cost, self.encounters)

    @property
    def cost_per_patient(self) -> Decimal:
        return per_unit(self.total_cost, self.patients)
