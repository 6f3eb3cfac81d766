"""Binding a fee line to the staff member who ordered it, on the day of service.

The registry keeps raw, append-only facts: practice registrations, sanctions decided by
credit, and lifts of sanctions. :func:`staff_facts` turns them into plain date intervals
(when the person was registered where, when suspended, when terminated), and
:func:`judge` answers for one line by looking the service date up in those intervals.

Because status is judged by date ranges, a suspension ends on its last day without anyone
acting: no job flips a flag, and a fee on the day after is judged as any other fee.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

ONE_DAY = timedelta(days=1)


class Binding(Enum):
    VALID = "valid"
    MISSING_CODE = "missing_code"
    UNKNOWN_CODE = "unknown_code"
    NOT_REGISTERED = "not_registered"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # inclusive last day; None means open-ended

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        return (self.end is None or other.start <= self.end) and (other.end is None or self.start <= other.end)


@dataclass(frozen=True)
class StatusPeriod:
    status: str  # suspended or terminated
    period: Period
    reason: str = ""
    decision_id: str = ""


@dataclass(frozen=True)
class StaffFacts:
    """What the registry knows about one staff code, enough to judge any line."""

    code: str
    registrations: dict[str, list[Period]]  # institution code -> payable practice periods
    statuses: list[StatusPeriod]


@dataclass(frozen=True)
class RegistrationFact:
    institution_code: str
    period: Period


@dataclass(frozen=True)
class Sanction:
    """A suspension or termination as credit decided it."""

    decision_id: str
    status: str  # suspended | terminated
    start: date
    end: date | None = None       # suspension: last day (inclusive); None until lifted
    ban_until: date | None = None  # termination: no re-registration before this day
    reason: str = ""


@dataclass(frozen=True)
class Lift:
    """A sanction withdrawn from ``effective`` on (its start date: as if it never was)."""

    decision_id: str
    lifts: str
    effective: date


@dataclass(frozen=True)
class Effective:
    """Registrations and sanctions after lifts and terminations have been applied."""

    registrations: list[RegistrationFact]
    statuses: list[StatusPeriod] = field(default_factory=list)


def _lifted_end(s: Sanction, lifts: Iterable[Lift]) -> tuple[date | None, bool]:
    """The sanction's last day after lifts, and whether any lift touched it."""
    end = s.end
    touched = False
    for lift in lifts:
        if lift.lifts != s.decision_id:
            continue
        touched = True
        last = lift.effective - ONE_DAY
        end = last if end is None else min(end, last)
    return end, touched


def ban_end(s: Sanction) -> date:
    return s.ban_until if s.ban_until is not None and s.ban_until > s.start else s.start


def effective(registrations: Iterable[RegistrationFact], sanctions: Iterable[Sanction],
              lifts: Iterable[Lift]) -> Effective:
    """Apply lifts and terminations to the raw facts.

    - A lift ends a sanction the day before it takes effect; lifted at its start, the
      sanction is gone altogether (fees in it are payable again).
    - A termination (not lifted) ends every registration that began before the ban ended,
      on the day before the termination. A registration starting on or after the ban's end
      is a re-registration: the termination ends the day before the first one.
    - A termination lifted on a date behaves like a suspension up to it and cuts nothing.
    """
    lifts = list(lifts)
    regs = sorted(registrations, key=lambda r: (r.period.start, r.institution_code))
    statuses: list[StatusPeriod] = []
    for s in sorted(sanctions, key=lambda x: (x.start, x.decision_id)):
        end, lifted = _lifted_end(s, lifts)
        if end is not None and end < s.start:
            continue  # withdrawn from its start
        if s.status != "terminated" or lifted:
            statuses.append(StatusPeriod(s.status, Period(s.start, end), s.reason, s.decision_id))
            continue
        ban = ban_end(s)
        cut: list[RegistrationFact] = []
        for r in regs:
            if r.period.start < ban:
                last = s.start - ONE_DAY
                new_end = last if r.period.end is None else min(r.period.end, last)
                if new_end >= r.period.start:
                    cut.append(RegistrationFact(r.institution_code, Period(r.period.start, new_end)))
            else:
                cut.append(r)
        regs = cut
        again = [r.period.start for r in regs if r.period.start >= ban]
        statuses.append(StatusPeriod("terminated", Period(s.start, min(again) - ONE_DAY if again else None),
                                     s.reason, s.decision_id))
    return Effective(regs, statuses)


def staff_facts(code: str, registrations: Iterable[RegistrationFact], sanctions: Iterable[Sanction],
                lifts: Iterable[Lift]) -> StaffFacts:
    sanctions = list(sanctions)
    if not sanctions:  # most staff: nothing to apply, and a province has hundreds of thousands
        plain: dict[str, list[Period]] = {}
        for r in registrations:
            plain.setdefault(r.institution_code, []).append(r.period)
        return StaffFacts(code, plain, [])
    eff = effective(registrations, sanctions, lifts)
    by_inst: dict[str, list[Period]] = {}
    for r in eff.registrations:
        by_inst.setdefault(r.institution_code, []).append(r.period)
    return StaffFacts(code, by_inst, eff.statuses)


def status_on(facts: StaffFacts, day: date) -> str:
    """active, suspended or terminated on ``day`` (terminated outranks suspended)."""
    covering = {s.status for s in facts.statuses if s.period.covers(day)}
    for status in ("terminated", "suspended"):
        if status in covering:
            return status
    return "active"


def judge(staff_code: str, institution_code: str, day: date, facts: StaffFacts | None) -> tuple[Binding, str]:
    """The binding of one line, with a plain reason. Sanctions outrank registration."""
    if not staff_code:
        return Binding.MISSING_CODE, "费用明细未填写医保医师代码"
    if facts is None:
        return Binding.UNKNOWN_CODE, f"医保医师代码{staff_code}不在医保医师库中"
    for status in facts.statuses:
        if status.status == "terminated" and status.period.covers(day):
            return Binding.TERMINATED, f"{staff_code}医保支付资格已于{status.period.start}终止"
    for status in facts.statuses:
        if status.status == "suspended" and status.period.covers(day):
            return Binding.SUSPENDED, (
                f"{staff_code}医保支付资格暂停期间（{status.period.start}至{status.period.end or '—'}）提供服务")
    if not any(p.covers(day) for p in facts.registrations.get(institution_code, [])):
        return Binding.NOT_REGISTERED, f"{staff_code}于{day}未在{institution_code}备案执业"
    return Binding.VALID, ""


def registration_problem(new: RegistrationFact, existing: Iterable[RegistrationFact],
                         sanctions: Iterable[Sanction], lifts: Iterable[Lift]) -> str | None:
    """Why a new (or changed) registration may not be recorded, or None.

    Two periods at the same institution may not overlap (multi-site practice means
    different institutions at once, not two records for one); a terminated person may not
    register for any day before the ban ends.
    """
    for r in existing:
        if r.institution_code == new.institution_code and r.period.start != new.period.start \
                and r.period.overlaps(new.period):
            return (f"overlaps the registration at {r.institution_code} from {r.period.start}"
                    f" to {r.period.end or 'open-ended'}")
    lifts = list(lifts)
    for s in sanctions:
        if s.status != "terminated":
            continue
        end, _ = _lifted_end(s, lifts)
        if end is not None:
            continue  # a lifted termination bans nothing
        ban = ban_end(s)
        if new.period.start < ban and (new.period.end is None or new.period.end >= s.start):
            return f"terminated on {s.start} (decision {s.decision_id}); no registration before {ban}"
    return None
