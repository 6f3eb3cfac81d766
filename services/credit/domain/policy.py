"""The credit policy: points, thresholds, grades, fines, fraud types, agencies, indicators.

Defaults live in ``services/credit/policy/default.toml``; ``FUNDGUARD_CREDIT_POLICY`` names
another file that replaces it. The file is checked on load so that a bad policy stops the
service at start with a message naming the key, rather than producing odd sanctions later.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy" / "default.toml"
POLICY_ENV = "FUNDGUARD_CREDIT_POLICY"
RESPONSIBILITIES = ("general", "important", "main")
INSTITUTION_ACTIONS = ("order_to_correct", "public_criticism", "suspension", "termination")


class PolicyError(ValueError):
    """The policy file is malformed; the message names the key."""


@dataclass(frozen=True)
class Band:
    start: Decimal
    value: Decimal


@dataclass(frozen=True)
class ActionThreshold:
    points: int
    action: str
    months: int = 0


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_score: int
    prepayment_ratio: Decimal


@dataclass(frozen=True)
class Policy:
    inst_base: Mapping[str, int]
    inst_fraud: int
    inst_amount_bands: tuple[Band, ...]
    inst_actions: tuple[ActionThreshold, ...]
    full_score: int
    grade_bands: tuple[GradeBand, ...]
    failing_grades: frozenset[str]
    failing_years_to_terminate: int
    publish: frozenset[str]
    staff_bands: tuple[tuple[int, int], ...]
    staff_band_by_finding: Mapping[str, int]
    staff_fraud_band: int
    staff_amount_step_up: Decimal
    responsibility: Mapping[str, int]
    default_responsibility: str
    suspend_at: int
    terminate_at: int
    suspension_months: Mapping[int, int]
    ban_years: int
    ban_years_single_incident: int
    fraud_rule_ids: frozenset[str]
    fraud_national_codes: frozenset[str]
    large: Decimal
    huge: Decimal
    especially_huge: Decimal
    art38: tuple[Band, ...]
    art40: tuple[Band, ...]
    agencies: Mapping[str, bool]   # agency -> may see full identity numbers
    growth_warning: Decimal
    robust_z_warning: Decimal
    min_peers: int
    drilldown_items: int
    indicator_weight: Decimal
    violation_weight: Decimal
    sanction_weight: Decimal
    z_saturation: Decimal

    def is_fraud(self, rule_id: str, national_code: str) -> bool:
        return rule_id in self.fraud_rule_ids or (bool(national_code) and national_code in self.fraud_national_codes)

    def suspension_months_for(self, points: int) -> int:
        """Months of suspension for a year's total at the crossing (the largest key not above it)."""
        keys = [k for k in sorted(self.suspension_months) if k <= points]
        return self.suspension_months[keys[-1]] if keys else self.suspension_months[min(self.suspension_months)]


def _dec(value: Any, key: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise PolicyError(f"{key} must be a decimal, got {value!r}") from exc
    if not d.is_finite():
        raise PolicyError(f"{key} must be finite, got {value!r}")
    return d


def _get(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise PolicyError(f"missing key {path}")
        node = node[part]
    return node


def _bands(rows: Any, key: str, field: str) -> tuple[Band, ...]:
    if not isinstance(rows, list) or not rows:
        raise PolicyError(f"{key} must be a non-empty list")
    out = tuple(Band(_dec(r.get("from"), f"{key}.from"), _dec(r.get(field), f"{key}.{field}")) for r in rows)
    if any(b.start >= a.start for b, a in zip(out, out[1:], strict=False)) or out[0].start != 0:
        raise PolicyError(f"{key} must start at 0 and rise strictly")
    return out


def band_value(bands: tuple[Band, ...], amount: Decimal) -> Decimal:
    """The value of the band with the highest start not above ``amount``."""
    chosen = bands[0].value
    for b in bands:
        if amount >= b.start:
            chosen = b.value
    return chosen


def parse(doc: Mapping[str, Any]) -> Policy:
    actions = tuple(ActionThreshold(int(a["points"]), str(a["action"]), int(a.get("months", 0)))
                    for a in _get(doc, "institution.actions"))
    for a in actions:
        if a.action not in INSTITUTION_ACTIONS:
            raise PolicyError(f"institution.actions: unknown action {a.action!r}")
    if [a.points for a in actions] != sorted({a.points for a in actions}):
        raise PolicyError("institution.actions must have rising, distinct points")
    grades = tuple(GradeBand(str(g["grade"]), int(g["min_score"]), _dec(g["prepayment_ratio"], "grade.ratio"))
                   for g in _get(doc, "institution.assessment.bands"))
    if [g.min_score for g in grades] != sorted((g.min_score for g in grades), reverse=True):
        raise PolicyError("institution.assessment.bands must be ordered from the best grade down")
    staff_bands = tuple((int(lo), int(hi)) for lo, hi in _get(doc, "staff.points.bands"))
    resp = {str(k): int(v) for k, v in _get(doc, "staff.points.responsibility").items()}
    if set(resp) != set(RESPONSIBILITIES):
        raise PolicyError(f"staff.points.responsibility must name {', '.join(RESPONSIBILITIES)}")
    art38 = _bands(_get(doc, "fines.art38"), "fines.art38", "multiple")
    art40 = _bands(_get(doc, "fines.art40"), "fines.art40", "multiple")
    # The regulation fixes the ranges; a provincial table may only choose within them.
    if any(not Decimal(1) <= b.value <= Decimal(2) for b in art38):
        raise PolicyError("fines.art38 multiples must be within 1-2 (regulation art. 38)")
    if any(not Decimal(2) <= b.value <= Decimal(5) for b in art40):
        raise PolicyError("fines.art40 multiples must be within 2-5 (regulation art. 40)")
    months = {int(k): int(v) for k, v in _get(doc, "staff.sanctions.suspension_months").items()}
    if any(not 1 <= m <= 6 for m in months.values()):
        raise PolicyError("staff.sanctions.suspension_months must be 1-6 months")
    large = _dec(_get(doc, "cases.large"), "cases.large")
    huge = _dec(_get(doc, "cases.huge"), "cases.huge")
    esp = _dec(_get(doc, "cases.especially_huge"), "cases.especially_huge")
    if not large < huge < esp:
        raise PolicyError("cases thresholds must rise: large < huge < especially_huge")
    default_resp = str(_get(doc, "staff.points.default_responsibility"))
    if default_resp not in RESPONSIBILITIES:
        raise PolicyError("staff.points.default_responsibility must be general, important or main")
    return Policy(
        inst_base={str(k): int(v) for k, v in _get(doc, "institution.points.base").items()},
        inst_fraud=int(_get(doc, "institution.points.fraud")),
        inst_amount_bands=_bands(_get(doc, "institution.points.amount_bands"), "institution.points.amount_bands",
                                 "extra"),
        inst_actions=actions,
        full_score=int(_get(doc, "institution.assessment.full_score")),
        grade_bands=grades,
        failing_grades=frozenset(_get(doc, "institution.assessment.failing_grades")),
        failing_years_to_terminate=int(_get(doc, "institution.assessment.failing_years_to_terminate")),
        publish=frozenset(_get(doc, "institution.disclosure.publish")),
        staff_bands=staff_bands,
        staff_band_by_finding={str(k): int(v) for k, v in _get(doc, "staff.points.band_by_finding").items()},
        staff_fraud_band=int(_get(doc, "staff.points.fraud_band")),
        staff_amount_step_up=_dec(_get(doc, "staff.points.amount_step_up"), "staff.points.amount_step_up"),
        responsibility=resp,
        default_responsibility=default_resp,
        suspend_at=int(_get(doc, "staff.sanctions.suspend_at")),
        terminate_at=int(_get(doc, "staff.sanctions.terminate_at")),
        suspension_months=months,
        ban_years=int(_get(doc, "staff.sanctions.ban_years")),
        ban_years_single_incident=int(_get(doc, "staff.sanctions.ban_years_single_incident")),
        fraud_rule_ids=frozenset(_get(doc, "fraud.rule_ids")),
        fraud_national_codes=frozenset(_get(doc, "fraud.national_codes")),
        large=large, huge=huge, especially_huge=esp,
        art38=art38, art40=art40,
        agencies={str(k): bool(v.get("unmask_identity", False)) for k, v in _get(doc, "agencies").items()},
        growth_warning=_dec(_get(doc, "indicators.growth_warning"), "indicators.growth_warning"),
        robust_z_warning=_dec(_get(doc, "indicators.robust_z_warning"), "indicators.robust_z_warning"),
        min_peers=int(_get(doc, "indicators.min_peers")),
        drilldown_items=int(_get(doc, "indicators.drilldown_items")),
        indicator_weight=_dec(_get(doc, "risk.indicator_weight"), "risk.indicator_weight"),
        violation_weight=_dec(_get(doc, "risk.violation_weight"), "risk.violation_weight"),
        sanction_weight=_dec(_get(doc, "risk.sanction_weight"), "risk.sanction_weight"),
        z_saturation=_dec(_get(doc, "risk.z_saturation"), "risk.z_saturation"),
    )


def load(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Policy:
    """The policy from ``path``, else from $FUNDGUARD_CREDIT_POLICY, else the defaults."""
    env = os.environ if env is None else env
    chosen = Path(path or env.get(POLICY_ENV) or DEFAULT_POLICY)
    try:
        with chosen.open("rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise PolicyError(f"{POLICY_ENV}: cannot read {chosen}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{chosen}: not valid TOML: {exc}") from exc
    try:
        return parse(doc)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PolicyError):
            raise PolicyError(f"{chosen}: {exc}") from exc
        raise PolicyError(f"{chosen}: malformed policy: {exc!r}") from exc
