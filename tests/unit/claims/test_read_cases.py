"""read_cases: a request's fee lines into domain records, every malformed field named."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from fundguard.common.v1 import common_pb2
from fundguard.runtime.errors import InvalidArgument
from services.claims.domain.model import LineRecord
from services.claims.servicer import read_cases


def fee_line(line_id: str, quantity: str = "1", amount: str = "10.00", day: str = "2026-11-01 09:10:00",
             price: str = "10.00") -> common_pb2.FeeLine:
    return common_pb2.FeeLine(line_id=line_id, item_code="110200001", quantity=quantity,
                              amount=common_pb2.Money(amount=amount), unit_price=common_pb2.Money(amount=price),
                              service_date=day, doctor_code="D32118100101")


def cases(*lines: common_pb2.FeeLine, admission: str = "") -> list[common_pb2.PatientCase]:
    return [common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id="P1", gender="1", birth_date="1975-04-02"),
        encounters=[common_pb2.Encounter(encounter_id="E1", institution_code="H1", care_setting="1",
                                         admission_date=admission, lines=list(lines))])]


def test_lines_sharing_texts_read_as_equal_values() -> None:
    _, [claim] = read_cases(cases(fee_line("1"), fee_line("2", quantity="2", amount="20.00"),
                                  fee_line("3", day="2026-11-02", price="")))
    assert [(ln.quantity, ln.amount, ln.unit_price, ln.service_date) for ln in claim.lines] == [
        (Decimal("1"), Decimal("10.00"), Decimal("10.00"), date(2026, 11, 1)),
        (Decimal("2"), Decimal("20.00"), Decimal("10.00"), date(2026, 11, 1)),
        (Decimal("1"), Decimal("10.00"), None, date(2026, 11, 2)),
    ]


def test_every_malformed_occurrence_is_named_in_order_even_when_its_text_repeats() -> None:
    with pytest.raises(InvalidArgument) as err:
        read_cases(cases(
            fee_line("1", quantity="x", day="2026-13-01"),
            fee_line("2", quantity="x", amount="", day="2026-13-01"),
            fee_line("2", quantity="Infinity", day=""),
            fee_line("4"),  # valid texts the earlier lines also carried
            admission="someday"))
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("cases[0].encounters[0].lines[0].quantity", "must be a decimal number, got 'x'"),
        ("cases[0].encounters[0].lines[0].service_date", "must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("cases[0].encounters[0].lines[1].quantity", "must be a decimal number, got 'x'"),
        ("cases[0].encounters[0].lines[1].amount", "required"),
        ("cases[0].encounters[0].lines[1].service_date", "must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("cases[0].encounters[0].lines[2].line_id", "duplicate line id '2' in the encounter"),
        ("cases[0].encounters[0].lines[2].quantity", "must be a finite decimal number, got 'Infinity'"),
        ("cases[0].encounters[0].lines[2].service_date", "required"),
        ("cases[0].encounters[0].admission_date", "must be a date YYYY-MM-DD, got 'someday'"),
    ]


def test_a_line_record_is_frozen_and_compares_by_value() -> None:
    values = ("1", "110200001", "诊查费", "201", "01", Decimal("1"), None, Decimal("10.00"), date(2026, 11, 1),
              "A03", "D1", "", "")
    line = LineRecord(*values)
    assert dataclasses.astuple(line) == values
    assert line == LineRecord(*values) and hash(line) == hash(LineRecord(*values))
    assert dataclasses.replace(line, amount=Decimal("5")).amount == Decimal("5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.amount = Decimal("0")  # type: ignore[misc]


def test_a_line_whose_values_were_all_seen_before_is_still_checked_for_id_and_item_code() -> None:
    # Lines whose texts repeat earlier ones skip the parse; their own fields are checked all the same.
    no_item = fee_line("3")
    no_item.item_code = ""
    with pytest.raises(InvalidArgument) as err:
        read_cases(cases(fee_line("1"), fee_line("1"), no_item, fee_line("")))
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("cases[0].encounters[0].lines[1].line_id", "duplicate line id '1' in the encounter"),
        ("cases[0].encounters[0].lines[2].item_code", "required"),
        ("cases[0].encounters[0].lines[3].line_id", "required"),
    ]


def test_numbers_that_would_not_fit_their_stored_columns_are_refused_by_name() -> None:
    # quantity NUMERIC(14, 4), unit_price NUMERIC(16, 4), amount NUMERIC(14, 2): once rounded
    # to its scale a value must stay below 10^10, 10^12 and 10^12. The same text may fit one
    # field and not another.
    with pytest.raises(InvalidArgument) as err:
        read_cases(cases(
            fee_line("1", quantity="10000000000", amount="10000000000", price="999999999999.9999"),
            fee_line("2", quantity="9999999999.99995", amount="999999999999.995", price="1e12"),
            fee_line("3", quantity="9999999999.9999", amount="999999999999.99", price="10000000000")))
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("cases[0].encounters[0].lines[0].quantity", "must have at most 10 integer digits, got '10000000000'"),
        ("cases[0].encounters[0].lines[1].quantity", "must have at most 10 integer digits, got '9999999999.99995'"),
        ("cases[0].encounters[0].lines[1].amount", "must have at most 12 integer digits, got '999999999999.995'"),
        ("cases[0].encounters[0].lines[1].unit_price", "must have at most 12 integer digits, got '1e12'"),
    ]


def test_line_ids_longer_than_stored_ones_are_refused_by_name() -> None:
    # Order lines are stored as JSON (decision 0025): the lengths fee_lines holds are checked here.
    long_original = fee_line("2")
    long_original.original_line_id = "x" * 65
    with pytest.raises(InvalidArgument) as err:
        read_cases(cases(fee_line("9" * 65), long_original, fee_line("3" * 64)))
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("cases[0].encounters[0].lines[0].line_id", "must be at most 64 characters"),
        ("cases[0].encounters[0].lines[1].original_line_id", "must be at most 64 characters"),
    ]


def test_patient_and_encounter_texts_longer_than_their_columns_are_refused_by_name() -> None:
    spoilt = cases(fee_line("1"))
    spoilt[0].patient.patient_id = "P" * 65
    spoilt[0].patient.insurance_type = "310310310"
    enc = spoilt[0].encounters[0]
    enc.institution_code, enc.dept_code, enc.med_type = "H" * 17, "A" * 33, "1" * 9
    enc.total_amount.amount = "999999999999.995"  # 10^12 once rounded to the cent
    with pytest.raises(InvalidArgument) as err:
        read_cases(spoilt)
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("cases[0].patient.patient_id", "must be at most 64 characters"),
        ("cases[0].patient.insurance_type", "must be at most 8 characters"),
        ("cases[0].encounters[0].institution_code", "must be at most 16 characters"),
        ("cases[0].encounters[0].med_type", "must be at most 8 characters"),
        ("cases[0].encounters[0].dept_code", "must be at most 32 characters"),
        ("cases[0].encounters[0].total_amount", "must have at most 12 integer digits, got '999999999999.995'"),
    ]
