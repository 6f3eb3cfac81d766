"""The vectorised check answers exactly as the per-line check, on any registry."""

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from services.physician_codes.domain.binding import (
    Lift,
    Period,
    RegistrationFact,
    Sanction,
    judge,
    staff_facts,
)
from services.physician_codes.domain.snapshot import RegistrySnapshot, judge_frame

CODES = ["D32118100001", "D32118100002", "D32118100003"]
INSTS = ["H32118100001", "H32118100002"]
BASE = date(2026, 1, 1)
days = st.integers(0, 60).map(lambda n: BASE + timedelta(days=n))


@st.composite
def period(draw):
    start = draw(days)
    end = draw(st.one_of(st.none(), st.integers(0, 30).map(lambda n: start + timedelta(days=n))))
    return Period(start, end)


@st.composite
def registry(draw):
    facts = {}
    for code in draw(st.lists(st.sampled_from(CODES), unique=True)):
        regs = [RegistrationFact(draw(st.sampled_from(INSTS)), draw(period())) for _ in range(draw(st.integers(0, 3)))]
        sanctions = []
        for i in range(draw(st.integers(0, 2))):
            p = draw(period())
            if draw(st.booleans()):
                sanctions.append(Sanction(f"{code}-S{i}", "suspended", p.start, p.end))
            else:
                sanctions.append(Sanction(f"{code}-T{i}", "terminated", p.start, ban_until=p.end))
        lifts = [Lift(f"L-{s.decision_id}", s.decision_id, draw(days)) for s in sanctions if draw(st.booleans())]
        facts[code] = staff_facts(code, regs, sanctions, lifts)
    return facts


lines = st.lists(st.tuples(st.sampled_from([*CODES, "", "D32118100009"]), st.sampled_from(INSTS), days),
                 min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(registry(), lines)
def test_vectorised_and_per_line_checks_agree(facts, queries):
    snap = RegistrySnapshot(1, facts)
    frame = pl.DataFrame({"line_id": [str(i) for i in range(len(queries))],
                          "staff_code": [q[0] for q in queries], "institution_code": [q[1] for q in queries],
                          "service_date": [q[2] for q in queries]}, schema_overrides={"service_date": pl.Date})
    got = judge_frame(frame, snap)
    assert got["line_id"].to_list() == frame["line_id"].to_list()
    expected = [judge(c, i, d, facts.get(c))[0].value for c, i, d in queries]
    assert got["status"].to_list() == expected
    for (c, _, d), status, decision in zip(queries, expected, got["decision_id"].to_list(), strict=True):
        if status in ("suspended", "terminated"):
            assert any(s.decision_id == decision and s.status == status and s.period.covers(d)
                       for s in facts[c].statuses)
        else:
            assert decision is None


@settings(max_examples=60, deadline=None)
@given(registry(), registry())
def test_a_successor_snapshot_derives_the_same_tables_as_a_full_build(before, after):
    old = RegistrySnapshot(1, before)
    old.warm()
    changed = set(before) | set(after)  # every code either changed or was removed
    new = old.successor(2, after, changed)
    full = RegistrySnapshot(2, after)
    key = ["staff_code", "start", "end"]
    assert new.base is None and new.version == 2 and dict(new.facts) == after
    assert new.registrations.sort([*key, "institution_code"]).equals(full.registrations.sort([*key, "institution_code"]))
    assert new.sanctions.sort([*key, "decision_id"]).equals(full.sanctions.sort([*key, "decision_id"]))


def test_a_successor_keeps_unchanged_staff_and_replaces_the_changed():
    a = staff_facts("D32118100001", [RegistrationFact(INSTS[0], Period(BASE, None))], [], [])
    b = staff_facts("D32118100002", [RegistrationFact(INSTS[1], Period(BASE, None))], [], [])
    old = RegistrySnapshot(1, {a.code: a, b.code: b})
    old.warm()
    b2 = staff_facts(b.code, [RegistrationFact(INSTS[1], Period(BASE, None))],
                     [Sanction("S-1", "suspended", BASE, BASE + timedelta(days=5))], [])
    new = old.successor(2, {b2.code: b2}, {b.code})
    assert new.facts[a.code] is a and new.facts[b.code] is b2
    assert new.sanctions["decision_id"].to_list() == ["S-1"]
    assert sorted(new.registrations["staff_code"].to_list()) == [a.code, b.code]
