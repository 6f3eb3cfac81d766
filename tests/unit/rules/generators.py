"""Hypothesis strategies for the rules property tests: random catalogues cut from the test
catalogue, random patient cases that make most templates fire, and random rule periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from fundguard.common.v1 import common_pb2
from services.rules.domain import catalogue as cat
from services.rules.domain.rulepack import Rule
from services.rules.main import load_default_pack
from tests.unit.rules.scenarios import CATALOGUE_DIR, SCENARIOS

PACK = load_default_pack()
FILES = cat.read_folder(CATALOGUE_DIR)
ITEM_ROWS = FILES["items.csv"].splitlines()
CODES = [row.split(",")[0] for row in ITEM_ROWS[1:]] + ["UNKNOWN"]
DIAGNOSES = ["J06.9", "J02.9", "K25.1", "K35.8", "O80", "N40", "P07.3", "K29.7", "bad"]
PROCEDURES = ["47.01", "68.41", "99.99", ""]
FIRING = [s.case for s in SCENARIOS if s.expected]  # a case that makes its template fire


@st.composite
def catalogues(draw: st.DrawFn) -> cat.Catalogue:
    """The test catalogue with a random subset of its items and pair tables."""
    # Mostly kept, so that pairs of items and their tables meet often.
    mostly = st.sampled_from([True, True, True, True, True, False])
    keep = draw(st.lists(mostly, min_size=len(ITEM_ROWS) - 1, max_size=len(ITEM_ROWS) - 1))
    items = "\n".join([ITEM_ROWS[0]] + [r for r, k in zip(ITEM_ROWS[1:], keep, strict=True) if k]) + "\n"
    tables = {n: t for n, t in FILES.items() if n != "items.csv" and draw(mostly)}
    return cat.parse("random", "2024-01-01", {"items.csv": items, **tables})


# Items that make a template fire together: on one day of one encounter.
TOGETHER = [("SIM1", "SIM2"), ("INT1", "INT2"), ("HB1", "HB2"), ("BIG", "SMALL"), ("PART1", "PART2"),
            ("SURG1", "SURG2"), ("NEEDS", "INJ"), ("FIRST", "SEC"), ("HERBC", "HERBX"), ("PAYD", "PAYD"),
            ("FREQ", "FREQ"), ("CAP", "CAP"), ("COURSE", "COURSE")]


def _lines(draw: st.DrawFn, most: int, days: list[str]) -> list[common_pb2.FeeLine]:
    out: list[common_pb2.FeeLine] = []
    for _ in range(draw(st.integers(0, most))):
        if draw(st.integers(0, 3)) == 0:
            day = draw(st.sampled_from(days))
            for code in draw(st.sampled_from(TOGETHER)):
                out.append(_line(draw, len(out), [day], code))
        else:
            out.append(_line(draw, len(out), days))
    return out


def _line(draw: st.DrawFn, li: int, days: list[str], code: str = "") -> common_pb2.FeeLine:
    qty = draw(st.sampled_from(["1", "2", "5", "12", "-1", "0.5"]))
    price = draw(st.sampled_from(["3.00", "10.00", "45.50", "140.00", "1000.00", "0.8750"]))
    amount = (Decimal(qty) * Decimal(price)).quantize(Decimal("0.01"))
    # Now and then an amount that is not quantity x price, or no unit price at all.
    amount += draw(st.sampled_from([Decimal(0)] * 6 + [Decimal("1.00"), Decimal("0.01")]))
    if draw(st.integers(0, 9)) == 0:
        price = ""
    return common_pb2.FeeLine(
        line_id=f"L{li}", item_code=code or draw(st.sampled_from(CODES)), item_type=draw(st.sampled_from(["", "", "101", "201"])),
        quantity=qty, unit_price=common_pb2.Money(amount=price), amount=common_pb2.Money(amount=str(amount)),
        service_date=draw(st.sampled_from(days)), dept_code=draw(st.sampled_from(["A03", "A05", ""])))


def _renamed(e: common_pb2.Encounter, pid: str, n: int) -> common_pb2.Encounter:
    out = common_pb2.Encounter()
    out.CopyFrom(e)
    out.encounter_id = f"{pid}-S{n}"
    out.claim_id = f"{e.institution_code}-{out.encounter_id}"
    return out


@st.composite
def patient_cases(draw: st.DrawFn, pid: str) -> common_pb2.PatientCase:
    """A random patient: a few encounters (sometimes a burst of one care setting), random lines."""
    day = st.integers(1, 28).map(lambda d: f"2026-11-{d:02d}")
    encounters = []
    history = []
    base = draw(st.integers(1, 4))
    # Sometimes a burst of encounters of one care setting (frequent visits, pharmacy purchases).
    burst = draw(st.sampled_from(["", "", "", "", "1", "2", "3"]))
    extra = draw(st.integers(4, 9)) if burst else 0
    burst_day = draw(day)
    for e in range(base + extra):
        in_burst = e >= base
        care = burst if in_burst else draw(st.sampled_from(["1", "2", "3"]))
        adm = burst_day if in_burst and care == "3" else draw(day)
        dis = draw(day) if care == "2" else adm
        adm, dis = min(adm, dis), max(adm, dis)
        lines = _lines(draw, 1 if in_burst else 6, [adm, dis, draw(day)])
        total = sum((Decimal(x.amount.amount) for x in lines), Decimal(0))
        total_amount = draw(st.sampled_from(["", "", str(total), str(total + 1), "0"]))
        enc = common_pb2.Encounter(
            encounter_id=f"{pid}-E{e}", institution_code=draw(st.sampled_from(["H1", "H2"])),
            institution_level=draw(st.sampled_from(["1", "2", "3"])), care_setting=care, admission_date=adm,
            discharge_date=dis, dept_code="A03", insurance_type=draw(st.sampled_from(["310", "510", "610"])),
            diagnoses=[common_pb2.Diagnosis(code=d) for d in draw(st.lists(st.sampled_from(DIAGNOSES), max_size=2))],
            procedures=[common_pb2.Procedure(code=p) for p in draw(st.lists(st.sampled_from(PROCEDURES), max_size=1))],
            lines=lines, invoice_no=draw(st.sampled_from(["", "INV1", "INV2"])),
            total_amount=common_pb2.Money(amount=total_amount))
        (history if draw(st.booleans()) else encounters).append(enc)
    return common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id=pid, gender=draw(st.sampled_from(["1", "2"])),
                                   birth_date=draw(st.sampled_from(["1950-05-01", "1961-11-10", "2015-01-01",
                                                                    "2026-10-13", "1990-02-28"])),
                                   death_date=draw(st.sampled_from(["", "2026-11-15"])), insurance_type="310"),
        encounters=encounters, history=history)


@st.composite
def seeded_case(draw: st.DrawFn, seed: common_pb2.PatientCase, pid: str) -> common_pb2.PatientCase:
    """A scenario's patient (renamed) with random encounters added."""
    extra = draw(patient_cases(pid))
    p = seed.patient
    n = len(seed.encounters)
    return common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id=pid, gender=p.gender, birth_date=p.birth_date, death_date=p.death_date,
                                   insurance_type=p.insurance_type),
        encounters=[_renamed(e, pid, i) for i, e in enumerate(seed.encounters)] + list(extra.encounters)[:2],
        history=[_renamed(e, pid, n + i) for i, e in enumerate(seed.history)] + list(extra.history)[:2])


@st.composite
def batches(draw: st.DrawFn, most: int = 5) -> tuple[common_pb2.PatientCase, ...]:
    """Random patients, and up to four patients grown from scenarios that make some template
    fire, so that rare combinations meet often among random noise."""
    cases = [draw(patient_cases(f"P{i}")) for i in range(draw(st.integers(1, most)))]
    # A shuffle spreads the picks over every scenario (sampled_from keeps to a few in practice).
    seeds = draw(st.permutations(FIRING))[:draw(st.integers(0, 4))]
    cases += [draw(seeded_case(seed, f"S{i}")) for i, seed in enumerate(seeds)]
    return tuple(cases)


@st.composite
def rule_sets(draw: st.DrawFn) -> list[Rule]:
    """The default pack's rules, some with a period inside the month or limited to care settings
    and levels (the engine's filters on findings)."""
    out = []
    for r in PACK.for_moment("post"):
        if draw(st.integers(0, 7)) == 0:
            start = draw(st.sampled_from([date(1900, 1, 1), date(2026, 11, 6), date(2026, 11, 20), date(2026, 12, 1)]))
            end = draw(st.sampled_from([None, date(2026, 11, 10), date(2026, 11, 25)]))
            r = replace(r, effective_from=start, effective_to=end if end is None or end > start else None,
                        care_settings=frozenset(draw(st.lists(st.sampled_from(["1", "2", "3"]), max_size=2))),
                        institution_levels=frozenset(draw(st.lists(st.sampled_from(["1", "2", "3"]), max_size=2))))
        out.append(r)
    return out
