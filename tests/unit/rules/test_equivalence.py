"""Property: real time (each patient alone, with their history) and bulk (all patients in one
batch, and in patient-grouped chunks) give identical findings, for random encounters and
random catalogues; and skipping templates by their probes never loses a finding."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundguard.common.v1 import common_pb2
from services.rules.domain import catalogue as cat
from services.rules.domain import engine
from services.rules.main import load_default_pack
from services.rules.servicer import batch_from_cases
from tests.unit.rules.scenarios import CATALOGUE_DIR

PACK = load_default_pack()
FILES = cat.read_folder(CATALOGUE_DIR)
ITEM_ROWS = FILES["items.csv"].splitlines()
CODES = [row.split(",")[0] for row in ITEM_ROWS[1:]] + ["UNKNOWN"]
DIAGNOSES = ["J06.9", "J02.9", "K25.1", "K35.8", "O80", "N40", "P07.3", "K29.7", "bad"]
PROCEDURES = ["47.01", "68.41", "99.99", ""]


@st.composite
def catalogues(draw: st.DrawFn) -> cat.Catalogue:
    """The test catalogue with a random subset of its items and pair tables."""
    keep = draw(st.lists(st.booleans(), min_size=len(ITEM_ROWS) - 1, max_size=len(ITEM_ROWS) - 1))
    items = "\n".join([ITEM_ROWS[0]] + [r for r, k in zip(ITEM_ROWS[1:], keep, strict=True) if k]) + "\n"
    tables = {n: t for n, t in FILES.items() if n != "items.csv" and draw(st.booleans())}
    return cat.parse("random", "2024-01-01", {"items.csv": items, **tables})


@st.composite
def patient_cases(draw: st.DrawFn, pid: str) -> common_pb2.PatientCase:
    day = st.integers(1, 28).map(lambda d: f"2026-11-{d:02d}")
    encounters = []
    history = []
    for e in range(draw(st.integers(1, 4))):
        care = draw(st.sampled_from(["1", "2", "3"]))
        adm = draw(day)
        dis = draw(day) if care == "2" else adm
        adm, dis = min(adm, dis), max(adm, dis)
        lines = []
        for li in range(draw(st.integers(0, 6))):
            qty = draw(st.sampled_from(["1", "2", "5", "12", "-1"]))
            price = draw(st.sampled_from(["3.00", "10.00", "45.50", "140.00", "1000.00"]))
            amount = (Decimal(qty) * Decimal(price)).quantize(Decimal("0.01"))
            lines.append(common_pb2.FeeLine(
                line_id=f"L{li}", item_code=draw(st.sampled_from(CODES)), quantity=qty,
                unit_price=common_pb2.Money(amount=price), amount=common_pb2.Money(amount=str(amount)),
                service_date=draw(st.sampled_from([adm, dis, draw(day)])), dept_code=draw(st.sampled_from(["A03", "A05", ""]))))
        enc = common_pb2.Encounter(
            encounter_id=f"{pid}-E{e}", institution_code=draw(st.sampled_from(["H1", "H2"])),
            institution_level=draw(st.sampled_from(["1", "2", "3"])), care_setting=care, admission_date=adm,
            discharge_date=dis, dept_code="A03", insurance_type=draw(st.sampled_from(["310", "510", "610"])),
            diagnoses=[common_pb2.Diagnosis(code=d) for d in draw(st.lists(st.sampled_from(DIAGNOSES), max_size=2))],
            procedures=[common_pb2.Procedure(code=p) for p in draw(st.lists(st.sampled_from(PROCEDURES), max_size=1))],
            lines=lines, invoice_no=draw(st.sampled_from(["", "INV1", "INV2"])))
        (history if draw(st.booleans()) else encounters).append(enc)
    return common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id=pid, gender=draw(st.sampled_from(["1", "2"])),
                                   birth_date=draw(st.sampled_from(["1950-05-01", "1961-11-10", "2015-01-01",
                                                                    "2026-10-13", "1990-02-28"])),
                                   death_date=draw(st.sampled_from(["", "2026-11-15"])), insurance_type="310"),
        encounters=encounters, history=history)


def _key(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.select("rule_id", "rule_version", "claim_id", pl.col("line_ids").list.join(","),
                               pl.col("amount").cast(pl.String), "explanation", "evidence").iter_rows())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), cases=st.integers(1, 5).flatmap(
    lambda n: st.tuples(*[patient_cases(f"P{i}") for i in range(n)])))
def test_real_time_and_bulk_give_identical_findings(catalogue: cat.Catalogue,
                                                    cases: tuple[common_pb2.PatientCase, ...]) -> None:
    rules = PACK.for_moment("post")
    real_time = pl.concat([engine.evaluate_frame(batch_from_cases([c]), catalogue, rules) for c in cases])
    bulk = engine.evaluate_frame(batch_from_cases(list(cases)), catalogue, rules)
    chunked = pl.concat(list(engine.evaluate_stream([batch_from_cases(list(cases[:2])), batch_from_cases(list(cases[2:]))],
                                                    catalogue, PACK, "post")))
    unprobed = engine.evaluate_frame(batch_from_cases(list(cases)), catalogue, rules, use_probes=False)
    assert _key(real_time) == _key(bulk) == _key(chunked) == _key(unprobed)
