"""The two skeleton templates, driven through the domain engine on hand-made frames."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from fundguard.runtime.errors import InvalidArgument
from services.rules.domain import catalogue as cat
from services.rules.domain import engine
from services.rules.domain.model import ENCOUNTER_SCHEMA, LINE_SCHEMA, PATIENT_SCHEMA, Batch
from services.rules.main import load_default_pack

ITEMS = """item_code,name,item_type,item_class,price_ceiling_1,price_ceiling_2,price_ceiling_3,sex_limit
210300001,CT平扫,201,01,110.00,130.00,150.00,
XG03DAH052B002010101445,黄体酮注射液,101,02,,,,2
"""


def batch(gender: str, level: str, lines: list[tuple[str, str, str, str]], day: date = date(2026, 11, 1)) -> Batch:
    patients = pl.DataFrame([{"patient_id": "P1", "gender": gender, "birth_date": date(1970, 1, 1),
                              "death_date": None, "insurance_type": "310"}], schema=PATIENT_SCHEMA)
    encounters = pl.DataFrame([{"claim_id": "C1", "encounter_id": "E1", "patient_id": "P1", "institution_code": "H1",
                                "institution_level": level, "care_setting": "1", "med_type": "11",
                                "admission_date": day, "discharge_date": day, "doctor_code": "D1", "dept_code": "A",
                                "insurance_type": "310", "diagnoses": [], "procedures": [],
                                "total_amount": Decimal("0"), "is_history": False}], schema=ENCOUNTER_SCHEMA)
    rows = [{"claim_id": "C1", "encounter_id": "E1", "patient_id": "P1", "line_id": str(i), "item_code": code,
             "item_name": "", "item_type": typ, "quantity": Decimal(qty), "unit_price": Decimal(price),
             "amount": (Decimal(qty) * Decimal(price)).quantize(Decimal("0.01")), "service_date": day,
             "dept_code": "A", "doctor_code": "D1", "original_line_id": "", "is_history": False}
            for i, (code, typ, qty, price) in enumerate(lines, 1)]
    return Batch(patients, encounters, pl.DataFrame(rows, schema=LINE_SCHEMA))


CATALOGUE = cat.parse("t1", "2024-01-01", {"items.csv": ITEMS})
PACK = load_default_pack()


def test_female_only_drug_for_a_man_violates_the_whole_line() -> None:
    found = engine.evaluate(batch("1", "3", [("XG03DAH052B002010101445", "101", "3", "18.60")]), CATALOGUE, PACK, "pre")
    assert [(f.rule_id, f.amount, f.line_ids) for f in found] == [("R-DRUG-SEX", Decimal("55.80"), ("1",))]
    assert "限女性使用" in found[0].explanation


def test_female_only_drug_for_a_woman_is_clean() -> None:
    assert engine.evaluate(batch("2", "3", [("XG03DAH052B002010101445", "101", "3", "18.60")]),
                           CATALOGUE, PACK, "pre") == []


@pytest.mark.parametrize(
    ("level", "qty", "price", "excess"),
    [("2", "1", "180.00", "50.00"), ("2", "2", "130.01", "0.02"), ("3", "1", "150.00", None), ("1", "3", "110.005", "0.02")],
)
def test_price_above_the_level_ceiling_claims_the_excess(level: str, qty: str, price: str, excess: str | None) -> None:
    found = engine.evaluate(batch("1", level, [("210300001", "201", qty, price)]), CATALOGUE, PACK, "in")
    assert [f.amount for f in found] == ([Decimal(excess)] if excess else [])


def test_returns_are_not_judged_as_charges() -> None:
    assert engine.evaluate(batch("1", "2", [("210300001", "201", "-1", "180.00")]), CATALOGUE, PACK, "post") == []


def test_a_rule_is_applied_only_within_its_effective_period() -> None:
    early = batch("1", "2", [("210300001", "201", "1", "180.00")], day=date(2023, 12, 31))
    assert engine.evaluate(early, CATALOGUE, PACK, "post") == []


def test_a_malformed_catalogue_names_file_row_and_field() -> None:
    bad = ITEMS + "X1,坏,999,01,abc,,,3\n"
    with pytest.raises(InvalidArgument) as err:
        cat.parse("t2", "2024-01-01", {"items.csv": bad})
    fields = {v.field for v in err.value.violations}
    assert {"items.csv:4:item_type", "items.csv:4:price_ceiling_1", "items.csv:4:sex_limit"} <= fields
