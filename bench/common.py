"""Shared pieces of the benchmarks: machine description, timing, results files, cached worlds.

Every area writes bench/results/<area>.json as {metric name: {value, unit, baseline,
baseline_name, ratio, machine, ...}}; bench.run collects them into bench/results.json.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
CACHE = BENCH / ".cache"
LINES_PER_PERSON_YEAR = 66  # measured on the default world; used to size worlds by line count


def machine() -> str:
    cpu = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import polars

    return (f"{platform.machine()} {os.cpu_count()} cpu {cpu}{mem}, Python {platform.python_version()}, "
            f"Polars {polars.__version__}").replace("  ", " ")


# A fixed pure-Python workload (arithmetic, dicts, JSON): its wall time says how fast this
# machine runs Python at the moment, which drifts by the hour on a shared machine.
_SPEED_WORK = """
import json, time
t = time.perf_counter()
s = 0
for i in range(600_000):
    s += i * i % 7
d = {"a": [{"x": i, "y": str(i)} for i in range(2000)]}
for _ in range(15):
    json.loads(json.dumps(d))
print((time.perf_counter() - t) * 1000)
"""


def machine_speed(rounds: int = 5) -> dict[str, float]:
    """Milliseconds the fixed workload takes (median of ``rounds``): run alone, and run in one
    process per core at once. On a quiet machine with cores of its own the two are equal; the
    second is higher when the cores share hardware or the host is busy."""
    import subprocess
    import sys

    def once(processes: int) -> list[float]:
        running = [subprocess.Popen([sys.executable, "-c", _SPEED_WORK], stdout=subprocess.PIPE, text=True)
                   for _ in range(processes)]
        return [float(p.communicate()[0]) for p in running]

    cores = os.cpu_count() or 1
    alone = [t for _ in range(rounds) for t in once(1)]
    together = [t for _ in range(rounds) for t in once(cores)]
    return {"one_process_ms": round(statistics.median(alone), 1),
            "one_process_per_core_ms": round(statistics.median(together), 1), "cores": cores}


def peak_rss_mb() -> float:
    """This process's peak resident set (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], repeats: int, budget_s: float = 120.0) -> tuple[float, Any, int]:
    """Median wall time of fn over repeats, fn's last result, and how many runs the median
    is of: repeating stops once the runs so far took budget_s (one run at least), so a slow
    engine cannot stall the suite."""
    times: list[float] = []
    result: Any = None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if sum(times) >= budget_s:
            break
    return statistics.median(times), result, len(times)


def metric(value: float, unit: str, baseline: float | None, baseline_name: str, higher_is_better: bool = True,
           **extra: Any) -> dict[str, Any]:
    """One figure against its baseline; ratio is value / baseline (for rates: share of the baseline's)."""
    ratio = round(value / baseline, 3) if baseline else None
    return {"value": _round(value), "unit": unit, "baseline": _round(baseline) if baseline is not None else None,
            "baseline_name": baseline_name, "ratio": ratio, "higher_is_better": higher_is_better,
            "machine": machine(), **extra}


def _round(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    digits = max(0, 3 - int(math.floor(math.log10(abs(x)))))
    return round(x, digits) if digits else round(x)


def write_results(area: str, metrics: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{area}.json"
    path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return path


def merge_results(path: Path, out: dict[str, Any]) -> None:
    """Add a bench's metrics to its area's results file (other benches of the area keep
    theirs) and print them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.update(out)
    path.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))


def people_for_lines(lines: int, months: int = 12) -> int:
    return max(100, math.ceil(lines / (LINES_PER_PERSON_YEAR * months / 12)))


def world_folder(lines: int, seed: int = 2026, chunk_people: int = 1_000, rate_scale: float = 1.0) -> Path:
    from bench.generator import GENERATOR_VERSION

    return CACHE / f"world-v{GENERATOR_VERSION}-s{seed}-l{lines}-c{chunk_people}-r{rate_scale}"


def world(lines: int, seed: int = 2026, chunk_people: int = 1_000, rate_scale: float = 1.0,
          progress: bool = True) -> Path:
    """A cached world of about ``lines`` fee lines (Parquet only, default rates and fraud).

    Cached under bench/.cache by its parameters; regenerated if the manifest is missing."""
    from bench.generator import DEFAULT_RATES, Config, generate

    folder = world_folder(lines, seed, chunk_people, rate_scale)
    if (folder / "manifest.json").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    cfg = Config(seed=seed, institutions=60, people=people_for_lines(lines), months=12,
                 rates={r: v * rate_scale for r, v in DEFAULT_RATES.items()}, chunk_people=chunk_people,
                 national="sample", progress=progress)
    generate(cfg, tmp)
    tmp.rename(folder)
    return folder


def parts_for(folder: Path, lines: int) -> list[str]:
    """The first parts of a world holding at least ``lines`` fee lines."""
    import polars as pl

    from bench.generator.load import parts

    chosen, total = [], 0
    for name in parts(folder):
        chosen.append(name)
        total += pl.scan_parquet(folder / "parquet" / "lines" / f"{name}.parquet").select(pl.len()).collect().item()
        if total >= lines:
            break
    return chosen
