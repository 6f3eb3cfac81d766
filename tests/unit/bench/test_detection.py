"""The detection report's measures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.detection import report, roc_auc
from bench.generator import Config, generate
from bench.generator.truth import finding_keys


def test_roc_auc_counts_ranked_pairs() -> None:
    assert roc_auc({"a": 3, "b": 2, "c": 1}, {"a"}) == 1.0
    assert roc_auc({"a": 1, "b": 2, "c": 3}, {"a"}) == 0.0
    assert roc_auc({"a": 1, "b": 1}, {"a"}) == 0.5
    assert roc_auc({"a": 1}, {"a"}) is None


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
    assert set(rep["auc"]) == {"institution", "doctor"}
    assert rep["auc"]["institution"]["score"].startswith("baseline")
