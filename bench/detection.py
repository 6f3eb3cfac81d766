"""Detection report: the rules engine's findings on a generated world against its ground truth.

    .venv/bin/python -m bench.detection [--quick] [--world DIR]

- precision and recall per rule, for every rule both in the active pack and in the ground
  truth (rules only on one side are listed, not scored);
- deduction totals per tier-A rule against the totals summed from the ground truth;
- provider-risk ROC AUC and precision in the top 5 % for institutions and doctors
  (positives: ground_truth/actors.csv), for the credit service's own risk score computed in
  process (``bench/provider_risk.py``: indicator rows and violation history built from the
  world and the engine's findings, scored by ``services/credit/domain`` as GetRiskScores
  does), and, as a second row for comparison, a baseline score: findings amount per
  encounter (lines' amounts for doctors), ties ranked by findings count per encounter.

Writes bench/results/detection.json.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import polars as pl

from bench import common
from bench.generator import RULES, TIER_A
from bench.generator.load import load_batch, load_catalogue
from bench.generator.truth import model_columns, read_truth, score
from bench.provider_risk import credit_scores, history, period_rows
from services.credit.domain import policy as credit_policy
from services.rules.domain.engine import evaluate_frame
from services.rules.main import load_default_pack


def roc_auc(scores: dict[str, float], positives: set[str]) -> float | None:
    """Mann-Whitney AUC: the chance a positive outranks a negative (ties count half)."""
    pos = [s for k, s in scores.items() if k in positives]
    neg = [s for k, s in scores.items() if k not in positives]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def baseline_scores(findings: pl.DataFrame, encounters: pl.DataFrame, lines: pl.DataFrame,
                    by: str) -> dict[str, float]:
    """Findings amount per encounter for each institution (by='institution_code') or doctor
    (by='doctor_code', attributed through the lines the findings name)."""
    if by == "institution_code":
        visits = encounters.group_by(by).agg(pl.col("claim_id").n_unique().alias("visits"))
        hit = findings.join(encounters.select("claim_id", by), on="claim_id", how="left") \
            .group_by(by).agg(pl.col("amount").sum().cast(pl.Float64).alias("amount"), pl.len().alias("n"))
    else:
        visits = lines.group_by(by).agg(pl.col("claim_id").n_unique().alias("visits"))
        per_line = findings.explode("line_ids").rename({"line_ids": "line_id"}) \
            .join(lines.select("line_id", by), on="line_id", how="inner")
        hit = per_line.group_by(by).agg(pl.col("amount").sum().cast(pl.Float64).alias("amount"), pl.len().alias("n"))
    joined = visits.join(hit, on=by, how="left").fill_null(0)
    return {code: (amt + 1e-6 * n) / v for code, v, amt, n in
            joined.select(by, "visits", "amount", "n").iter_rows()}


def precision_at_top(scores: dict[str, float], positives: set[str], share: float = 0.05) -> float | None:
    """Share of positives among the top ``share`` of subjects (at least one), ranked as
    GetRiskScores lists them: highest score first, then by code."""
    if not scores:
        return None
    k = max(1, math.ceil(share * len(scores)))
    top = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return sum(1 for code, _ in top if code in positives) / k


CREDIT_LABEL = "credit service risk score (services/credit/domain, in process)"
BASELINE_LABEL = "baseline: findings amount per encounter"


def _credit(world: Path, batch: Any, findings: pl.DataFrame, rules: Any) -> dict[str, dict[str, float]]:
    policy = credit_policy.load()
    rows = period_rows(world, batch)
    last_day = max(d for d in (batch.encounters["discharge_date"].max(), batch.encounters["admission_date"].max())
                   if d is not None)
    meta = {(r.rule_id, r.version): (r.national_code, r.tier, r.result_type) for r in rules}
    s = credit_scores(policy, rows, history(policy, findings, batch, meta, last_day))
    return {"institution": s.institution, "doctor": s.doctor}


def report(world: Path) -> dict[str, Any]:
    batch = load_batch(world)
    pack = load_default_pack()
    findings = evaluate_frame(batch, load_catalogue(world), pack.rules)
    gt = read_truth(world, model_columns())  # rows needing an input the engine lacks are listed apart
    hidden = read_truth(world).height - gt.height
    in_pack = {r.rule_id for r in pack.rules}
    in_truth = set(gt["rule_id"].unique().to_list()) | set(RULES)
    scored = sorted(in_pack & in_truth)
    rows = score(findings, gt, scored)
    actors = pl.read_csv(world / "ground_truth" / "actors.csv", infer_schema=False)
    out: dict[str, Any] = {
        "world": {"lines": batch.lines.height, "encounters": batch.encounters.height,
                  "patients": batch.patients.height, "findings": findings.height},
        "rules": {}, "not_in_pack": sorted(in_truth - in_pack), "not_in_truth": sorted(in_pack - in_truth),
        "deductions": {}, "auc": {},
        "truth_rows_needing_inputs_the_engine_lacks": hidden,
    }
    for s in rows:
        out["rules"][s.rule_id] = {"truth": s.truth, "found": s.found, "hits": s.hits, "precision": s.precision,
                                   "recall": s.recall}
        if s.rule_id in TIER_A:
            out["deductions"][s.rule_id] = {"found": str(s.found_amount), "truth": str(s.truth_amount)}
    credit = _credit(world, batch, findings, pack.rules)
    out["auc_baseline"] = {}
    for kind, by in (("institution", "institution_code"), ("doctor", "doctor_code")):
        positives = set(actors.filter(pl.col("kind") == kind)["code"].to_list())
        for key, label, raw in (("auc", CREDIT_LABEL, credit[kind]),
                                ("auc_baseline", BASELINE_LABEL,
                                 baseline_scores(findings, batch.encounters, batch.lines, by))):
            scores = {k: v for k, v in raw.items() if k is not None}
            out[key][kind] = {"auc": roc_auc(scores, positives), "precision_top5": precision_at_top(scores, positives),
                              "positives": len(positives & set(scores)), "subjects": len(scores), "score": label}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--world", help="a generated world folder (default: a cached world of the bench size)")
    args = ap.parse_args(argv)
    world = Path(args.world) if args.world else common.world(100_000 if args.quick else 1_000_000)
    rep = report(world)
    metrics: dict[str, Any] = {}
    for rule, r in rep["rules"].items():
        if r["recall"] is not None:
            metrics[f"detect_{rule}_recall"] = common.metric(
                r["recall"], "share", 1.0, "the ground truth (every injected violation found)",
                precision=r["precision"], truth=r["truth"], found=r["found"])
    for rule, d in rep["deductions"].items():
        found, truth = float(d["found"]), float(d["truth"])
        metrics[f"deduction_{rule}_total"] = common.metric(
            found, "yuan", truth, "total summed independently from the ground truth")
    for key, suffix in (("auc", ""), ("auc_baseline", "_baseline")):
        for kind, a in rep[key].items():
            if a["auc"] is not None:
                metrics[f"provider_risk_auc_{kind}{suffix}"] = common.metric(
                    a["auc"], "AUC", 0.5, "a random ranking", score=a["score"], positives=a["positives"],
                    subjects=a["subjects"])
            if a["precision_top5"] is not None and a["subjects"]:
                share = a["positives"] / a["subjects"]
                metrics[f"provider_risk_precision_top5_{kind}{suffix}"] = common.metric(
                    a["precision_top5"], "share", share, "a random ranking (the positives' share)",
                    score=a["score"], positives=a["positives"], subjects=a["subjects"])
    metrics["report"] = rep
    path = common.write_results("detection", metrics)
    print(f"{'rule':28} {'truth':>7} {'found':>7} {'precision':>9} {'recall':>7}")
    for rule, r in rep["rules"].items():
        p = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        q = "-" if r["recall"] is None else f"{r['recall']:.3f}"
        print(f"{rule:28} {r['truth']:>7} {r['found']:>7} {p:>9} {q:>7}")
    print(f"not in the active pack (not scored): {', '.join(rep['not_in_pack']) or '-'}")
    print(f"in the pack but not generated (not scored): {', '.join(rep['not_in_truth']) or '-'}")
    for rule, d in rep["deductions"].items():
        print(f"deductions {rule}: found {d['found']} truth {d['truth']}")
    for key in ("auc", "auc_baseline"):
        for kind, a in rep[key].items():
            print(f"provider risk {kind}s, {a['score']}: AUC {a['auc']}, precision in the top 5% "
                  f"{a['precision_top5']} ({a['positives']} fraudulent of {a['subjects']})")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
