"""Binding checks: real-time (50 lines through the servicer, registry in PostgreSQL) and bulk
(vectorised over an in-memory snapshot), each against a baseline measured in the same run.

    python -m bench.registry_binding [--quick]

Uses DATABASE_URL (a scratch database is created on that server and dropped) or, without
it, an embedded PostgreSQL in a temporary directory. Writes bench/results/registry.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.runtime.db import temporary_database
from services.physician_codes.domain.binding import (
    Period,
    RegistrationFact,
    Sanction,
    StaffFacts,
    judge,
    staff_facts,
)
from services.physician_codes.domain.snapshot import RegistrySnapshot, judge_frame

RESULTS = Path(__file__).resolve().parent / "results" / "registry.json"
DIVISION = "321181"
YEAR_START = date(2026, 1, 1)


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "polars": pl.__version__, "polars_threads": pl.thread_pool_size(),
            # Other work on the machine skews every figure; record how busy it was.
            "load_average_1m": round(os.getloadavg()[0], 2)}


def median_of(repeats: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeats))


# -- a synthetic province ---------------------------------------------------------------------


class Province:
    """Staff, institutions, registrations (a fifth practise at two sites) and sanctions."""

    def __init__(self, n_staff: int, n_institutions: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.institutions = [f"H{DIVISION}{i:05d}" for i in range(1, n_institutions + 1)]
        self.levels = {c: rng.choice("123") for c in self.institutions}
        self.staff = [f"D{DIVISION}{i:06d}" for i in range(1, n_staff + 1)]
        self.registrations: dict[str, list[RegistrationFact]] = {}
        self.sanctions: dict[str, list[Sanction]] = {}
        for n, code in enumerate(self.staff):
            home = rng.choice(self.institutions)
            regs = [RegistrationFact(home, Period(date(2015 + rng.randrange(10), 1 + rng.randrange(12), 1), None))]
            if rng.random() < 0.2:
                start = YEAR_START + timedelta(days=rng.randrange(200))
                regs.append(RegistrationFact(rng.choice(self.institutions),
                                             Period(start, start + timedelta(days=rng.randrange(30, 300)))))
            self.registrations[code] = regs
            r = rng.random()
            if r < 0.03:
                start = YEAR_START + timedelta(days=rng.randrange(330))
                self.sanctions[code] = [Sanction(f"S-{n}", "suspended", start,
                                                 start + timedelta(days=30 * rng.randint(1, 6)))]
            elif r < 0.035:
                start = YEAR_START + timedelta(days=rng.randrange(330))
                self.sanctions[code] = [Sanction(f"T-{n}", "terminated", start,
                                                 ban_until=start + timedelta(days=365))]

    def facts(self) -> dict[str, StaffFacts]:
        return {c: staff_facts(c, self.registrations[c], self.sanctions.get(c, []), []) for c in self.staff}

    def lines(self, n: int, seed: int = 11) -> pl.DataFrame:
        """Fee lines: 97% known codes, mostly at a registered site, dates across the year."""
        rng = random.Random(seed)
        staff, inst, days = [], [], []
        for _ in range(n):
            r = rng.random()
            if r < 0.02:
                code = f"D{DIVISION}{900000 + rng.randrange(99999):06d}"  # unknown
            elif r < 0.03:
                code = ""
            else:
                code = rng.choice(self.staff)
            regs = self.registrations.get(code)
            staff.append(code)
            inst.append(rng.choice(regs).institution_code if regs and rng.random() < 0.93
                        else rng.choice(self.institutions))
            days.append(YEAR_START + timedelta(days=rng.randrange(365)))
        return pl.DataFrame({"line_id": [f"L{i}" for i in range(n)], "staff_code": staff, "institution_code": inst,
                             "service_date": days}, schema_overrides={"service_date": pl.Date})


# -- bulk ------------------------------------------------------------------------------------


def bench_bulk(province: Province, n_lines: int, repeats: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    snap = RegistrySnapshot(1, province.facts())
    facts_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    snap.warm()
    tables_s = time.perf_counter() - t0
    lines = province.lines(n_lines)

    def vectorised() -> float:
        t = time.perf_counter()
        judge_frame(lines, snap)
        return time.perf_counter() - t

    vec_s = median_of(repeats, vectorised)
    sample = lines.head(min(n_lines, 100_000))
    rows = list(zip(sample["staff_code"], sample["institution_code"], sample["service_date"], strict=True))

    def loop() -> float:
        t = time.perf_counter()
        facts = snap.facts
        for code, inst, day in rows:
            judge(code, inst, day, facts.get(code))
        return time.perf_counter() - t

    loop_s = median_of(repeats, loop)
    # The bulk RPC's own work in process: Arrow IPC in, judge, Arrow IPC out.
    from services.physician_codes.servicer import read_lines_ipc

    buf = io.BytesIO()
    lines.write_ipc_stream(buf)  # service_date as date32, as claims sends it
    payload = buf.getvalue()

    def via_ipc() -> float:
        t = time.perf_counter()
        out = io.BytesIO()
        judge_frame(read_lines_ipc(payload), snap).write_ipc_stream(out)
        return time.perf_counter() - t

    ipc_s = median_of(repeats, via_ipc)
    # One sanction arrives during the audit: derive the next snapshot's tables from these,
    # against rebuilding them from all facts.
    target = province.staff[0]
    updated = staff_facts(target, province.registrations[target],
                          [Sanction("BENCH-S", "suspended", YEAR_START, YEAR_START + timedelta(days=30))], [])

    def successor() -> float:
        t = time.perf_counter()
        snap.successor(2, {target: updated}, {target})
        return time.perf_counter() - t

    def rebuild() -> float:
        t = time.perf_counter()
        RegistrySnapshot(2, {**snap.facts, target: updated}).warm()
        return time.perf_counter() - t

    succ_s, rebuild_s = median_of(repeats, successor), median_of(repeats, rebuild)
    vec_rate, loop_rate = n_lines / vec_s, len(rows) / loop_s
    return {
        "bulk_vectorised": {"value": round(vec_rate), "unit": "lines/s", "baseline": round(loop_rate),
                            "baseline_is": "per-line Python judge over the same snapshot",
                            "ratio": round(vec_rate / loop_rate, 1), "lines": n_lines},
        "bulk_with_arrow_ipc": {"value": round(n_lines / ipc_s), "unit": "lines/s", "baseline": round(loop_rate),
                                "baseline_is": "per-line Python judge over the same snapshot",
                                "ratio": round(n_lines / ipc_s / loop_rate, 1), "lines": n_lines},
        "snapshot_after_one_sanction": {"value": round(succ_s * 1000, 1), "unit": "ms",
                                        "baseline": round(rebuild_s * 1000, 1),
                                        "baseline_is": "rebuilding the bulk tables from all facts",
                                        "ratio": round(rebuild_s / succ_s, 1), "staff": len(province.staff)},
        "snapshot_build": {"value": round(facts_s + tables_s, 2), "unit": "s", "staff": len(province.staff),
                           "facts_s": round(facts_s, 2), "tables_s": round(tables_s, 2)},
    }


# -- real time, through the servicer, registry in PostgreSQL -------------------------------------


def scratch_database() -> AbstractContextManager[str]:
    return temporary_database(os.environ.get("DATABASE_URL"), "fg_bench_registry")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_realtime(province: Province, calls: int, repeats: int) -> dict[str, Any]:
    from fundguard.runtime import migrations
    from fundguard.runtime.db import create_engine
    from services.physician_codes.servicer import PhysicianCodesServicer
    from services.physician_codes.store.repository import Change, RegistryStore

    with scratch_database() as url:
        migrations.upgrade("physician_codes", url)
        engine = create_engine(url)
        store = RegistryStore(engine)
        change = Change("bench", "synthetic registry")
        store.upsert_institutions([{"code": c, "name": c, "level": province.levels[c], "type": "hospital",
                                    "division": DIVISION, "agreement_status": "active"}
                                   for c in province.institutions], change, date.today())
        chunk = 5000
        for i in range(0, len(province.staff), chunk):
            part = province.staff[i:i + chunk]
            store.upsert_staff([{"code": c, "name": c, "role": "doctor", "title": "", "dept_code": "A03"}
                                for c in part], change)
            store.add_registrations([{"staff_code": c, "institution_code": r.institution_code,
                                      "valid_from": r.period.start, "valid_to": r.period.end}
                                     for c in part for r in province.registrations[c]], change)
        servicer = PhysicianCodesServicer(store)
        t0 = time.perf_counter()
        servicer.snapshots.current()
        load_s = time.perf_counter() - t0
        lines = province.lines(calls * 50, seed=23)
        requests = []
        for k in range(calls):
            frame = lines.slice(k * 50, 50)
            requests.append(pb.VerifyBindingsRequest(lines=[
                pb.BindingQuery(line_id=lid, staff_code=s, institution_code=i, service_date=d.isoformat())
                for lid, s, i, d in frame.iter_rows()]))

        cpu_batches: list[list[float]] = []

        def timed(fn: Callable[[pb.VerifyBindingsRequest], Any], batch: list[pb.VerifyBindingsRequest],
                  cpu: list[float] | None = None) -> list[float]:
            out = []
            for req in batch:
                c, t = time.thread_time(), time.perf_counter()
                fn(req)
                out.append((time.perf_counter() - t) * 1000)
                if cpu is not None:
                    cpu.append((time.thread_time() - c) * 1000)
            return out

        def per_call_queries(r: pb.VerifyBindingsRequest) -> None:
            # The walking skeleton's way: read the facts of these codes from PostgreSQL each call.
            _, facts = store.load_facts(sorted({q.staff_code for q in r.lines if q.staff_code}))
            for q in r.lines:
                judge(q.staff_code, q.institution_code, date.fromisoformat(q.service_date), facts.get(q.staff_code))

        servicer.VerifyBindings(requests[0], None)  # type: ignore[arg-type]
        # Repeats alternate the two ways batch by batch, so both meet the same machine load;
        # each percentile is the median over the repeats.
        size = len(requests) // repeats
        fast_batches, slow_batches, memory_batches = [], [], []
        # The same servicer with the version read taken out: what the check costs in memory alone.
        pinned = PhysicianCodesServicer(store)
        snap = servicer.snapshots.current()
        pinned.snapshots = type("Pinned", (), {"current": staticmethod(lambda: snap)})()  # type: ignore[assignment]
        notified = PhysicianCodesServicer(store, freshness="notify")
        deadline = time.monotonic() + 10
        while not notified.snapshots._listening and time.monotonic() < deadline:
            time.sleep(0.01)
        notified.VerifyBindings(requests[0], None)  # type: ignore[arg-type]
        notify_batches: list[list[float]] = []
        for k in range(repeats):
            batch = requests[k * size:(k + 1) * size]
            notify_batches.append(timed(lambda r: notified.VerifyBindings(r, None), batch))  # type: ignore[arg-type]
            cpu_batches.append([])
            fast_batches.append(timed(lambda r: servicer.VerifyBindings(r, None), batch,  # type: ignore[arg-type]
                                      cpu_batches[-1]))
            memory_batches.append(timed(lambda r: pinned.VerifyBindings(r, None), batch))  # type: ignore[arg-type]
            slow_batches.append(timed(per_call_queries, batch))

        def pct(batches: list[list[float]], q: float) -> float:
            return statistics.median(percentile(b, q) for b in batches)

        # A sanction, then the next check: the time until it is in force on this replica.
        target = province.staff[0]
        servicer.SuspendStaff(pb.SuspendStaffRequest(decision_id="BENCH-1", staff_code=target,
                                                     start_date="2026-01-01", end_date="2026-12-31"), None)  # type: ignore[arg-type]
        t = time.perf_counter()
        reply = servicer.VerifyBindings(pb.VerifyBindingsRequest(lines=[pb.BindingQuery(
            line_id="x", staff_code=target, institution_code=province.registrations[target][0].institution_code,
            service_date="2026-06-01")]), None)  # type: ignore[arg-type]
        refresh_ms = (time.perf_counter() - t) * 1000
        assert reply.results[0].status == pb.BINDING_STATUS_SUSPENDED
        notified.snapshots.close()
        servicer.snapshots.close()
        engine.dispose()
    return {
        "realtime_50_lines_p99": {"value": round(pct(fast_batches, 0.99), 3), "unit": "ms",
                                  "baseline": round(pct(slow_batches, 0.99), 3),
                                  "baseline_is": "three SQL queries per call (the skeleton's way)",
                                  "ratio": round(pct(slow_batches, 0.99) / pct(fast_batches, 0.99), 1),
                                  "calls": calls, "repeats": repeats,
                                  "worst_repeat_p99": round(max(percentile(b, 0.99) for b in fast_batches), 3),
                                  "includes": "version check (one SQL read) + proto parse of dates + judge"},
        "realtime_50_lines_p50": {"value": round(pct(fast_batches, 0.5), 3), "unit": "ms",
                                  "baseline": round(pct(slow_batches, 0.5), 3),
                                  "ratio": round(pct(slow_batches, 0.5) / pct(fast_batches, 0.5), 1)},
        "realtime_50_lines_cpu_p99": {
            "value": round(pct(cpu_batches, 0.99), 3), "unit": "ms", "p50": round(pct(cpu_batches, 0.5), 3),
            "what": "CPU time of the calling thread per check: the check's own cost, whatever the machine's load"},
        "realtime_50_lines_p99_notify_mode": {
            "value": round(pct(notify_batches, 0.99), 3), "unit": "ms", "p50": round(pct(notify_batches, 0.5), 3),
            "baseline": round(pct(fast_batches, 0.99), 3), "baseline_is": "the default read mode (version read per check)",
            "ratio": round(pct(fast_batches, 0.99) / pct(notify_batches, 0.99), 1),
            "what": "FUNDGUARD_REGISTRY_FRESHNESS=notify: versions from NOTIFY, no read per check"},
        "realtime_50_lines_p99_without_version_read": {
            "value": round(pct(memory_batches, 0.99), 3), "unit": "ms",
            "p50": round(pct(memory_batches, 0.5), 3),
            "what": "the same check against a pinned snapshot: no database read at all"},
        "sanction_to_next_check": {"value": round(refresh_ms, 2), "unit": "ms",
                                   "what": "first check after a sanction, incl. the incremental snapshot refresh"},
        "snapshot_full_load_from_db": {"value": round(load_s, 2), "unit": "s", "staff": len(province.staff)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller registry and fewer lines")
    parser.add_argument("--part", choices=("all", "bulk", "realtime"), default="all",
                        help="measure one part again; the other part's figures in the results file are kept")
    args = parser.parse_args(argv)
    if args.quick:
        n_staff, n_inst, n_lines, db_staff, calls, repeats = 20_000, 500, 200_000, 5_000, 500, 3
    else:
        n_staff, n_inst, n_lines, db_staff, calls, repeats = 200_000, 3_000, 2_000_000, 50_000, 3_000, 5
    previous: dict[str, Any] = {}
    if args.part != "all" and RESULTS.exists():
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        if previous.get("quick") != args.quick:
            previous = {}
    parts: dict[str, Any] = dict(previous.get("parts", {}))
    figures: dict[str, Any] = {}
    if args.part in ("all", "bulk"):
        load = round(os.getloadavg()[0], 2)
        figures = bench_bulk(Province(n_staff, n_inst), n_lines, repeats)
        parts["bulk"] = {"figures": figures, "machine": machine() | {"load_average_1m_at_start": load}}
    if args.part in ("all", "realtime"):
        load = round(os.getloadavg()[0], 2)
        realtime = bench_realtime(Province(db_staff, max(50, n_inst // 4), seed=3), calls, repeats)
        figures |= realtime
        parts["realtime"] = {"figures": realtime, "machine": machine() | {"load_average_1m_at_start": load}}
    # Each part records the machine as it was while that part ran: the load of other work
    # on a shared machine moves every figure, baselines included.
    result = {"area": "registry", "quick": args.quick, "parts": parts,
              "figures": {k: v for part in parts.values() for k, v in part["figures"].items()}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, fig in figures.items():
        base = f" (baseline {fig['baseline']}, x{fig['ratio']})" if "baseline" in fig else ""
        print(f"{name:<32} {fig['value']} {fig['unit']}{base}")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
