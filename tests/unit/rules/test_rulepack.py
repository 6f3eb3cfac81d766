"""Rule packs: versions by date, promotion from trial, malformed packs named by file and field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fundguard.runtime.errors import InvalidArgument
from services.rules.domain import catalogue as cat
from services.rules.domain import engine
from services.rules.servicer import batch_from_cases
from tests.unit.rules.scenarios import CATALOGUE_DIR, case, enc, line

CATALOGUE = cat.parse("test", "2024-01-01", cat.read_folder(CATALOGUE_DIR))


def rule(version: int, tier: str = "A", start: str = "2024-01-01", end: str = "", extra: str = "",
         params: str = 'item_types = ["101", "102"], window = "encounter"') -> str:
    return f"""
[[rules]]
rule_id = "R-DRUG-QUANTITY"
version = {version}
national_code = "GZ10000101009000"
template = "quantity_limit"
name = "药品限最大支付天数/开药量"
tier = "{tier}"
result_type = "definite"
basis = "test"
effective_from = "{start}"
{f'effective_to = "{end}"' if end else ''}
{extra}
params = {{{params}}}
"""


def pack(*rules: str) -> str:
    return '[pack]\nversion = "t"\n' + "".join(rules)


def test_a_rule_version_changing_mid_month_judges_each_line_by_its_date() -> None:
    text = pack(rule(1, end="2026-11-15"),
                rule(2, tier="C", start="2026-11-15"))
    p = engine.parse_pack(text, "t.toml")
    c = case([enc("E1", [line("QTY", "12", day="2026-11-10")]),
              enc("E2", [line("QTY", "12", day="2026-11-20")], adm="2026-11-20", dis="2026-11-20")])
    found = engine.evaluate(batch_from_cases([c]), CATALOGUE, p, "post")
    assert sorted((f.encounter_id, f.rule_version, f.tier, f.amount) for f in found) == [
        ("E1", 1, "A", Decimal("20.00")), ("E2", 2, "C", Decimal("0.00"))]


def test_trial_rule_cannot_be_promoted_before_its_trial_period() -> None:
    text = pack(rule(1, tier="B", end="2024-02-01", extra="min_trial_months = 3"),
                rule(2, tier="A", start="2024-02-01", extra='approval = {by = "专家组", at = "2024-01-20", basis = "会议纪要"}'))
    with pytest.raises(InvalidArgument) as err:
        engine.parse_pack(text, "t.toml")
    assert any(v.field == "t.toml:R-DRUG-QUANTITY@2.effective_from" for v in err.value.violations)


def test_trial_rule_cannot_be_promoted_without_a_recorded_approval() -> None:
    text = pack(rule(1, tier="B", end="2024-04-01", extra="min_trial_months = 3"), rule(2, tier="A", start="2024-04-01"))
    with pytest.raises(InvalidArgument) as err:
        engine.parse_pack(text, "t.toml")
    assert [v.field for v in err.value.violations] == ["t.toml:R-DRUG-QUANTITY@2.approval"]


def test_trial_rule_promoted_after_its_trial_with_approval() -> None:
    text = pack(rule(1, tier="B", end="2024-04-01", extra="min_trial_months = 3"),
                rule(2, tier="A", start="2024-04-01", extra='approval = {by = "专家组", at = "2024-03-28", basis = "第3次会议纪要"}'))
    p = engine.parse_pack(text, "t.toml")
    assert [r.tier for r in p.rules] == ["B", "A"]
    assert p.rules[1].approval["by"] == "专家组"


def test_a_malformed_pack_names_file_rule_and_field() -> None:
    text = pack(rule(1, tier="X", params='windw = "day"').replace('template = "quantity_limit"', 'template = "nope"'))
    with pytest.raises(InvalidArgument) as err:
        engine.parse_pack(text, "t.toml")
    fields = {v.field for v in err.value.violations}
    assert {"t.toml:rules[0].template", "t.toml:rules[0].tier"} <= fields


def test_an_unknown_parameter_is_rejected() -> None:
    with pytest.raises(InvalidArgument) as err:
        engine.parse_pack(pack(rule(1, params='windw = "day"')), "t.toml")
    assert [v.field for v in err.value.violations] == ["t.toml:R-DRUG-QUANTITY@1.params.windw"]


def test_tier_c_findings_never_carry_an_amount() -> None:
    p = engine.parse_pack(pack(rule(1, tier="C")), "t.toml")
    found = engine.evaluate(batch_from_cases([case([enc("E1", [line("QTY", "12")])])]), CATALOGUE, p, "post")
    assert [f.amount for f in found] == [Decimal("0.00")]
