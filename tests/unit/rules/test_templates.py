"""Every template through the domain engine, on the shared scenarios (real time: one case)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.rules.domain import catalogue as cat
from services.rules.domain import engine
from services.rules.main import load_default_pack
from services.rules.servicer import batch_from_cases
from tests.unit.rules.scenarios import CATALOGUE_DIR, SCENARIOS, Scenario

CATALOGUE = cat.parse("test", "2024-01-01", cat.read_folder(CATALOGUE_DIR))
PACK = load_default_pack()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_template(scenario: Scenario) -> None:
    found = engine.evaluate(batch_from_cases([scenario.case]), CATALOGUE, PACK, scenario.moment, [scenario.rule_id])
    got = sorted((f.rule_id, str(f.amount), tuple(sorted(f.line_ids))) for f in found)
    want = sorted((r, str(Decimal(a)), tuple(sorted(ids))) for r, a, ids in scenario.expected)
    assert got == want
    for f in found:
        assert f.explanation and f.basis and f.evidence.startswith("{")


def test_every_template_of_the_default_pack_has_a_scenario() -> None:
    used = {r.template for r in PACK.rules if any(s.rule_id == r.rule_id and s.expected for s in SCENARIOS)}
    assert {r.template for r in PACK.rules} - used == set()
