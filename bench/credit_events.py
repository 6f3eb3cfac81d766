"""Event intake: confirmed findings through credit's DeliverEvents over gRPC, against a bare
inbox insert of the same events, same run.

    .venv/bin/python -m bench.credit_events [--quick]

Figures (medians of several repeats):
- deliver: batches of 100 `finding.confirmed` events (each with a doctor; about one in
  twenty of the doctors crosses 9 points, so suspensions, outbound calls (to an absent
  physician_codes) and their retries are part of it) through a real credit gRPC server:
  inbox insert + ledgers + derived decisions in one transaction;
- baseline: the same rows inserted into the inbox table alone (one multi-row statement per
  batch, no processing), the ceiling intake could reach.

Uses DATABASE_URL's server (a scratch database made and dropped here) or an embedded server.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import grpc
import sqlalchemy as sa
from google.protobuf import json_format
from sqlalchemy.dialects.postgresql import insert

from bench import common
from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.runtime import migrations
from fundguard.runtime.db import create_engine, temporary_database
from fundguard.runtime.settings import load
from fundguard.runtime.supervisor import free_port
from services.credit.main import build
from services.credit.store.tables import inbox

RESULTS = Path(__file__).resolve().parent / "results" / "credit.json"
BATCH = 100


def scratch_database() -> AbstractContextManager[str]:
    return temporary_database(os.environ.get("DATABASE_URL"), "fg_bench_credit")


def make_events(n: int, tag: str) -> list[pb.Event]:
    out = []
    for i in range(n):
        inst = f"H3201000{i % 500:04d}"
        doctor = f"D32010000{i % 2000:04d}"
        out.append(pb.Event(
            event_id=f"{tag}-{i}", kind="finding.confirmed", institution_code=inst, doctor_code=doctor,
            claim_id=f"{inst}-E{i}", occurred_at=f"2026-03-{1 + i % 28:02d}T02:00:00+00:00",
            finding=common_pb2.Finding(finding_id=f"{tag}-F{i}", rule_id="R-OVER-QUANTITY", tier="A" if i % 3 else "B",
                                       result_type="definite", amount=common_pb2.Money(amount="120.00"),
                                       institution_code=inst, doctor_code=doctor)))
    return out


def run(quick: bool) -> dict[str, dict[str, object]]:
    n = 2000 if quick else 10000
    repeats = 3
    deliver, bare = [], []
    with scratch_database() as url, tempfile.TemporaryDirectory() as data:
        migrations.upgrade_all(url)
        port = free_port()
        env = {"DATABASE_URL": url, "FUNDGUARD_DATA_DIR": data, "FUNDGUARD_CREDIT_ADDR": f"127.0.0.1:{port}",
               "FUNDGUARD_PHYSICIAN_CODES_ADDR": f"127.0.0.1:{free_port()}", "FUNDGUARD_PII_KEY": "bench"}
        os.environ.update({k: v for k, v in env.items() if k == "FUNDGUARD_PII_KEY"})
        runner = build(load("credit", env))
        runner.start()
        engine = create_engine(url)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=10)
                stub = credit_pb2_grpc.CreditServiceStub(channel)
                for r in range(repeats):
                    events = make_events(n, f"d{r}")
                    t0 = time.perf_counter()
                    for i in range(0, n, BATCH):
                        stub.DeliverEvents(pb.DeliverEventsRequest(events=events[i:i + BATCH]))
                    deliver.append(n / (time.perf_counter() - t0))
                    rows = [{"event_id": f"b{r}-{e.event_id}", "kind": e.kind, "institution_code": e.institution_code,
                             "doctor_code": e.doctor_code, "claim_id": e.claim_id,
                             "payload": json_format.MessageToDict(e), "occurred_at": None} for e in events]
                    t0 = time.perf_counter()
                    for i in range(0, n, BATCH):
                        with engine.begin() as conn:
                            conn.execute(insert(inbox).values(rows[i:i + BATCH]).on_conflict_do_nothing())
                    bare.append(n / (time.perf_counter() - t0))
                with engine.connect() as conn:
                    suspensions = conn.execute(sa.text(
                        "SELECT count(*) FROM credit.decisions WHERE kind = 'staff_suspension'")).scalar_one()
        finally:
            engine.dispose()
            runner.stop(grace=1.0)
    machine = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    value, base = round(statistics.median(deliver)), round(statistics.median(bare))
    return {"deliver_events_per_second": {
        "value": value, "unit": "events/s", "baseline": base,
        "baseline_name": "the same events inserted into the inbox alone, no processing",
        "ratio": round(value / base, 3), "machine": machine, "events": n, "batch": BATCH, "repeats": repeats,
        "suspensions_decided": int(suspensions)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = run(args.quick)
    common.merge_results(RESULTS, out)


if __name__ == "__main__":
    main()
