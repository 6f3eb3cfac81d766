"""The detection report's measures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.detection import BASELINE_LABEL, CREDIT_LABEL, precision_at_top, report, roc_auc
from bench.generator import Config, generate
from bench.generator.load import load_batch
from bench.generator.truth import finding_keys
from bench.provider_risk import credit_scores, period_rows
from services.credit.domain import policy as credit_policy


def test_roc_auc_counts_ranked_pairs() -> None:
    assert roc_auc({"a": 3, "b": 2, "c": 1}, {"a"}) == 1.0
    assert roc_auc({"a": 1, "b": 2, "c": 3}, {"a"}) == 0.0
    assert roc_auc({"a": 1, "b": 1}, {"a"}) == 0.5
    assert roc_auc({"a": 1}, {"a"}) is None


def test_precision_at_top_takes_at_least_one_and_ranks_like_the_service() -> None:
    scores = {f"s{i:02d}": float(i) for i in range(40)}
    assert precision_at_top(scores, {"s39", "s38"}) == 1.0          # top 5% of 40 = 2
    assert precision_at_top(scores, {"s39", "s00"}) == 0.5
    assert precision_at_top({"a": 1.0, "b": 1.0}, {"b"}) == 0.0      # ties: by code, as GetRiskScores lists them
    assert precision_at_top({}, {"a"}) is None


def test_finding_keys_follow_the_rule_level() -> None:
    findings = pl.DataFrame({
        "rule_id": ["R-DRUG-SEX", "R-FREQUENT-VISITS", "R-NEW-RULE"], "claim_id": ["c1", "c2", "c3"],
        "encounter_id": ["e1", "e2", "e3"], "patient_id": ["p1", "p2", "p3"],
        "line_ids": [["l1", "l2"], ["l3"], ["l4"]],
        "service_date": [None, "2026-03-05", "2026-03-06"]}).with_columns(pl.col("service_date").str.to_date())
    keys = set(finding_keys(findings).iter_rows())
    assert keys == {("R-DRUG-SEX", "l1"), ("R-DRUG-SEX", "l2"), ("R-FREQUENT-VISITS", "p2|2026-03"),
                    ("R-NEW-RULE", "e3")}


def test_report_scores_every_shared_rule(tmp_path: Path) -> None:
    generate(Config(seed=21, institutions=12, people=250, months=4, chunk_people=250, national="none",
                    progress=False, rates={"R-DRUG-SEX": 0.2, "R-PRICE-CEILING": 0.2, "R-SERVICE-SEX": 0.2}),
             tmp_path)
    rep = report(tmp_path)
    assert rep["rules"], rep
    injected = {rule for rule, r in rep["rules"].items() if r["truth"]}
    assert {"R-DRUG-SEX", "R-PRICE-CEILING", "R-SERVICE-SEX"} <= injected
    for rule, r in rep["rules"].items():
        if not r["truth"]:
            assert r["found"] == 0, f"{rule}: found where nothing was injected"
            continue
        assert r["recall"] == pytest.approx(1.0) and r["precision"] == pytest.approx(1.0), rule
    for rule, d in rep["deductions"].items():
        assert d["found"] == d["truth"], rule
    assert set(rep["auc"]) == set(rep["auc_baseline"]) == {"institution", "doctor"}
    for kind in ("institution", "doctor"):
        assert rep["auc"][kind]["score"] == CREDIT_LABEL
        assert rep["auc_baseline"][kind]["score"] == BASELINE_LABEL
        for key in ("auc", "auc_baseline"):
            a = rep[key][kind]
            assert a["auc"] is not None and 0.0 <= a["auc"] <= 1.0, (key, kind, a)
            assert a["precision_top5"] is not None and 0.0 <= a["precision_top5"] <= 1.0, (key, kind, a)


@pytest.fixture(scope="module")
def fraud_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world with default rates and every fraud scenario (about 1 s to make)."""
    folder = tmp_path_factory.mktemp("fraud-world")
    generate(Config(seed=1, institutions=20, people=1000, months=6, chunk_people=1000, national="none",
                    progress=False), folder)
    return folder


def test_indicator_rows_add_up_to_the_world(fraud_world: Path) -> None:
    batch = load_batch(fraud_world)
    rows = period_rows(fraud_world, batch)
    judged = batch.encounters.filter(~pl.col("is_history").fill_null(False))
    assert {r.institution_code for r in rows} == set(judged["institution_code"].to_list())
    assert sum(r.settlements for r in rows) == judged["claim_id"].n_unique()
    lines = batch.lines.filter(~pl.col("is_history").fill_null(False))
    total = sum(r.total_cost for r in rows)
    assert float(total) == pytest.approx(float(lines["amount"].sum()), abs=0.01 * len(rows))
    for r in rows:
        assert sum(r.cost_by_kind.values()) == r.total_cost, r.institution_code
        assert r.level and r.type, r.institution_code
    # Every injected split admission is a readmission within days at the same hospital:
    # credit sees each one in that hospital's readmissions_31d.
    truth = pl.read_csv(fraud_world / "ground_truth" / "violations.csv", infer_schema=False) \
        .filter(pl.col("rule_id") == "R-SPLIT-ADMISSION").group_by("institution_code").len()
    assert truth.height, "the world should hold split admissions"
    readmitted = {r.institution_code: r.readmissions_31d for r in rows}
    for code, n in truth.iter_rows():
        assert readmitted[code] >= n, code


def test_credit_score_ranks_injected_fraud_above_chance(fraud_world: Path) -> None:
    rep = report(fraud_world)
    for kind in ("institution", "doctor"):
        a = rep["auc"][kind]
        assert a["score"] == CREDIT_LABEL and a["positives"] >= 1, a
        assert 0.5 < a["auc"] <= 1.0, (kind, a)
    # The figures are credit's own scores: the same rows scored directly give the same ranking.
    rows = period_rows(fraud_world, load_batch(fraud_world))
    direct = credit_scores(credit_policy.load(), rows, {})
    assert set(direct.institution) == {r.institution_code for r in rows}
    assert all(0.0 <= v <= 100.0 for v in [*direct.institution.values(), *direct.doctor.values()])
