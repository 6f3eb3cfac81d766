"""Robust scores, peer groups and the risk score's reasons (pure)."""

from __future__ import annotations

from decimal import Decimal

from services.credit.domain import indicators as ind
from services.credit.domain import risk
from services.credit.domain.policy import load

POLICY = load()


def test_robust_z_is_not_masked_by_other_outliers() -> None:
    normal = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98]
    sample = [*normal, 50.0, 60.0]          # two extreme institutions in the group
    z = ind.robust_z(5.0, sample)
    mean = sum(sample) / len(sample)
    sd = (sum((s - mean) ** 2 for s in sample) / len(sample)) ** 0.5
    assert z > 20 and (5.0 - mean) / sd < 1   # mean/stddev would call 5.0 ordinary


def test_robust_z_with_no_spread() -> None:
    assert ind.robust_z(1.0, [1.0, 1.0, 1.0]) == 0.0
    assert ind.robust_z(2.0, [1.0, 1.0, 1.0, 3.0]) > 0


def _row(code: str, region: str) -> ind.PeriodRow:
    return ind.PeriodRow(code, "2026-03", 10, 10, Decimal(100), Decimal(70), {}, level="2", type="hospital",
                         region=region)


def test_small_peer_groups_widen() -> None:
    rows = [_row(f"H{i}", "320500") for i in range(4)] + [_row("H9", "320600")]
    groups = ind.peer_groups(rows, min_peers=4)
    assert len(groups["H0"]) == 4 and len(groups["H9"]) == 5


def test_periods() -> None:
    assert ind.months_of("2026-Q2") == ["2026-04", "2026-05", "2026-06"]
    assert ind.same_period_last_year("2026-Q2") == "2025-Q2"
    assert ind.parse_period("2026-13") is None and ind.parse_period("2026-Q5") is None


def test_every_score_lists_all_its_reasons() -> None:
    quiet = risk.score(POLICY, "H1", "institution", {"growth.total_cost": -0.5}, Decimal(1000), risk.History())
    assert quiet.score == 0 and {r.code for r in quiet.reasons} == {"indicator_anomaly", "violation_history",
                                                                    "sanctions"}
    loud = risk.score(POLICY, "H2", "institution", {"growth.total_cost": 8.0}, Decimal(1000),
                      risk.History(points=30, confirmed_amount=Decimal(100), findings=3,
                                   active_sanctions=("suspension",)))
    assert loud.score == 100 and loud.reasons[0].code == "indicator_anomaly"
    assert "growth.total_cost robust z 8.0" in loud.reasons[0].detail
