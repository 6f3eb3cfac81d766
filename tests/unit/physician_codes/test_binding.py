"""Judging fee lines by date ranges: sanctions start and end by themselves."""

from datetime import date

from services.physician_codes.domain.binding import (
    Binding,
    Lift,
    Period,
    RegistrationFact,
    Sanction,
    judge,
    registration_problem,
    staff_facts,
    status_on,
)

DOC, HOSP, CLINIC = "D32118100101", "H32118100064", "H32118100102"
SINCE_2020 = RegistrationFact(HOSP, Period(date(2020, 1, 1), None))


def day(d: int, month: int = 11) -> date:
    return date(2026, month, d)


def test_a_suspension_from_the_10th_to_the_20th_judges_fees_on_each_side():
    facts = staff_facts(DOC, [SINCE_2020], [Sanction("S-1", "suspended", day(10), day(20), reason="9 points")], [])
    verdicts = {d: judge(DOC, HOSP, day(d), facts)[0] for d in (9, 10, 15, 20, 21, 30)}
    assert verdicts == {9: Binding.VALID, 10: Binding.SUSPENDED, 15: Binding.SUSPENDED, 20: Binding.SUSPENDED,
                        21: Binding.VALID, 30: Binding.VALID}
    assert status_on(facts, day(20)) == "suspended" and status_on(facts, day(21)) == "active"


def test_unknown_missing_and_unregistered_codes():
    facts = staff_facts(DOC, [SINCE_2020], [], [])
    assert judge("", HOSP, day(1), None)[0] is Binding.MISSING_CODE
    assert judge(DOC, HOSP, day(1), None)[0] is Binding.UNKNOWN_CODE
    assert judge(DOC, CLINIC, day(1), facts)[0] is Binding.NOT_REGISTERED
    assert judge(DOC, HOSP, date(2019, 12, 31), facts)[0] is Binding.NOT_REGISTERED


def test_multi_site_practice_binds_at_each_site_in_its_own_period():
    facts = staff_facts(DOC, [SINCE_2020, RegistrationFact(CLINIC, Period(day(1), day(15)))], [], [])
    assert judge(DOC, CLINIC, day(15), facts)[0] is Binding.VALID
    assert judge(DOC, CLINIC, day(16), facts)[0] is Binding.NOT_REGISTERED
    assert judge(DOC, HOSP, day(16), facts)[0] is Binding.VALID


def test_termination_outranks_suspension_and_cuts_registrations():
    facts = staff_facts(DOC, [SINCE_2020], [
        Sanction("S-1", "suspended", day(1), day(30)),
        Sanction("T-1", "terminated", day(15), ban_until=date(2027, 11, 15)),
    ], [])
    assert judge(DOC, HOSP, day(14), facts)[0] is Binding.SUSPENDED
    assert judge(DOC, HOSP, day(15), facts)[0] is Binding.TERMINATED
    assert judge(DOC, HOSP, date(2030, 1, 1), facts)[0] is Binding.TERMINATED  # never re-registered
    assert facts.registrations[HOSP] == [Period(date(2020, 1, 1), day(14))]


def test_re_registration_after_the_ban_ends_the_termination():
    again = RegistrationFact(CLINIC, Period(date(2027, 12, 1), None))
    facts = staff_facts(DOC, [SINCE_2020, again],
                        [Sanction("T-1", "terminated", day(15), ban_until=date(2027, 11, 15))], [])
    assert judge(DOC, CLINIC, date(2027, 11, 30), facts)[0] is Binding.TERMINATED
    assert judge(DOC, CLINIC, date(2027, 12, 1), facts)[0] is Binding.VALID
    # The old registration stays cut: the hospital is not where the doctor practises now.
    assert judge(DOC, HOSP, date(2027, 12, 1), facts)[0] is Binding.NOT_REGISTERED


def test_a_lift_at_the_start_withdraws_the_sanction_and_a_dated_lift_shortens_it():
    susp = Sanction("S-1", "suspended", day(10), day(20))
    void = staff_facts(DOC, [SINCE_2020], [susp], [Lift("L-1", "S-1", day(10))])
    assert judge(DOC, HOSP, day(12), void)[0] is Binding.VALID
    early = staff_facts(DOC, [SINCE_2020], [susp], [Lift("L-1", "S-1", day(15))])
    assert judge(DOC, HOSP, day(14), early)[0] is Binding.SUSPENDED
    assert judge(DOC, HOSP, day(15), early)[0] is Binding.VALID
    term = Sanction("T-1", "terminated", day(10), ban_until=date(2027, 1, 1))
    lifted = staff_facts(DOC, [SINCE_2020], [term], [Lift("L-2", "T-1", day(10))])
    assert judge(DOC, HOSP, day(12), lifted)[0] is Binding.VALID


def test_overlapping_periods_at_one_institution_are_refused_but_other_sites_may_overlap():
    existing = [RegistrationFact(HOSP, Period(date(2026, 1, 1), date(2026, 6, 30)))]
    overlap = RegistrationFact(HOSP, Period(date(2026, 6, 1), None))
    assert "overlaps" in (registration_problem(overlap, existing, [], []) or "")
    after = RegistrationFact(HOSP, Period(date(2026, 7, 1), None))
    assert registration_problem(after, existing, [], []) is None
    elsewhere = RegistrationFact(CLINIC, Period(date(2026, 3, 1), None))
    assert registration_problem(elsewhere, existing, [], []) is None
    # The same start at the same place is an amendment of that registration, not an overlap.
    amend = RegistrationFact(HOSP, Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert registration_problem(amend, existing, [], []) is None


def test_a_terminated_person_cannot_register_before_the_ban_ends():
    term = Sanction("T-1", "terminated", day(15), ban_until=date(2027, 11, 15))
    early = RegistrationFact(CLINIC, Period(date(2027, 11, 14), None))
    assert "no registration before 2027-11-15" in (registration_problem(early, [], [term], []) or "")
    assert registration_problem(RegistrationFact(CLINIC, Period(date(2027, 11, 15), None)), [], [term], []) is None
    history = RegistrationFact(CLINIC, Period(date(2024, 1, 1), date(2025, 12, 31)))
    assert registration_problem(history, [], [term], []) is None  # before the termination: a record
    assert registration_problem(early, [], [term], [Lift("L-1", "T-1", day(15))]) is None
