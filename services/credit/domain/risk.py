"""Provider risk: one 0-100 score per institution or doctor, always with its reasons.

Three components, each scaled to 0..1 and weighted by the policy: how anomalous the
provider's indicators are among its peers (robust z), its violation history (confirmed
amounts relative to its cost, and points), and sanctions in force. Every component is
listed as a reason, including those that add nothing, so a reader sees why a score is low
as well as why it is high.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from services.credit.domain.policy import Policy

# Confirmed violations worth this share of the provider's cost count fully.
VIOLATION_SHARE_FULL = 0.05
INSTITUTION_POINTS_FULL = 30
STAFF_POINTS_FULL = 12
SANCTION_SEVERITY = {
    "order_to_correct": 0.25, "public_criticism": 0.5, "suspension": 1.0, "termination": 1.0,
    "staff_suspension": 1.0, "staff_termination": 1.0,
}


@dataclass(frozen=True)
class History:
    """What credit knows of a provider's violations."""

    points: int = 0
    confirmed_amount: Decimal = Decimal(0)
    findings: int = 0
    active_sanctions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    code: str
    contribution: float
    detail: str


@dataclass
class Score:
    subject: str
    subject_kind: str
    score: float
    reasons: list[Reason] = field(default_factory=list)
    institution_code: str = ""


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def score(policy: Policy, subject: str, kind: str, peer_scores: Mapping[str, float], cost: Decimal,
          history: History, institution_code: str = "") -> Score:
    reasons: list[Reason] = []
    sat = float(policy.z_saturation)
    # Only unusually *high* values are risk: low cost is not a fraud signal here.
    top = sorted(((z, k) for k, z in peer_scores.items() if z > 0), reverse=True)
    if top:
        z, k = top[0]
        # The strongest anomaly counts fully; further ones add a little (two signals agree).
        extra = sum(min(zz / sat, 1.0) for zz, _ in top[1:3]) * 0.15
        part = _clip(z / sat + extra) * float(policy.indicator_weight)
        others = ", ".join(f"{kk} {zz:.1f}" for zz, kk in top[1:3])
        reasons.append(Reason("indicator_anomaly", part,
                              f"{k} robust z {z:.1f} among peers" + (f"; also {others}" if others else "")))
    else:
        reasons.append(Reason("indicator_anomaly", 0.0, "no indicator above its peers' median"
                              if peer_scores else "no indicators recorded for the period"))
    share = float(history.confirmed_amount) / float(cost) if cost > 0 else (1.0 if history.confirmed_amount else 0.0)
    full_points = INSTITUTION_POINTS_FULL if kind == "institution" else STAFF_POINTS_FULL
    v = _clip(0.6 * _clip(share / VIOLATION_SHARE_FULL) + 0.4 * _clip(history.points / full_points))
    reasons.append(Reason("violation_history", v * float(policy.violation_weight),
                          f"{history.findings} confirmed finding(s), {history.confirmed_amount} yuan "
                          f"({share:.2%} of cost), {history.points} point(s) this year"))
    sev = max((SANCTION_SEVERITY.get(s, 0.5) for s in history.active_sanctions), default=0.0)
    reasons.append(Reason("sanctions", sev * float(policy.sanction_weight),
                          "in force: " + ", ".join(history.active_sanctions) if history.active_sanctions
                          else "no sanction in force"))
    total = sum(r.contribution for r in reasons)
    reasons.sort(key=lambda r: -r.contribution)
    return Score(subject, kind, round(total, 2), reasons, institution_code)
