"""Points and what follows from them: pure functions over an append-only ledger.

The ledger only grows: a finding overturned on appeal gets a reversal entry, never an
edit. What a subject deserves (actions, suspensions, terminations) is always *derived*
from the live entries of the year, so an overturn recomputes everything downstream: the
store compares what is deserved now with the decisions still in force, adds the missing
ones and withdraws the ones no longer deserved. Decision ids are derived from the subject,
year, kind and the ledger entry that crossed the threshold, so re-deriving gives the same
ids and every outbound call can be repeated safely.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.credit.domain.policy import Policy, band_value

_NAMESPACE = uuid.UUID("5b0f3c0e-6a57-4d0c-9a59-0c2b1f6f2c11")


@dataclass(frozen=True)
class FindingFacts:
    """What credit needs to know about a confirmed finding."""

    finding_id: str
    rule_id: str
    national_code: str
    tier: str
    result_type: str
    amount: Decimal
    institution_code: str
    doctor_code: str
    responsibility: str = ""


@dataclass(frozen=True)
class Entry:
    """One ledger entry as the decisions see it."""

    entry_id: int
    points: int
    on: date                  # business date the points were recorded for
    finding_id: str = ""
    reverses: int | None = None


@dataclass(frozen=True)
class Deserved:
    """A decision the live ledger calls for."""

    decision_id: str
    kind: str
    start: date
    end: date | None
    points: int               # the year's total when the threshold was crossed
    entry_id: int             # the entry that crossed it
    cause: str


def decision_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _key(f: FindingFacts) -> str:
    return f"{f.tier}_{f.result_type}"


def institution_points(policy: Policy, f: FindingFacts) -> int:
    """Agreement points for one confirmed finding: by tier, result type and amount band."""
    base = policy.inst_fraud if policy.is_fraud(f.rule_id, f.national_code) else policy.inst_base.get(_key(f), 0)
    if base == 0:
        return 0
    return base + int(band_value(policy.inst_amount_bands, f.amount))


def staff_points(policy: Policy, f: FindingFacts) -> int:
    """Payment-qualification points for one incident under the 2024 scheme.

    The finding picks the band (fraud always the top band; a large amount moves a
    non-fraud finding one band up); responsibility picks the place within the band.
    """
    if policy.is_fraud(f.rule_id, f.national_code):
        band = policy.staff_fraud_band
    else:
        band = policy.staff_band_by_finding.get(_key(f), 1)
        if f.amount >= policy.staff_amount_step_up:
            band = min(band + 1, policy.staff_fraud_band - 1)
    lo, hi = policy.staff_bands[band - 1]
    place = policy.responsibility[f.responsibility or policy.default_responsibility]
    top = max(policy.responsibility.values()) or 1
    return lo + round((hi - lo) * place / top)


def live(entries: Iterable[Entry]) -> list[Entry]:
    """Entries still in force: neither a reversal nor reversed; in recording order."""
    items = list(entries)
    reversed_ids = {e.reverses for e in items if e.reverses is not None}
    return sorted((e for e in items if e.reverses is None and e.entry_id not in reversed_ids),
                  key=lambda e: (e.on, e.entry_id))


def staff_deserved(policy: Policy, staff_code: str, year: int, entries: Sequence[Entry]) -> list[Deserved]:
    """Suspension at suspend_at points in the natural year, termination at terminate_at."""
    out: list[Deserved] = []
    total = 0
    suspended = terminated = False
    for e in live(entries):
        before, total = total, total + e.points
        if not terminated and total >= policy.terminate_at:
            years = policy.ban_years_single_incident if e.points >= policy.terminate_at else policy.ban_years
            ban_until = add_months(e.on, 12 * years)
            out.append(Deserved(decision_id(staff_code, year, "staff_termination", e.entry_id), "staff_termination",
                                e.on, ban_until, total, e.entry_id,
                                f"{total} points in {year} (from {before}); ban {years} year(s)"))
            terminated = True
        elif not suspended and not terminated and total >= policy.suspend_at:
            months = policy.suspension_months_for(total)
            end = add_months(e.on, months) - timedelta(days=1)
            out.append(Deserved(decision_id(staff_code, year, "staff_suspension", e.entry_id), "staff_suspension",
                                e.on, end, total, e.entry_id, f"{total} points in {year}; suspended {months} month(s)"))
            suspended = True
    return out


def institution_deserved(policy: Policy, institution_code: str, year: int, entries: Sequence[Entry]) -> list[Deserved]:
    """Each action threshold crossed in the natural year, dated by the entry that crossed it."""
    out: list[Deserved] = []
    total = 0
    pending = list(policy.inst_actions)
    for e in live(entries):
        total += e.points
        while pending and total >= pending[0].points:
            a = pending.pop(0)
            end = add_months(e.on, a.months) - timedelta(days=1) if a.months else None
            out.append(Deserved(decision_id(institution_code, year, a.action, e.entry_id), a.action, e.on, end,
                                total, e.entry_id, f"{total} points in {year} reached {a.points}"))
    return out


def reconcile(deserved: Sequence[Deserved], active_ids: Iterable[str]) -> tuple[list[Deserved], list[str]]:
    """(decisions to add, active decision ids to withdraw)."""
    want = {d.decision_id for d in deserved}
    have = set(active_ids)
    return [d for d in deserved if d.decision_id not in have], sorted(have - want)


@dataclass(frozen=True)
class Grade:
    points: int
    score: int
    grade: str
    prepayment_ratio: Decimal
    failing: bool


def assess(policy: Policy, points: int) -> Grade:
    score = max(policy.full_score - points, 0)
    for band in policy.grade_bands:
        if score >= band.min_score:
            return Grade(points, score, band.grade, band.prepayment_ratio, band.grade in policy.failing_grades)
    last = policy.grade_bands[-1]
    return Grade(points, score, last.grade, last.prepayment_ratio, last.grade in policy.failing_grades)
