"""Reading and writing the contracts' plain fields: decimal strings, dates, Money.

Generic parsing only; what a field means is each service's domain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from fundguard.common.v1 import common_pb2
from fundguard.runtime.errors import FieldViolation

CENT = Decimal("0.01")
T = TypeVar("T")


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


def money(amount: Decimal | None) -> common_pb2.Money:
    return common_pb2.Money(amount="" if amount is None else str(amount))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


class Parsed:
    """The decimal and date texts of one request, each distinct text parsed once: a request's
    fee lines repeat a few dates, quantities and prices. Only well-formed values are kept, so
    a missing or malformed one is reported every time it occurs, under its own field's name,
    exactly as ``decimal_or_none`` and ``date_or_none`` report it. The name is ``field``, or
    ``field.name`` when a name is given, formatted only then; hot loops may also look a text
    up in ``decimals`` or ``dates`` first and build the field's name only on a miss."""

    def __init__(self, problems: list[FieldViolation]) -> None:
        self.problems = problems
        self.decimals: dict[str, Decimal] = {}
        self.dates: dict[str, date] = {}

    def decimal(self, value: str, field: str, name: str = "", *, required: bool = False) -> Decimal | None:
        return self._once(self.decimals, decimal_or_none, value, field, name, required)

    def day(self, value: str, field: str, name: str = "", *, required: bool = False) -> date | None:
        return self._once(self.dates, date_or_none, value, field, name, required)

    def _once(self, known: dict[str, T], parse: Callable[..., T | None], value: str, field: str, name: str,
              required: bool) -> T | None:
        got = known.get(value)
        if got is None:
            got = parse(value, f"{field}.{name}" if name else field, self.problems, required=required)
            if got is not None:
                known[value] = got
        return got
