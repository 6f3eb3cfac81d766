"""Gateway latency against request rate: 3101 with a 50-line encounter, and a no-op request
through the same gateway (authenticated, rate-limited, no gRPC) as the baseline.

The suite runs as real processes (``fundguard.runtime.supervisor.Suite``) on an embedded
PostgreSQL; the load generator is an open-loop asyncio client on loopback (``bench.gateway_http_load``: keep-alive
connections and prepared requests, so its own CPU stays small): request i
is sent at t0 + i/rate whether or not earlier ones have answered, and its latency counts
from that scheduled moment, so a slow server cannot hide queueing from the figures.

    .venv/bin/python -m bench.gateway_latency [--quick]

Writes bench/results/gateway.json.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc

from bench.common import machine_speed
from bench.gateway_http_load import OpenLoop, Pool, request_bytes
from fundguard.claims.v1 import claims_pb2_grpc
from fundguard.demo import SAMPLES, load_samples
from fundguard.runtime.heap import freeze_startup_heap
from fundguard.runtime.supervisor import Suite
from gateway import national
from gateway.auth import signed_headers
from gateway.client import provision_caller

NATIONAL = "/fsi/api/rsfComIfsService/callService"
RESULTS = Path(__file__).resolve().parent / "results" / "gateway.json"
LINES = 50
PATIENTS = 5000  # distinct patients the requests cycle through
WARM_CONNECTIONS = 32  # keep-alive connections open before each run (more are opened when needed)
WAVE = 8  # checks sent at once for the gathered path's CPU breakdown


def encounter_50_lines() -> dict[str, Any]:
    """The clean outpatient sample with its order lines repeated to 50 (distinct rx_id)."""
    body = json.loads((SAMPLES / "requests" / "3101-01-clean-outpatient.json").read_text(encoding="utf-8"))
    enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    orders = enc["fsi_order_dtos"]
    lines = []
    for i in range(LINES):
        line = copy.deepcopy(orders[i % len(orders)])
        line["rx_id"] = str(i + 1)
        lines.append(line)
    enc["fsi_order_dtos"] = lines
    return body


class Load:
    def __init__(self, base: str, caller_id: str, token: str) -> None:
        self.base = base
        self.host = base.split("//", 1)[-1]
        self.caller_id = caller_id
        self.token = token
        self.template = encounter_50_lines()
        self.seq = 0
        self.stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        self.claims: claims_pb2_grpc.ClaimsServiceStub | None = None
        self.sender: OpenLoop | None = None

    def request(self, kind: str) -> tuple[str, str, bytes | None]:
        if kind == "noop":
            return "GET", "/api/v1/whoami", None
        if kind == "health":
            return "GET", "/healthz", None
        if kind == "direct":
            return ("GRPC", "", self.request("3101")[2])
        self.seq += 1
        body = self.template
        body["msgid"] = f"{body['fixmedins_code']}{self.stamp}{self.seq % 10000:04d}"
        enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
        enc["mdtrt_id"] = f"BENCH{self.stamp}{self.seq:07d}"
        patient = body["input"]["data"]["patient_dtos"][0]
        patient["curr_mdtrt_id"] = enc["mdtrt_id"]
        # A province's requests come from many patients, each with a few encounters in the
        # look-back window; one patient for every request would grow its history without end.
        patient["patn_id"] = f"BP{self.stamp}{self.seq % PATIENTS:05d}"
        # msgid repeats after 10,000 requests; the stamp changes per run, so make it unique:
        body["msgid"] = f"{body['fixmedins_code']}{(int(self.stamp) + self.seq // 10000):014d}{self.seq % 10000:04d}"
        return "POST", NATIONAL, json.dumps(body, ensure_ascii=False).encode()

    def prepare(self, kind: str, n: int) -> list[Any]:
        """``n`` requests of a kind, built and signed (valid for the gateway's timestamp window,
        minutes): HTTP requests as wire bytes, or Analyze messages for the direct kind. Built
        before the clock starts, and before the CPU is read: building 1,200 bodies takes
        longer than the first intervals, and is not the load generator's work under load."""
        prepared = [self.request(kind) for _ in range(n)]
        if kind == "direct":
            return [national.analysis_request(json.loads(b or b"")) for _, _, b in prepared]
        return [request_bytes(m, p, self.host, self.headers(b is not None), b or b"") for m, p, b in prepared]

    async def run(self, kind: str, rate: float, prepared: list[Any]) -> dict[str, Any]:
        n = len(prepared)
        # The load generator's own pauses must not count as the suite's latency: a request is
        # timed from its scheduled moment, so a full collection of this process's heap (the
        # suite's modules are imported here too: 70-150 ms, seen inside runs) delayed every
        # request scheduled meanwhile. Frozen as the services' are at start (decision 0023),
        # the heap is not scanned again; what the run allocates is collected as usual.
        freeze_startup_heap()
        if kind == "direct":
            latencies, reasons = await self._direct(prepared, rate)
        else:
            latencies, reasons = [], {}
            if self.sender is None:
                self.sender = OpenLoop(self.base)
            await self.sender.warm(WARM_CONNECTIONS)
            for r in await self.sender.run(prepared, rate):
                latencies.append(r.latency)
                why = r.error or ("" if r.status == 200 and (kind != "3101" or b'"infcode":0' in r.body)
                                  else f"http {r.status}")
                if why:
                    reasons[why[:80]] = reasons.get(why[:80], 0) + 1
        latencies.sort()

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        return {"kind": kind, "rate": rate, "requests": n, "errors": sum(reasons.values()), "error_kinds": reasons,
                "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2), "max_ms": round(latencies[-1] * 1000, 2)}

    def headers(self, with_body: bool) -> dict[str, str]:
        headers = signed_headers(self.caller_id, self.token)
        if with_body:
            headers["content-type"] = "application/json"
        return headers

    async def _direct(self, analyses: list[Any], rate: float) -> tuple[list[float], dict[str, int]]:
        """The same checks as Analyze calls straight to claims, open loop, one task each."""
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        reasons: dict[str, int] = {}
        t0 = loop.time() + 0.05

        async def one(at: float, analysis: Any) -> None:
            await asyncio.sleep(max(0.0, at - loop.time()))
            try:
                assert self.claims is not None
                await self.claims.Analyze(analysis, timeout=10)
            except grpc.RpcError as exc:
                reasons[str(exc.code())] = reasons.get(str(exc.code()), 0) + 1
            latencies.append(loop.time() - at)

        await asyncio.gather(*(one(t0 + i / rate, a) for i, a in enumerate(analyses)))
        return latencies, reasons


def _cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU of one process so far (Linux /proc); with ``reaped``, also that of
    its children that have exited (a PostgreSQL backend that ends between two readings
    would otherwise take its CPU out of the sum)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants (gateway workers, PostgreSQL backends)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid] + [p for c in children for p in _process_tree(int(c))]


async def cost(load: Load, suite: Suite, requests: int) -> dict[str, dict[str, float]]:
    """CPU per request in each process, requests sent one after another (no queueing): where
    a request's work goes. PostgreSQL counts only for an embedded server (its processes are
    ours); the load generator is this process."""
    client = Pool(load.base)
    roots = process_roots(suite)
    out: dict[str, dict[str, float]] = {}
    # "3101 in waves of 8": eight checks sent at once, the next eight when all have answered.
    # The first goes alone and the other seven wait and go together as one AnalyzeBatch
    # (decision 0022), so this row is the gathered path's CPU per check at a fixed batch size,
    # which, unlike latency, stays put when other work shares the machine.
    for kind, wave in (("noop", 1), ("3101", 1), ("3101 in waves of 8", WAVE)):
        sent = kind.split()[0]
        for _ in range(20 // wave + 1):  # warm caches and connections
            await asyncio.gather(*(_send(client, load, sent) for _ in range(wave)))
        before, mine, wall = cpu_snapshot(roots), time.process_time(), time.perf_counter()
        for _ in range(requests // wave):
            await asyncio.gather(*(_send(client, load, sent) for _ in range(wave)))
        done = requests // wave * wave
        row = cpu_per_request(roots, before, mine, done)
        row["wall"] = round((time.perf_counter() - wall) / done * 1000, 2)
        print(kind, json.dumps(row), flush=True)
        out[kind] = row
    client.close()
    return out


def process_roots(suite: Suite) -> dict[str, int]:
    """The suite's processes by name; PostgreSQL only when embedded (its processes are ours)."""
    roots = {svc: proc.pid for svc, proc in suite.procs.items()}
    if suite.embedded is not None and suite.embedded.pid:
        roots["postgres"] = suite.embedded.pid
    return roots


def cpu_snapshot(roots: dict[str, int]) -> dict[str, float]:
    return {svc: _cpu_seconds(pid, reaped=True) + sum(_cpu_seconds(p) for p in _process_tree(pid)[1:])
            for svc, pid in roots.items()}


def cpu_per_request(roots: dict[str, int], before: dict[str, float], mine: float,
                    requests: int) -> dict[str, float]:
    """CPU ms per request in each process since ``before`` (and this process since ``mine``)."""
    after = cpu_snapshot(roots)
    row = {svc: round((after[svc] - before[svc]) / requests * 1000, 2) for svc in roots}
    row["load generator"] = round((time.process_time() - mine) / requests * 1000, 2)
    row["total"] = round(sum(row.values()), 2)
    return row


async def _send(client: Pool, load: Load, kind: str) -> None:
    method, path, body = load.request(kind)
    status, data = await client.send(method, path, load.headers(body is not None), body or b"")
    if status != 200 or (body is not None and b'"infcode":0' not in data):
        raise RuntimeError(f"{kind}: HTTP {status} {data[:200]!r}")


def database_activity(database_url: str) -> dict[str, int]:
    """PostgreSQL's own work so far that can stall every commit: checkpoints, autovacuum and
    autoanalyze runs (all tables), and WAL bytes written."""
    import psycopg2

    from fundguard.runtime.db import libpq_url

    conn = psycopg2.connect(libpq_url(database_url))
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            row = cur.fetchone()
            checkpoints = ("SELECT num_timed + num_requested FROM pg_stat_checkpointer" if row and int(row[0]) >= 170000
                           else "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")  # before 17
            cur.execute(f"SELECT ({checkpoints}), "
                        "(SELECT coalesce(sum(autovacuum_count), 0) FROM pg_stat_all_tables), "
                        "(SELECT coalesce(sum(autoanalyze_count), 0) FROM pg_stat_all_tables), "
                        "pg_current_wal_lsn() - '0/0'::pg_lsn")
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None
    return dict(zip(("checkpoints", "autovacuums", "autoanalyzes", "wal_bytes"), map(int, row), strict=True))


async def measure(load: Load, claims_addr: str, rates: list[float], seconds: float,
                  repeats: int, roots: dict[str, int], database_url: str) -> list[dict[str, Any]]:
    """Each kind at each rate: the no-op through the gateway, 3101 through the gateway, and
    the same Analyze sent straight to claims over gRPC, one call per check. The gateway gathers
    checks that queue into AnalyzeBatch calls (decision 0022); the direct row does not, so it
    shows what one call per check costs at each rate."""
    out = []
    async with grpc.aio.insecure_channel(claims_addr) as channel:
        load.claims = claims_pb2_grpc.ClaimsServiceStub(channel)
        for kind in ("noop", "3101", "direct"):
            await load.run(kind, 50, load.prepare(kind, 50))  # warm connections and caches
            for rate in rates:
                prepared = [load.prepare(kind, int(rate * seconds)) for _ in range(repeats)]
                before, mine, db = cpu_snapshot(roots), time.process_time(), database_activity(database_url)
                runs = [await load.run(kind, rate, p) for p in prepared]
                db = {k: v - db[k] for k, v in database_activity(database_url).items()}
                # Under load, not one at a time: gathered checks share their calls' cost.
                cpu = cpu_per_request(roots, before, mine, sum(r["requests"] for r in runs))
                row = {"kind": kind, "rate": rate, "requests": sum(r["requests"] for r in runs),
                       "errors": sum(r["errors"] for r in runs),
                       "error_kinds": {k: sum(r["error_kinds"].get(k, 0) for r in runs)
                                       for k in sorted({k for r in runs for k in r["error_kinds"]})},
                       "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
                       "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
                       "p99_ms_each_run": [round(r["p99_ms"], 2) for r in runs],
                       "max_ms": max(r["max_ms"] for r in runs), "repeats": repeats, "cpu_ms_per_request": cpu,
                       "database_during_point": db}
                print(json.dumps(row), flush=True)
                out.append(row)
    if load.sender is not None:
        load.sender.close()
    return out


def markdown(result: dict[str, Any]) -> str:
    """The curve as a table for docs/benchmarks.md: one row per rate, p50 / p99 per kind."""
    rows = {(r["kind"], r["rate"]): r for r in result["curve"]}
    rates = sorted({r["rate"] for r in result["curve"]})
    out = ["| requests/s | no-op p50 / p99 (ms) | 3101 via gateway p50 / p99 (ms), errors | "
           "Analyze straight to claims, one call each, p50 / p99 (ms), errors |", "|---:|---|---|---|"]
    for rate in rates:
        cells = []
        for kind in ("noop", "3101", "direct"):
            r = rows.get((kind, rate))
            if r is None:
                cells.append("-")
                continue
            err = f", {r['errors']}/{r['requests']} failed" if r["errors"] and kind != "noop" else ""
            if kind == "noop" and r["errors"]:
                err = f", {r['errors']}/{r['requests']} failed"
            cells.append(f"{r['p50_ms']:g} / {r['p99_ms']:g}{err}")
        out.append(f"| {rate:g} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rates, shorter runs")
    parser.add_argument("--rates", default="", help="comma-separated requests per second")
    parser.add_argument("--seconds", type=float, default=0)
    parser.add_argument("--repeats", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes (FUNDGUARD_GATEWAY_WORKERS)")
    parser.add_argument("--markdown", action="store_true", help="print the last results as a table and stop")
    parser.add_argument("--cost-only", action="store_true",
                        help="only the CPU per request in each process (one at a time, and in waves of "
                             f"{WAVE}); robust on a busy machine, unlike latency; writes no results file")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(RESULTS.read_text())))
        return 0
    rates = [float(r) for r in args.rates.split(",") if r] or ([50, 200] if args.quick else [25, 50, 100, 150, 200])
    seconds = args.seconds or (3.0 if args.quick else 6.0)
    repeats = args.repeats or (1 if args.quick else 3)
    env = {"OTEL_TRACES_SAMPLER": os.environ.get("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
           "FUNDGUARD_GATEWAY_WORKERS": str(args.workers)}
    speed_before = machine_speed()
    with tempfile.TemporaryDirectory(prefix="fg-bench-gw-") as tmp, \
            Suite(Path(tmp), None, fixed_ports=False, extra_env=env) as suite:
        load_samples(suite)
        assert suite.database_url
        auth = provision_caller(suite.database_url, suite.env(), "bench-platform", "platform", "32")
        load = Load(suite.gateway_url, auth.caller_id, auth.token)
        t = time.monotonic()
        breakdown = asyncio.run(cost(load, suite, 100 if args.quick else 300))
        if args.cost_only:
            return 0
        rows = asyncio.run(measure(load, suite.addrs["claims"], rates, seconds, repeats, process_roots(suite),
                                   suite.database_url))
        print(f"measured in {time.monotonic() - t:.0f} s")
    speed_after = machine_speed()
    at = {(r["kind"], r["rate"]): r for r in rows}
    target = 200.0 if (("3101", 200.0) in at) else rates[-1]
    main_row, base_row, direct_row = at[("3101", target)], at[("noop", target)], at[("direct", target)]
    result = {
        "figure": f"3101 ({LINES}-line encounter) p99 latency at {target:g} requests/s through the gateway",
        "value": main_row["p99_ms"], "unit": "ms", "baseline": base_row["p99_ms"],
        "baseline_figure": f"no-op request (GET /api/v1/whoami, signed) p99 at {target:g} requests/s",
        "ratio": round(main_row["p99_ms"] / base_row["p99_ms"], 2) if base_row["p99_ms"] else None,
        "direct_to_claims_p99_ms": direct_row["p99_ms"],
        "cpu_ms_per_request": breakdown, "curve": rows, "seconds_per_point": seconds, "repeats": repeats,
        "gateway_workers": args.workers,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_end": os.getloadavg(),
                    # The machine's speed drifts by the hour: the same code's figures compare
                    # only together with these (bench.common.machine_speed).
                    "speed_before": speed_before, "speed_after": speed_after},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("figure", "value", "unit", "baseline", "ratio")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
