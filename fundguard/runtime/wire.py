"""Reading and writing the contracts' plain fields: decimal strings, dates, Money.

Generic parsing only; what a field means is each service's domain.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from fundguard.common.v1 import common_pb2
from fundguard.runtime.errors import FieldViolation

CENT = Decimal("0.01")


def decimal_or_none(value: str, field: str, problems: list[FieldViolation], *, required: bool = False) -> Decimal | None:
    if value == "":
        if required:
            problems.append(FieldViolation(field, "required"))
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        problems.append(FieldViolation(field, f"must be a decimal number, got {value!r}"))
        return None
    if not d.is_finite():
        problems.append(FieldViolation(field, f"must be a finite decimal number, got {value!r}"))
        return None
    return d


def date_or_none(value: str, field: str, problems: list[FieldViolation], *, required: bool = False) -> date | None:
    if value == "":
        if required:
            problems.append(FieldViolation(field, "required"))
        return None
    try:
        # The national interface sends dates, or date-times whose date part is what counts.
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append(FieldViolation(field, f"must be a date YYYY-MM-DD, got {value!r}"))
        return None


class Parsed:
    """The decimal and date strings of one request, each parsed once: an encounter's lines share
    a few dates, quantities and prices. Only well-formed values are kept, so a malformed one is
    reported at every field that carries it. Hot loops may look a value up in ``decimals`` or
    ``dates`` first and build the field name only on a miss."""

    def __init__(self, problems: list[FieldViolation]) -> None:
        self.problems = problems
        self.decimals: dict[str, Decimal] = {}
        self.dates: dict[str, date] = {}

    def decimal(self, value: str, field: str, *, required: bool = False) -> Decimal | None:
        got = self.decimals.get(value)
        if got is None:
            got = decimal_or_none(value, field, self.problems, required=required)
            if got is not None:
                self.decimals[value] = got
        return got

    def day(self, value: str, field: str, *, required: bool = False) -> date | None:
        got = self.dates.get(value)
        if got is None:
            got = date_or_none(value, field, self.problems, required=required)
            if got is not None:
                self.dates[value] = got
        return got


def money(amount: Decimal | None) -> common_pb2.Money:
    return common_pb2.Money(amount="" if amount is None else str(amount))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


class ParsedOnce:
    """The decimal and date fields of one message, each distinct text parsed once: a
    request's fee lines repeat a few dates, quantities and prices. A missing or malformed
    value is reported every time it occurs, under its own field's name (``at.name``, only
    formatted then), exactly as ``decimal_or_none`` and ``date_or_none`` report it."""

    def __init__(self, problems: list[FieldViolation]) -> None:
        self.problems = problems
        self._decimals: dict[str, Decimal] = {}
        self._dates: dict[str, date] = {}

    def decimal(self, value: str, at: str, name: str, *, required: bool = False) -> Decimal | None:
        d = self._decimals.get(value)
        if d is None:
            d = decimal_or_none(value, f"{at}.{name}", self.problems, required=required)
            if d is not None:
                self._decimals[value] = d
        return d

    def date(self, value: str, at: str, name: str, *, required: bool = False) -> date | None:
        d = self._dates.get(value)
        if d is None:
            d = date_or_none(value, f"{at}.{name}", self.problems, required=required)
            if d is not None:
                self._dates[value] = d
        return d
