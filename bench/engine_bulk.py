"""The rules engine's bulk rate on generated data, against reading the same Parquet.

    .venv/bin/python -m bench.engine_bulk [--quick]

For each size (quick: 100k, 300k, 1M lines; full: 1M, 3M, 10M) a fresh process reads
the first parts of one generated world (the baseline: Parquet to the rules domain's
frames) and runs ``evaluate_frame`` with the default rule pack and the world's catalogue
(the figure: lines judged per second, reading excluded). Medians of repeats; peak RSS of
the process covers reading and judging. Writes bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import common


def _child(world: Path, lines: int, repeats: int) -> dict[str, Any]:
    from bench.generator.load import load_batch, load_catalogue
    from services.rules.domain.engine import evaluate_frame
    from services.rules.main import load_default_pack

    names = common.parts_for(world, lines)
    read_s, batch, _ = common.timed(lambda: load_batch(world, names, extras=False), repeats)
    catalogue = load_catalogue(world)
    pack = load_default_pack()
    eval_s, findings, done = common.timed(lambda: evaluate_frame(batch, catalogue, pack.rules), repeats)
    return {"lines": batch.lines.height, "read_s": read_s, "eval_s": eval_s, "findings": findings.height,
            "repeats": done,
            "rules": len(pack.rules), "peak_rss_mb": common.peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--world", help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(Path(args.world), args.child, args.repeats)))
        return 0
    sizes = [100_000, 300_000, 1_000_000] if args.quick else [1_000_000, 3_000_000, 10_000_000]
    world = common.world(sizes[-1])
    out: dict[str, Any] = {}
    rates = {}
    for lines in sizes:
        print(f"engine: {lines:,} lines", file=sys.stderr)
        label = f"{lines // 1_000_000}M" if lines >= 1_000_000 else f"{lines // 1_000}k"
        proc = subprocess.run([sys.executable, "-m", "bench.engine_bulk", "--child", str(lines), "--world", str(world),
                               "--repeats", "3"], capture_output=True, text=True)
        if proc.returncode != 0:  # e.g. out of memory at the largest size: keep the sizes that ran
            note = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            print(f"engine: {lines:,} lines failed: {note}", file=sys.stderr)
            out[f"rules_bulk_{label}_failed"] = {"note": note, "exit": proc.returncode, "lines": lines}
            continue
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        rate, base = m["lines"] / m["eval_s"], m["lines"] / m["read_s"]
        rates[lines] = rate
        out[f"rules_bulk_{label}_lines_per_second"] = common.metric(
            rate, "lines/s", base, "reading the same lines from Parquet into the rules frames", lines=m["lines"],
            rules=m["rules"], findings=m["findings"], repeats=m["repeats"], seconds=round(m["eval_s"], 2))
        out[f"rules_bulk_{label}_peak_rss"] = common.metric(
            m["peak_rss_mb"], "MB", None, "", higher_is_better=False, lines=m["lines"])
    if len(rates) >= 2:
        first, last = min(rates), max(rates)
        out["rules_bulk_scaling"] = common.metric(
            rates[last] / rates[first], "x", 1.0, f"linear scaling: the rate at {last:,} lines equals the rate at "
            f"{first:,}", lines_from=first, lines_to=last)
    path = common.write_results("engine", out)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
