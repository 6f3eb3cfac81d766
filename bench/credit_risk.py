"""Provider risk-score quality on synthetic data with injected fraudulent providers.

    .venv/bin/python -m bench.credit_risk [--quick]

A small self-contained scenario generator (the project's `fundguard generate` is built in
parallel): institutions in peer groups (level x type x region) with last year's and this
year's quarter, doctors inside them, and violation histories. About 5 % of institutions
(and of doctors) are fraudulent: they inflate cost per visit, the drug share, or fake
visits, and carry more confirmed findings. The honest ones are noisy on purpose: some grow
fast for honest reasons (a new department: more visits at the same cost per visit), some
have findings too, and some fraudsters leave no findings at all.

Figures (medians over several seeds), each against baselines scored on the same data:
- ROC AUC and precision in the top 5 % for credit's score (robust median/MAD peer scores +
  violation history + sanctions, `services/credit/domain`);
- baseline "meanstd": the same score with mean/stddev z instead of median/MAD;
- baseline "growth": ranking by total-cost growth alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from bench import common
from services.credit.domain import indicators as ind
from services.credit.domain import risk
from services.credit.domain.policy import Policy, load

RESULTS = Path(__file__).resolve().parent / "results" / "credit.json"
KINDS = ("drug", "exam", "consumable", "treatment", "ct", "mri")
BASE_SHARES = {"drug": 0.38, "exam": 0.22, "consumable": 0.15, "treatment": 0.17, "ct": 0.05, "mri": 0.03}


def _row(code: str, period: str, level: str, typ: str, region: str, visits: int, cpv: float,
         shares: dict[str, float], doctors: list[ind.DoctorRow]) -> ind.PeriodRow:
    total = visits * cpv
    by_kind = {k: Decimal(f"{total * s:.2f}") for k, s in shares.items()}
    items = [ind.Item(f"{k}-{j}", f"{k} item {j}", k, visits // 10, Decimal(f"{total * s / 3:.2f}"))
             for k, s in shares.items() for j in range(3)]
    return ind.PeriodRow(code, period, visits, int(visits * 0.8), Decimal(f"{total:.2f}"),
                         Decimal(f"{total * 0.7:.2f}"), by_kind, discharges=max(visits // 20, 1),
                         hospital_infections=int(visits / 20 * 0.03), readmissions_31d=int(visits / 20 * 0.05),
                         items=items, doctors=doctors, level=level, type=typ, region=region)


def scenario(seed: int, n_institutions: int) -> tuple[list[ind.PeriodRow], dict[str, ind.PeriodRow],
                                                      dict[str, risk.History], set[str], set[str]]:
    """(this year's rows, last year's rows by code, histories, fraudulent institutions, fraudulent doctors)."""
    rnd = random.Random(seed)
    current: list[ind.PeriodRow] = []
    last: dict[str, ind.PeriodRow] = {}
    history: dict[str, risk.History] = {}
    bad_inst: set[str] = set()
    bad_doc: set[str] = set()
    for i in range(n_institutions):
        level, typ, region = rnd.choice("123"), rnd.choice(("hospital", "clinic")), rnd.choice(("3201", "3202",
                                                                                               "3205", "3206"))
        code = f"H{region}00{i:06d}"
        base_cpv = {"1": 180.0, "2": 320.0, "3": 650.0}[level] * (1.4 if typ == "hospital" else 1.0)
        base_cpv *= rnd.lognormvariate(0, 0.25)
        visits0 = int(rnd.lognormvariate(8, 0.6))
        shares0 = {k: max(s * rnd.lognormvariate(0, 0.15), 0.001) for k, s in BASE_SHARES.items()}
        fraud = rnd.random() < 0.05
        growth_v = rnd.gauss(0.05, 0.08)
        growth_cpv = rnd.gauss(0.03, 0.05)
        shares1 = {k: s * rnd.lognormvariate(0, 0.05) for k, s in shares0.items()}
        if not fraud and rnd.random() < 0.08:          # honest fast growth: a new department
            growth_v += rnd.uniform(0.3, 0.8)
        if not fraud and rnd.random() < 0.05:          # honest case-mix change: costlier patients
            growth_cpv += rnd.uniform(0.15, 0.35)
        if fraud:
            bad_inst.add(code)
            scheme = rnd.choice(("upcoding", "drugs", "fake_visits", "mixed"))
            if scheme in ("upcoding", "mixed"):
                growth_cpv += rnd.uniform(0.15, 0.5)
            if scheme in ("drugs", "mixed"):
                shares1["drug"] *= rnd.uniform(1.3, 1.8)
            if scheme == "fake_visits":
                growth_v += rnd.uniform(0.25, 0.7)
        # Doctors: five per institution, one of them fraudulent at a fraudulent institution
        # (and rarely elsewhere).
        docs0, docs1 = [], []
        for d in range(5):
            dcode = f"D{region}00{i:06d}{d}"
            dv = max(visits0 // 5, 1)
            dcpv = base_cpv * rnd.lognormvariate(0, 0.2)
            drug = shares0["drug"] * rnd.lognormvariate(0, 0.15)
            bad = (fraud and d == 0) or rnd.random() < 0.01
            if bad:
                bad_doc.add(dcode)
                dcpv *= rnd.uniform(1.3, 2.2)
                drug = min(drug * rnd.uniform(1.2, 1.8), 0.95)
            docs0.append(ind.DoctorRow(dcode, dv, int(dv * 0.8), Decimal(f"{dv * dcpv:.2f}"),
                                       Decimal(f"{dv * dcpv * drug:.2f}")))
            docs1.append(docs0[-1])
            pts = 0
            amount = Decimal(0)
            findings = 0
            if bad and rnd.random() < 0.6:
                findings = rnd.randint(1, 4)
                pts = min(3 * findings, 11)
                amount = Decimal(int(dv * dcpv * rnd.uniform(0.02, 0.1)))
            elif rnd.random() < 0.1:
                findings, pts, amount = 1, rnd.randint(1, 4), Decimal(int(dv * dcpv * rnd.uniform(0.0, 0.03)))
            history[dcode] = risk.History(pts, amount, findings)
        s1 = sum(shares1.values())
        shares1 = {k: v / s1 * sum(shares0.values()) for k, v in shares1.items()}
        visits1 = int(visits0 * (1 + growth_v))
        cpv1 = base_cpv * (1 + growth_cpv)
        last[code] = _row(code, "2025-Q1", level, typ, region, visits0, base_cpv, shares0, docs0)
        current.append(_row(code, "2026-Q1", level, typ, region, visits1, cpv1, shares1, docs1))
        total1 = visits1 * cpv1
        if fraud and rnd.random() < 0.55:
            n = rnd.randint(1, 6)
            history[code] = risk.History(min(2 * n + 3, 25), Decimal(int(total1 * rnd.uniform(0.005, 0.06))), n)
        elif rnd.random() < 0.2:
            n = rnd.randint(1, 3)
            history[code] = risk.History(2 * n, Decimal(int(total1 * rnd.uniform(0.0, 0.02))), n)
    return current, last, history, bad_inst, bad_doc


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mann-Whitney U: the probability a random positive outranks a random negative (ties half)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    return (sum(r for r, lab in zip(ranks, labels, strict=True) if lab) - pos * (pos + 1) / 2) / (pos * neg)


def precision_at(scores: Sequence[float], labels: Sequence[bool], share: float = 0.05) -> float:
    k = max(1, round(len(scores) * share))
    top = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return sum(labels[i] for i in top) / k


def institution_scores(policy: Policy, current: list[ind.PeriodRow], last: dict[str, ind.PeriodRow],
                       history: dict[str, risk.History], z: ind.Fit) -> dict[str, float]:
    computed = ind.compute(policy, current, last, z)   # the baseline swaps only the anomaly statistic
    cost = {r.institution_code: r.total_cost for r in current}
    return {c.institution_code: risk.score(policy, c.institution_code, "institution", c.peer_scores,
                                           cost[c.institution_code], history.get(c.institution_code, risk.History())
                                           ).score for c in computed}


def doctor_scores(policy: Policy, current: list[ind.PeriodRow], history: dict[str, risk.History],
                  z: ind.Fit) -> dict[str, float]:
    zs = ind.doctor_scores(current, z)
    cost = {d.doctor_code: d.total_cost for r in current for d in r.doctors}
    return {doc: risk.score(policy, doc, "doctor", s, cost[doc], history.get(doc, risk.History())).score
            for doc, (_, s) in zs.items()}


def run(quick: bool) -> dict[str, dict[str, object]]:
    policy = load()
    n = 600 if quick else 2000
    seeds = range(3 if quick else 5)
    figures: dict[str, list[float]] = {}
    seconds: list[float] = []
    for seed in seeds:
        current, last, history, bad_inst, bad_doc = scenario(seed, n)
        t0 = time.perf_counter()
        robust = institution_scores(policy, current, last, history, ind.robust_fit)
        seconds.append(time.perf_counter() - t0)
        meanstd = institution_scores(policy, current, last, history, ind.meanstd_fit)
        growth = {r.institution_code: float(r.total_cost / last[r.institution_code].total_cost) for r in current}
        codes = sorted(robust)
        labels = [c in bad_inst for c in codes]
        figures.setdefault("inst_prevalence", []).append(sum(labels) / len(labels))
        for name, sc in (("robust", robust), ("meanstd", meanstd), ("growth", growth)):
            vals = [sc[c] for c in codes]
            figures.setdefault(f"inst_auc_{name}", []).append(roc_auc(vals, labels))
            figures.setdefault(f"inst_p5_{name}", []).append(precision_at(vals, labels))
        drobust = doctor_scores(policy, current, history, ind.robust_fit)
        dmeanstd = doctor_scores(policy, current, history, ind.meanstd_fit)
        dcodes = sorted(drobust)
        dlabels = [c in bad_doc for c in dcodes]
        figures.setdefault("doc_prevalence", []).append(sum(dlabels) / len(dlabels))
        cpv = {d.doctor_code: float(d.total_cost) / d.visits for r in current for d in r.doctors}
        for name, sc in (("robust", drobust), ("meanstd", dmeanstd), ("cpv", cpv)):
            vals = [sc[c] for c in dcodes]
            figures.setdefault(f"doc_auc_{name}", []).append(roc_auc(vals, dlabels))
            figures.setdefault(f"doc_p5_{name}", []).append(precision_at(vals, dlabels))
    med = {k: round(statistics.median(v), 3) for k, v in figures.items()}
    machine = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    common = {"machine": machine, "institutions": n, "doctors": 5 * n, "seeds": len(seeds),
              "fraudulent_institutions_share": med["inst_prevalence"], "fraudulent_doctors_share": med["doc_prevalence"]}
    out: dict[str, dict[str, object]] = {}
    for subject, naive, naive_name in (("inst", "growth", "total-cost growth alone"),
                                       ("doc", "cpv", "cost per visit alone")):
        for metric, unit in (("auc", "ROC AUC"), ("p5", "precision in the top 5 %")):
            value = med[f"{subject}_{metric}_robust"]
            for base in ("meanstd", naive):
                b = med[f"{subject}_{metric}_{base}"]
                out[f"{'institution' if subject == 'inst' else 'doctor'}_{metric}_vs_{base}"] = {
                    "value": value, "unit": unit, "baseline": b,
                    "baseline_name": "same score with mean/stddev z" if base == "meanstd" else naive_name,
                    "ratio": round(value / b, 3) if b else None, **common}
    out["institution_scoring_seconds"] = {"value": round(statistics.median(seconds), 3), "unit": "s",
                                          "baseline": None, "baseline_name": "", "ratio": None, **common}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = run(args.quick)
    common.merge_results(RESULTS, out)


if __name__ == "__main__":
    main()
