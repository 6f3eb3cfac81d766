"""Binding a fee line to the staff member who ordered it, on the day of service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


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


@dataclass(frozen=True)
class StatusPeriod:
    status: str  # suspended or terminated
    period: Period
    reason: str = ""


@dataclass(frozen=True)
class StaffFacts:
    """What the registry knows about one staff code, enough to judge any line."""

    code: str
    registrations: dict[str, list[Period]]  # institution code -> practice periods
    statuses: list[StatusPeriod]


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
