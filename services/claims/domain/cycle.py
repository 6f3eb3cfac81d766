"""The monthly cycle's states and the moves allowed between them (domain §6).

found -> published -> appealed -> confirmed | overturned
                   -> confirmed (not appealed by the deadline)

Every move is recorded as an appended finding event (who, when, why); the finding's
``state`` column is only the latest of them.
"""

from __future__ import annotations

from datetime import date, timedelta

from fundguard.runtime.errors import FieldViolation, InvalidArgument

FOUND, PUBLISHED, APPEALED, CONFIRMED, OVERTURNED = "found", "published", "appealed", "confirmed", "overturned"
DEFAULT_APPEAL_DAYS = 10

ALLOWED: dict[str, set[str]] = {
    FOUND: {PUBLISHED},
    PUBLISHED: {APPEALED, CONFIRMED},
    APPEALED: {CONFIRMED, OVERTURNED},
    CONFIRMED: set(),
    OVERTURNED: set(),
}
DECISIONS = {"upheld": CONFIRMED, "overturned": OVERTURNED}


def appeal_deadline(published_on: date, appeal_days: int) -> date:
    """The last day an appeal is accepted: ``appeal_days`` calendar days after publication."""
    return published_on + timedelta(days=appeal_days)


def check_move(finding_id: str, current: str, target: str) -> None:
    if target not in ALLOWED.get(current, set()):
        raise InvalidArgument([FieldViolation(
            "finding_id", f"finding {finding_id} is {current}; it cannot become {target}")])


def check_appeal(finding_id: str, state: str, owner: str, appellant: str, deadline: date | None,
                 today: date, reason: str) -> None:
    problems: list[FieldViolation] = []
    if not reason.strip():
        problems.append(FieldViolation("reason", "an appeal needs a reason"))
    if appellant != owner:
        problems.append(FieldViolation("institution_code", f"finding {finding_id} belongs to another institution"))
    if state != PUBLISHED:
        problems.append(FieldViolation("finding_id", f"finding {finding_id} is {state}; only a published finding "
                                                     "can be appealed"))
    elif deadline is not None and today > deadline:
        problems.append(FieldViolation("finding_id", f"the appeal deadline {deadline.isoformat()} has passed"))
    if problems:
        raise InvalidArgument(problems)


def due_for_confirmation(state: str, deadline: date | None, as_of: date) -> bool:
    """A published finding not appealed by its deadline counts as confirmed the day after."""
    return state == PUBLISHED and deadline is not None and as_of > deadline


def month_bounds(period: str) -> tuple[date, date]:
    """YYYY-MM -> [first day, first day of the next month)."""
    try:
        year, month = (int(x) for x in period.split("-"))
        start = date(year, month, 1)
    except ValueError as exc:
        raise InvalidArgument([FieldViolation("period", f"must be YYYY-MM, got {period!r}")]) from exc
    if len(period) != 7:
        raise InvalidArgument([FieldViolation("period", f"must be YYYY-MM, got {period!r}")])
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end
