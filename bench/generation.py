"""Generation rate of the synthetic province, against writing the same rows with no logic.

    .venv/bin/python -m bench.generation [--quick]

Each run is its own process so its peak resident memory (getrusage) is its own. The
figure is fee lines per second for a whole world (Parquet, registry, catalogue, ground
truth and a 3101 sample); the baseline writes as many rows of the same columns, made by
Polars expressions with no per-row logic, to Parquet in the same part sizes.
Writes bench/results/generator.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common


def _child_generate(lines: int, out: Path) -> dict[str, Any]:
    from bench.generator import DEFAULT_RATES, Config, generate

    cfg = Config(seed=2026, institutions=60, people=common.people_for_lines(lines), months=12,
                 rates=dict(DEFAULT_RATES), chunk_people=1_000, national="sample", progress=False)
    t0 = time.perf_counter()
    manifest = generate(cfg, out)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "lines": manifest["totals"]["lines"], "peak_rss_mb": common.peak_rss_mb()}


def _child_baseline(lines: int, out: Path, part_rows: int) -> dict[str, Any]:
    import polars as pl

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    written, part = 0, 0
    while written < lines:
        n = min(part_rows, lines - written)
        i = pl.int_range(written, written + n, eager=True).alias("i")
        df = pl.DataFrame(i).select(
            pl.format("C{}", "i").alias("claim_id"), pl.format("MDT{}", "i").alias("encounter_id"),
            pl.format("P{}", pl.col("i") // 60).alias("patient_id"), pl.format("L{}", "i").alias("line_id"),
            pl.lit("110200001").alias("item_code"), pl.lit("普通门诊诊查费").alias("item_name"),
            pl.lit("201").alias("item_type"), pl.lit("01").alias("item_class"),
            pl.lit(1).cast(pl.Decimal(18, 4)).alias("quantity"), pl.lit(8).cast(pl.Decimal(18, 4)).alias("unit_price"),
            pl.lit(8).cast(pl.Decimal(18, 2)).alias("amount"),
            (pl.col("i") % 365 + 20454).cast(pl.Int32).cast(pl.Date).alias("service_date"),
            pl.lit("A03").alias("dept_code"), pl.lit("D32118100101").alias("doctor_code"),
            (pl.col("i") * 1_000_000).cast(pl.Datetime("us")).alias("fee_time"),
            pl.lit(None, pl.String).alias("original_line_id"), pl.lit(False).alias("is_history"))
        df.write_parquet(out / f"part-{part:05d}.parquet")
        written += n
        part += 1
    return {"seconds": time.perf_counter() - t0, "lines": written, "peak_rss_mb": common.peak_rss_mb()}


def _spawn(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "bench.generation", *args], check=True, capture_output=True,
                          text=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def measure(lines: int, repeats: int) -> dict[str, Any]:
    runs, bases = [], []
    cached = common.world_folder(lines)
    for k in range(repeats):
        if k == 0 and not (cached / "manifest.json").exists():
            # The same world the engine and detection benches read: keep it instead of
            # generating it twice.
            tmp_world = cached.with_name(cached.name + ".tmp")
            shutil.rmtree(tmp_world, ignore_errors=True)
            shutil.rmtree(cached, ignore_errors=True)
            tmp_world.parent.mkdir(parents=True, exist_ok=True)
            runs.append(_spawn(["--child", str(lines), "--out", str(tmp_world)]))
            tmp_world.rename(cached)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(_spawn(["--child", str(lines), "--out", str(Path(tmp) / "w")]))
        part_rows = max(1, runs[-1]["lines"] * 1_000 // common.people_for_lines(lines))
        with tempfile.TemporaryDirectory() as tmp:
            bases.append(_spawn(["--baseline", str(runs[-1]["lines"]), "--out", str(Path(tmp) / "b"),
                                 "--part-rows", str(part_rows)]))
    gen_s = statistics.median(r["seconds"] for r in runs)
    base_s = statistics.median(r["seconds"] for r in bases)
    n = runs[-1]["lines"]
    return {"lines": n, "rate": n / gen_s, "baseline_rate": n / base_s, "seconds": gen_s,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "baseline_peak_rss_mb": max(r["peak_rss_mb"] for r in bases), "repeats": repeats}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--baseline", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--part-rows", type=int, default=66_000, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child_generate(args.child, Path(args.out))))
        return 0
    if args.baseline:
        print(json.dumps(_child_baseline(args.baseline, Path(args.out), args.part_rows)))
        return 0
    sizes = [(100_000, 3), (1_000_000, 1)] if args.quick else [(1_000_000, 3), (10_000_000, 1)]
    out: dict[str, Any] = {}
    for lines, repeats in sizes:
        print(f"generation: {lines:,} lines x{repeats}", file=sys.stderr)
        m = measure(lines, repeats)
        label = f"{lines // 1_000_000}M" if lines >= 1_000_000 else f"{lines // 1_000}k"
        out[f"generate_{label}_lines_per_second"] = common.metric(
            m["rate"], "lines/s", m["baseline_rate"], "writing the same number of rows to Parquet with no logic",
            lines=m["lines"], repeats=repeats, seconds=round(m["seconds"], 1))
        out[f"generate_{label}_peak_rss"] = common.metric(
            m["peak_rss_mb"], "MB", m["baseline_peak_rss_mb"], "peak RSS of the no-logic writer",
            higher_is_better=False, lines=m["lines"])
    path = common.write_results("generator", out)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
