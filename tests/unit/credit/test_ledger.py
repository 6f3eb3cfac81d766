"""Points and the decisions derived from them (pure domain logic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.credit.domain import ledger as L
from services.credit.domain.policy import load

POLICY = load()


def facts(tier: str = "A", result_type: str = "definite", amount: str = "100", rule_id: str = "R-X",
          responsibility: str = "") -> L.FindingFacts:
    return L.FindingFacts("F1", rule_id, "", tier, result_type, Decimal(amount), "H32010000001", "D320100000001",
                          responsibility)


@pytest.mark.parametrize(("responsibility", "points"), [("general", 4), ("important", 5), ("main", 6), ("", 6)])
def test_responsibility_places_the_points_within_the_band(responsibility: str, points: int) -> None:
    assert L.staff_points(POLICY, facts(responsibility=responsibility)) == points


def test_fraud_takes_the_top_band_and_amount_steps_up_but_never_into_it() -> None:
    assert L.staff_points(POLICY, facts(rule_id="R-FICTITIOUS-SERVICE")) == 12
    assert L.staff_points(POLICY, facts(rule_id="R-FICTITIOUS-SERVICE", responsibility="general")) == 10
    assert L.staff_points(POLICY, facts(tier="B", amount="20000")) == 6       # band 1 -> 2
    assert L.staff_points(POLICY, facts(tier="A", amount="900000")) == 9      # band 2 -> 3, not 4


def test_institution_points_by_tier_result_and_amount_band() -> None:
    assert L.institution_points(POLICY, facts()) == 2
    assert L.institution_points(POLICY, facts(amount="5000")) == 3
    assert L.institution_points(POLICY, facts(amount="50000")) == 5
    assert L.institution_points(POLICY, facts(tier="C")) == 0                 # monitor rules never add points
    assert L.institution_points(POLICY, facts(rule_id="R-FAKE-PATIENT")) == 8


def _e(i: int, pts: int, day: int, reverses: int | None = None) -> L.Entry:
    return L.Entry(i, pts, date(2026, 3, day), f"F{i}", reverses)


def test_suspension_at_nine_for_months_by_points_then_termination_at_twelve() -> None:
    out = L.staff_deserved(POLICY, "D1", 2026, [_e(1, 6, 1), _e(2, 4, 5), _e(3, 3, 9)])
    assert [(d.kind, d.start, d.end) for d in out] == [
        ("staff_suspension", date(2026, 3, 5), date(2026, 6, 4)),    # 10 points: 3 months
        ("staff_termination", date(2026, 3, 9), date(2027, 3, 9)),   # 13 points: banned 1 year
    ]


def test_a_reversal_removes_the_entry_and_what_followed() -> None:
    entries = [_e(1, 6, 1), _e(2, 3, 5), _e(3, -3, 7, reverses=2)]
    assert L.staff_deserved(POLICY, "D1", 2026, entries) == []
    before = L.staff_deserved(POLICY, "D1", 2026, entries[:2])
    add, withdraw = L.reconcile([], [d.decision_id for d in before])
    assert add == [] and withdraw == [before[0].decision_id]


def test_decision_ids_are_stable_across_recomputation() -> None:
    a = L.staff_deserved(POLICY, "D1", 2026, [_e(1, 9, 1)])
    b = L.staff_deserved(POLICY, "D1", 2026, [_e(1, 9, 1), _e(5, 1, 2)])
    assert a[0].decision_id == b[0].decision_id
    assert L.reconcile(b, [a[0].decision_id]) == ([], [])


def test_institution_actions_each_dated_by_the_crossing_entry() -> None:
    out = L.institution_deserved(POLICY, "H1", 2026, [_e(1, 7, 1), _e(2, 6, 2), _e(3, 20, 3)])
    assert [(d.kind, d.start) for d in out] == [
        ("order_to_correct", date(2026, 3, 1)), ("public_criticism", date(2026, 3, 2)),
        ("suspension", date(2026, 3, 3)), ("termination", date(2026, 3, 3))]
    assert out[2].end == date(2026, 9, 2)


@pytest.mark.parametrize(("points", "grade", "failing"), [(0, "A", False), (10, "A", False), (11, "B", False),
                                                           (35, "D", True), (100, "E", True), (400, "E", True)])
def test_grade_bands(points: int, grade: str, failing: bool) -> None:
    g = L.assess(POLICY, points)
    assert (g.grade, g.failing) == (grade, failing)


def test_add_months_keeps_to_the_end_of_short_months() -> None:
    assert L.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert L.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
