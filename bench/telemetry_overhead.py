"""What tracing costs: 3101 throughput through the whole suite with telemetry on and off.

Both modes run in the same invocation, alternating, each on a fresh suite; the figure is
the median throughput with tracing on against the median with OTEL_SDK_DISABLED=true.
Loopback only, bounded in requests and time.

    python -m bench.telemetry_overhead [--quick]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from fundguard.demo import NATIONAL_PATH, SAMPLES, load_samples
from fundguard.runtime.supervisor import Suite
from gateway.client import provision_caller

RESULTS = Path(__file__).parent / "results" / "telemetry.json"


def fifty_line_request() -> dict[str, Any]:
    """The clean sample outpatient visit grown to 50 fee lines."""
    body = json.loads((SAMPLES / "requests" / "3101-01-clean-outpatient.json").read_text(encoding="utf-8"))
    enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    orders = enc["fsi_order_dtos"]
    enc["fsi_order_dtos"] = []
    for i in range(50):
        line = copy.deepcopy(orders[i % len(orders)])
        line["rx_id"] = str(i + 1)
        enc["fsi_order_dtos"].append(line)
    return body


def throughput(suite: Suite, requests: int, concurrency: int) -> float:
    """Requests per second of 50-line 3101 checks, signed as a platform caller."""
    assert suite.database_url
    auth = provision_caller(suite.database_url, suite.env(), "bench-platform", "platform", "32")
    base_url = suite.gateway_url
    template = fifty_line_request()
    stamp = time.strftime("%Y%m%d%H%M%S")

    def one(i: int) -> None:
        body = copy.deepcopy(template)
        body["msgid"] = f"{body['fixmedins_code']}{stamp}{i % 10000:04d}"
        enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
        enc["mdtrt_id"] = f"BENCH{i:08d}"
        reply = client.post(base_url + NATIONAL_PATH, json=body, timeout=30)
        reply.raise_for_status()

    with httpx.Client(auth=auth) as client, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(concurrency * 2)))  # warm-up
        t0 = time.perf_counter()
        list(pool.map(one, range(10_000, 10_000 + requests)))
        return requests / (time.perf_counter() - t0)


def run(quick: bool) -> dict[str, Any]:
    repeats, requests, concurrency = (2, 150, 4) if quick else (3, 600, 8)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(repeats):
        for mode in ("off", "on"):
            env = {"OTEL_SDK_DISABLED": "true"} if mode == "off" else {"OTEL_SDK_DISABLED": "false"}
            with tempfile.TemporaryDirectory(prefix="fg-bench-") as tmp, \
                    Suite(Path(tmp), None, fixed_ports=False,
                          extra_env=env) as suite:
                load_samples(suite)
                rates[mode].append(throughput(suite, requests, concurrency))
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    result = {
        "metric": "3101 throughput with tracing on (50-line encounters, whole suite)",
        "value": round(on, 1), "unit": "requests/s",
        "baseline": round(off, 1), "baseline_description": "same run with OTEL_SDK_DISABLED=true",
        "ratio": round(on / off, 3), "cost_percent": round((1 - on / off) * 100, 1),
        "samples": rates, "requests_per_sample": requests, "concurrency": concurrency,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"throughput_with_tracing": result}, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
