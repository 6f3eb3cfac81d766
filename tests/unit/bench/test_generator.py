"""The synthetic province: deterministic, injected at the configured rates, and every
injected violation is what its ground truth says (checked by the rules engine itself)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from bench.generator import RULES, Config, generate
from bench.generator.load import load_batch, load_catalogue
from bench.generator.truth import model_columns, read_truth, score
from services.rules.domain.engine import evaluate_frame
from services.rules.main import load_default_pack

SMALL = {"institutions": 14, "people": 300, "months": 6, "chunk_people": 120, "sample_3101": 5, "progress": False}
HIGH = {r: 0.05 for r in RULES} | {"R-AFTER-DEATH": 0.9, "R-FREQUENT-VISITS": 0.05, "R-FREQUENT-PURCHASES": 0.05,
                                    "R-FREQUENT-ADMISSIONS": 0.05, "R-SPLIT-PRESCRIPTION": 0.05,
                                    "R-CARD-MISUSE": 0.05, "R-SPLIT-ADMISSION": 0.2, "R-BED-DAYS-OVER-STAY": 0.2,
                                    "R-CHARGE-OUTSIDE-STAY": 0.2, "R-OUTPATIENT-DURING-STAY": 0.2}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("injected")
    generate(Config(seed=7, rates=HIGH, **SMALL), out)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(Config.clean(seed=7, **SMALL), out)  # type: ignore[arg-type]
    return out


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    cfg = Config(seed=3, rates=HIGH, **SMALL)  # type: ignore[arg-type]
    generate(cfg, tmp_path / "a")
    generate(cfg, tmp_path / "b")
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b
    assert any(k.startswith("national/2204/") for k in a) and any(k.startswith("parquet/lines/") for k in a)


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(Config(seed=3, **SMALL), tmp_path / "a")  # type: ignore[arg-type]
    generate(Config(seed=4, **SMALL), tmp_path / "b")  # type: ignore[arg-type]
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a["parquet/lines/part-00000.parquet"] != b["parquet/lines/part-00000.parquet"]
    assert a["ground_truth/violations.csv"] != b["ground_truth/violations.csv"]


def test_chunk_size_does_not_change_the_world(tmp_path: Path) -> None:
    generate(Config(seed=5, **{**SMALL, "chunk_people": 300}), tmp_path / "a")  # type: ignore[arg-type]
    generate(Config(seed=5, **{**SMALL, "chunk_people": 70}), tmp_path / "b")  # type: ignore[arg-type]
    la = pl.read_parquet(tmp_path / "a" / "parquet" / "lines")
    lb = pl.read_parquet(tmp_path / "b" / "parquet" / "lines")
    assert la.equals(lb)
    assert (tmp_path / "a/ground_truth/violations.csv").read_bytes() == \
        (tmp_path / "b/ground_truth/violations.csv").read_bytes()


def test_injected_rates_match_configuration(tmp_path: Path) -> None:
    rates = {r: 0.1 for r in RULES}
    generate(Config(seed=11, rates=rates, fraud=False, **{**SMALL, "people": 600, "national": "none"}),  # type: ignore[arg-type]
             tmp_path)
    summary = json.loads((tmp_path / "ground_truth" / "summary.json").read_text())["rate_injections"]
    for rule in RULES:
        n, k = summary[rule]["eligible"], summary[rule]["injected"]
        assert n > 0, rule
        expected = n * 0.1
        # five standard deviations of a binomial count, plus one for tiny counts
        assert abs(k - expected) <= 5 * math.sqrt(n * 0.1 * 0.9) + 1, (rule, n, k)


def test_every_rule_is_injected_and_labelled(injected: Path) -> None:
    gt = read_truth(injected)
    for rule in RULES:
        assert gt.filter(pl.col("rule_id") == rule).height > 0, rule
    actors = list(csv.DictReader((injected / "ground_truth" / "actors.csv").open(encoding="utf-8")))
    assert {a["scenario"] for a in actors} == {"phantom-services", "upcoding-doctor", "card-misuse-pharmacy",
                                               "split-hospitalisation", "suspended-doctor", "double-claims"}
    by_scenario = set(gt["scenario"].unique().to_list())
    assert {"phantom-services", "upcoding-doctor", "suspended-doctor", "double-claims"} <= by_scenario


def test_clean_world_has_no_ground_truth(clean: Path) -> None:
    assert read_truth(clean).height == 0
    assert list(csv.DictReader((clean / "ground_truth" / "actors.csv").open(encoding="utf-8"))) == []


@pytest.mark.parametrize("world_name", ["injected", "clean"])
def test_rules_engine_finds_exactly_the_ground_truth(world_name: str, request: pytest.FixtureRequest) -> None:
    """For every rule both in the active pack and in the ground truth: every labelled
    violation is found, nothing else is, and the amounts agree. New rules are covered
    as soon as the pack has them."""
    world: Path = request.getfixturevalue(world_name)
    pack = load_default_pack()
    findings = evaluate_frame(load_batch(world), load_catalogue(world), pack.rules)
    rules = sorted({r.rule_id for r in pack.rules} & set(RULES))
    assert rules, "the default pack shares no rule with the generator"
    if world_name == "clean":
        assert findings.height == 0, findings.group_by("rule_id").len()
        return
    for s in score(findings, read_truth(world, model_columns()), rules):
        assert s.truth > 0, s.rule_id
        assert s.hits == s.truth, (s.rule_id, "missed", s.truth - s.hits)
        assert s.hits == s.found, (s.rule_id, "found beyond the ground truth", s.found - s.hits)
        assert s.truth_amount == s.found_amount, s


def test_ground_truth_matches_the_registry(injected: Path) -> None:
    """R-DOCTOR-BINDING is judged by the registry, not the rules engine: each labelled line's
    doctor is unregistered at the institution or suspended that day, and no other line's is."""
    regs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in csv.DictReader((injected / "registry" / "registrations.csv").open(encoding="utf-8")):
        regs.setdefault((r["staff_code"], r["institution_code"]), []).append((r["valid_from"], r["valid_to"]))
    susp: dict[str, list[tuple[str, str]]] = {}
    for r in csv.DictReader((injected / "registry" / "sanctions.csv").open(encoding="utf-8")):
        susp.setdefault(r["staff_code"], []).append((r["valid_from"], r["valid_to"]))
    lines = load_batch(injected).lines.join(
        pl.read_parquet(injected / "parquet" / "encounters").select("claim_id", "institution_code"), on="claim_id")
    bad = set()
    for line_id, doctor, inst, day in lines.select("line_id", "doctor_code", "institution_code",
                                                   pl.col("service_date").cast(pl.String)).iter_rows():
        ok = any(a <= day and (not b or day <= b) for a, b in regs.get((doctor, inst), []))
        if not ok or any(a <= day <= b for a, b in susp.get(doctor, [])):
            bad.add(line_id)
    gt = read_truth(injected).filter(pl.col("rule_id") == "R-DOCTOR-BINDING")
    assert bad and bad == set(gt["line_id"].to_list())


def test_frequency_and_death_labels_hold_in_the_data(injected: Path) -> None:
    batch = load_batch(injected)
    gt = read_truth(injected)
    enc = batch.encounters.with_columns(pl.col("admission_date").cast(pl.String).str.slice(0, 7).alias("month"))
    visits = enc.filter(pl.col("care_setting") == "1").group_by("patient_id", "month").len() \
        .filter(pl.col("len") > 8)
    labelled = gt.filter(pl.col("rule_id") == "R-FREQUENT-VISITS").select("patient_id", pl.col("key").alias("month"))
    assert set(visits.select("patient_id", "month").iter_rows()) == set(labelled.iter_rows())
    after = batch.lines.join(batch.patients.select("patient_id", "death_date"), on="patient_id") \
        .filter(pl.col("service_date") > pl.col("death_date"))
    assert set(after["line_id"].to_list()) == set(gt.filter(pl.col("rule_id") == "R-AFTER-DEATH")["line_id"].to_list())


def test_shapes_and_codes(injected: Path) -> None:
    import re

    insts = list(csv.DictReader((injected / "registry" / "institutions.csv").open(encoding="utf-8")))
    assert all(re.fullmatch(r"[HP]\d{6}\d{5}", i["code"]) for i in insts)
    assert {i["level"] for i in insts} == {"1", "2", "3"} and {i["type"] for i in insts} == {
        "hospital", "clinic", "pharmacy"}
    staff = list(csv.DictReader((injected / "registry" / "staff.csv").open(encoding="utf-8")))
    assert all(re.fullmatch(r"D\d{11}", s["code"]) and len(s["id_number"]) == 18 for s in staff)
    regs = list(csv.DictReader((injected / "registry" / "registrations.csv").open(encoding="utf-8")))
    per_staff: dict[str, int] = {}
    for r in regs:
        per_staff[r["staff_code"]] = per_staff.get(r["staff_code"], 0) + 1
    assert max(per_staff.values()) > 1  # some multi-site practice
    batch = load_batch(injected)
    assert batch.patients.filter(pl.col("death_date").is_not_null()).height > 0
    assert set(batch.patients["gender"].unique().to_list()) == {"1", "2"}
    per_setting = batch.lines.join(batch.encounters.select("claim_id", "care_setting"), on="claim_id") \
        .group_by("care_setting").agg((pl.len() / pl.col("claim_id").n_unique()).alias("per"))
    per = dict(per_setting.iter_rows())
    assert 5 <= per["1"] <= 11 and 2 <= per["3"] <= 4.5 and per["2"] >= 80
    # national shapes parse with the gateway's own parser
    from gateway.national import analysis_cases, check_envelope

    sample = sorted((injected / "national" / "3101").glob("*.json"))
    assert len(sample) == 5
    body = check_envelope(json.loads(sample[0].read_text(encoding="utf-8")))
    cases = analysis_cases(body["input"]["data"], body["fixmedins_code"])
    assert cases[0].encounters[0].lines
    first = json.loads((injected / "national" / "2204" / "part-00000.ndjson").open(encoding="utf-8").readline())
    check_envelope(first)
    detail = first["input"]["feedetail"][0]
    assert {"feedetl_sn", "mdtrt_id", "psn_no", "fee_ocur_time", "med_list_codg", "cnt", "pric",
            "det_item_fee_sumamt", "bilg_dept_codg", "bilg_dr_codg", "bilg_dr_name"} <= set(detail)
    setl = json.loads((injected / "national" / "2207" / "part-00000.ndjson").open(encoding="utf-8").readline())
    assert {"setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "hifp_payamt", "psn_cash_pay"} <= set(
        setl["input"]["data"])
    assert batch.lines["service_date"].min() >= date(2025, 12, 1)
