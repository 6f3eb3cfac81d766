from __future__ import annotations

from datetime import date

import pytest

from fundguard.runtime.errors import InvalidArgument
from services.claims.domain import cycle


def test_deadline_and_auto_confirmation_day() -> None:
    deadline = cycle.appeal_deadline(date(2026, 11, 5), 10)
    assert deadline == date(2026, 11, 15)
    assert not cycle.due_for_confirmation("published", deadline, date(2026, 11, 15))  # last day to appeal
    assert cycle.due_for_confirmation("published", deadline, date(2026, 11, 16))
    assert not cycle.due_for_confirmation("appealed", deadline, date(2026, 12, 1))


def test_an_appeal_names_every_problem() -> None:
    with pytest.raises(InvalidArgument) as err:
        cycle.check_appeal("F1", "published", "H1", "H2", date(2026, 11, 15), date(2026, 11, 16), " ")
    assert {v.field for v in err.value.violations} == {"reason", "institution_code", "finding_id"}
    cycle.check_appeal("F1", "published", "H1", "H1", date(2026, 11, 15), date(2026, 11, 15), "有病历")


def test_moves_follow_the_cycle() -> None:
    cycle.check_move("F1", "found", "published")
    with pytest.raises(InvalidArgument):
        cycle.check_move("F1", "confirmed", "overturned")


def test_month_bounds() -> None:
    assert cycle.month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    for bad in ("2026-13", "2026-1", "abc"):
        with pytest.raises(InvalidArgument):
            cycle.month_bounds(bad)
