"""fundguard.runtime.wire: the contracts' decimal and date fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fundguard.runtime.errors import FieldViolation
from fundguard.runtime.wire import Parsed


def test_parsed_parses_each_distinct_text_once_and_names_each_bad_one() -> None:
    problems: list[FieldViolation] = []
    parse = Parsed(problems)
    first = parse.decimal("12.50", "lines[0]", "amount", required=True)
    assert first == Decimal("12.50") and parse.decimal("12.50", "lines[1]", "amount") is first
    day = parse.day("2026-11-01 09:10:00", "lines[0]", "service_date")
    assert day == date(2026, 11, 1) and parse.day("2026-11-01 09:10:00", "lines[1]", "service_date") is day
    assert parse.decimal("", "lines[2]", "unit_price") is None and parse.day("", "p", "birth_date") is None
    assert problems == []
    assert parse.decimal("1,5", "lines[3]", "quantity") is None and parse.decimal("1,5", "lines[4]", "quantity") is None
    assert parse.day("", "lines[5]", "service_date", required=True) is None
    assert [(p.field, p.reason) for p in problems] == [
        ("lines[3].quantity", "must be a decimal number, got '1,5'"),
        ("lines[4].quantity", "must be a decimal number, got '1,5'"),
        ("lines[5].service_date", "required"),
    ]


def test_parsed_keeps_only_well_formed_values() -> None:
    problems: list[FieldViolation] = []
    parsed = Parsed(problems)
    assert parsed.decimal("1.50", "a") == Decimal("1.50") and parsed.decimals == {"1.50": Decimal("1.50")}
    assert parsed.decimal("", "b") is None and parsed.decimal("", "c", required=True) is None
    assert parsed.decimal("nan", "d") is None and parsed.decimal("nan", "e") is None
    assert parsed.day("2026-11-01 09:00", "f") == date(2026, 11, 1) and parsed.day("11/01", "g") is None
    assert [v.field for v in problems] == ["c", "d", "e", "g"] and set(parsed.decimals) == {"1.50"}
