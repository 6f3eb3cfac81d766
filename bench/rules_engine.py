"""Rules benchmarks: bulk throughput, real-time latency and catalogue loading, in process.

    .venv/bin/python -m bench.rules_engine [--quick]

Runs with POLARS_MAX_THREADS=1 (set before Polars is imported) so the figures are for one
core. Times are CPU seconds of this process (``time.process_time``) as well as wall seconds:
the build machine is shared, and CPU time is the fair one-core measure there. Each figure is
the median of several repeats, next to a baseline measured in the same run:

- bulk: fee lines per second with the full default pack (moment post) over patient-grouped
  chunks; baseline: the same lines with only the three skeleton rules.
- real time: one 50-line encounter with 90 days of history (12 encounters), full pack at
  moment pre, p50/p99; baseline: the skeleton rules only.
- real time, unrestricted items: the same encounters with codes that carry no catalogue
  restriction and are in no pair table (the common case), showing the floor.
- load: parsing, validating and indexing a catalogue with 1,000,000 pair rows; baseline:
  reading the same CSV text with Polars alone (no validation).

Writes bench/results/rules.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402

from bench.rules_data import catalogue_files, chunks, claims  # noqa: E402
from services.rules.domain import catalogue as cat  # noqa: E402
from services.rules.domain import engine, screen  # noqa: E402
from services.rules.domain.model import Batch, Rows  # noqa: E402
from services.rules.domain.rulepack import RulePack  # noqa: E402
from services.rules.main import load_default_pack  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "rules.json"
SKELETON = ("R-DRUG-SEX", "R-SERVICE-SEX", "R-PRICE-CEILING")


def _machine() -> dict[str, str | int]:
    return {"python": platform.python_version(), "polars": pl.__version__, "cpus": os.cpu_count() or 0,
            "polars_threads": pl.thread_pool_size(), "platform": platform.platform()}


def _timed(fn: object, repeats: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``fn()``."""
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()  # type: ignore[operator]
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def bulk(catalogue: cat.Catalogue, pack: RulePack, patients: int, repeats: int) -> dict[str, object]:
    batch = claims(patients, 5, 10)
    parts = chunks(batch, 2_000)
    skeleton = RulePack(pack.version, tuple(r for r in pack.rules if r.rule_id in SKELETON))

    def run(p: RulePack) -> int:
        return sum(f.height for f in engine.evaluate_stream(parts, catalogue, p, "post"))

    findings = run(pack)
    cpu, wall = _timed(lambda: run(pack), repeats)
    base_cpu, _ = _timed(lambda: run(skeleton), repeats)
    lines = batch.lines.height
    return {"value": round(lines / cpu), "unit": "fee lines/s (CPU, 1 thread)", "wall_value": round(lines / wall),
            "baseline": round(lines / base_cpu), "baseline_name": "skeleton rules only",
            "ratio": round(base_cpu / cpu, 3), "target": 200_000, "lines": lines, "findings": findings,
            "rules": len(pack.for_moment("post"))}


def one_patient(seed: int) -> Batch:
    b = claims(1, 13, 50, seed=seed)
    enc = b.encounters.with_columns(is_history=pl.int_range(pl.len()) > 0)
    # history: 12 earlier encounters of 10 lines each, within the 90 days before
    enc = enc.with_columns(
        admission_date=pl.when(pl.col("is_history"))
        .then(pl.lit("2026-11-10").str.to_date() - pl.duration(days=pl.int_range(pl.len()) * 7)).otherwise(
            pl.lit("2026-11-10").str.to_date()))
    enc = enc.with_columns(discharge_date=pl.col("admission_date"))
    lines = (b.lines.drop("is_history", "service_date")
             .join(enc.select("claim_id", "is_history", pl.col("admission_date").alias("service_date")), on="claim_id")
             .with_columns(keep=pl.int_range(pl.len()).over("claim_id"))
             .filter(~pl.col("is_history") | (pl.col("keep") < 10)).select(b.lines.columns))
    return Batch(b.patients, enc, lines)


def plain_codes(catalogue: cat.Catalogue) -> list[str]:
    """Codes with no restriction and in no pair table: what most real lines carry."""
    restricted = [c for c in catalogue.items.columns if c not in ("item_code", "name", "item_type", "item_class",
                                                                   "item_kind", "effective_from", "effective_to")]
    free = catalogue.items.filter(pl.all_horizontal(
        (pl.col(c).is_null() | (pl.col(c) == False)) if catalogue.items.schema[c] == pl.Boolean  # noqa: E712
        else pl.col(c).is_null() for c in restricted))
    in_pairs = set()
    for t in catalogue.tables.values():
        for col in t.columns:
            if col.startswith("item_code") or col in ("contained_code", "service_code"):
                in_pairs.update(t[col].to_list())
    return [c for c in free["item_code"].to_list() if c not in in_pairs and not c.endswith("0")]


def realtime(catalogue: cat.Catalogue, pack: RulePack, repeats: int, clean: bool = False) -> dict[str, object]:
    cases = [one_patient(seed) for seed in range(20)]
    if clean:
        codes = pl.Series(plain_codes(catalogue)[:500])
        cases = [Batch(b.patients, b.encounters, b.lines.with_columns(
            item_code=codes.gather(pl.int_range(b.lines.height, eager=True) * 7 % codes.len())))
            for b in cases]
    skeleton = RulePack(pack.version, tuple(r for r in pack.rules if r.rule_id in SKELETON))
    # What rules.Evaluate runs: plain rows from the wire, the screen, templates only for the
    # rules that pass it.
    requests = [Rows(b.patients.to_dicts(), b.encounters.to_dicts(), b.lines.to_dicts()) for b in cases]

    def sample(p: RulePack) -> list[float]:
        out = []
        for _ in range(repeats):
            for rows in requests:
                c0 = time.process_time()
                screen.evaluate(rows, catalogue, p, "pre")
                out.append(time.process_time() - c0)
        return sorted(out)

    sample(pack)  # warm up
    full, base = sample(pack), sample(skeleton)

    def pct(xs: list[float], q: float) -> float:
        return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 2)

    return {"value": pct(full, 0.99), "unit": "ms p99 (CPU) per 50-line encounter + 90 days history"
            + (", unrestricted items" if clean else ""),
            "p50": pct(full, 0.5), "baseline": pct(base, 0.99), "baseline_name": "skeleton rules only",
            "ratio": round(pct(full, 0.99) / max(pct(base, 0.99), 1e-6), 2), "target": 5.0, "samples": len(full),
            "rules": len(pack.for_moment("pre"))}


def load(pairs: int, repeats: int) -> dict[str, object]:
    # catalogue_files writes n rows to three tables and n/4, n/10, n/20 to three more (3.4 n in all).
    files = catalogue_files(items=20_000, pairs=int(pairs / 3.4))
    total = sum(len(t.splitlines()) - 1 for n, t in files.items() if n != "items.csv")
    probe = pl.Series(["I000010"])

    def parse_and_index() -> cat.Catalogue:
        # Parse, validate, then build every table's key index (a real-time call's first use).
        c = cat.parse("bench", "2024-01-01", files)
        for name in c.tables:
            c.rows_for(name, probe)
        return c

    loaded = parse_and_index()
    cpu, wall = _timed(parse_and_index, repeats)

    def raw() -> None:
        for text in files.values():
            pl.read_csv(io.StringIO(text), infer_schema=False)

    base_cpu, _ = _timed(raw, repeats)
    return {"value": round(cpu, 3), "unit": "s (CPU) to parse, validate and index", "wall_value": round(wall, 3),
            "baseline": round(base_cpu, 3), "baseline_name": "plain pl.read_csv of the same files",
            "ratio": round(cpu / base_cpu, 2), "target": 10.0, "pair_rows": total, "stored_pair_rows": loaded.pair_rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args()
    pack = load_default_pack()
    catalogue = cat.parse("bench", "2024-01-01", catalogue_files())
    repeats = 2 if args.quick else 5
    out = {
        "machine": _machine(),
        "bulk": bulk(catalogue, pack, 4_000 if args.quick else 20_000, repeats),
        "realtime": realtime(cat.parse("bench-rt", "2024-01-01", catalogue_files(pairs=int(1_000_000 / 3.4))), pack,
                             2 if args.quick else 5),
        "realtime_unrestricted_items": realtime(
            cat.parse("bench-rt", "2024-01-01", catalogue_files(pairs=int(1_000_000 / 3.4))), pack,
            2 if args.quick else 5, clean=True),
        "load": load(200_000 if args.quick else 1_000_000, 1 if args.quick else 3),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
