"""The post-event audit run's throughput against the rules and bindings calls alone, same run.

    .venv/bin/python -m bench.claims_audit [--quick]

Figures (medians of several repeats):
- audit: a whole month through ``AuditRunner`` (patient chunks read from the partitioned
  fee lines with their look-back history, rules.Evaluate and physician_codes.VerifyBindings
  over gRPC, findings and checkpoint stored per chunk), lines per second;
- baseline: the same chunks' Evaluate and VerifyBindings calls alone (cases prepared
  beforehand, nothing read or stored), the ceiling the run could reach with free storage.

Real rules and physician_codes servers run in this process on free ports with the sample
catalogue and registry; the database is DATABASE_URL's server (a scratch database) or embedded.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import platform
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path

import grpc

from bench import common
from bench.claims_ingest import RESULTS, scratch_database
from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import migrations
from fundguard.runtime.db import create_engine
from fundguard.runtime.settings import SERVICES, addr_var, load
from fundguard.runtime.supervisor import free_port
from services.claims.audit import AuditRunner
from services.claims.cases import period_cases
from services.claims.domain.cycle import month_bounds
from services.claims.ingestion import Ingestion
from services.claims.store.repository import load_patient_claims

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
INST = "H32118100064"
PERIOD = "2026-10"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@contextmanager
def server(service: str, url: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {"DATABASE_URL": url, "FUNDGUARD_DATA_DIR": str(data_dir), addr_var(service): f"127.0.0.1:{port}"}
    for other in SERVICES:
        if other != service:
            env[addr_var(other)] = f"127.0.0.1:{free_port()}"
    runner = importlib.import_module(f"services.{service}.main").build(load(service, env))
    runner.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        runner.stop(grace=1.0)


def load_knowledge(rules_addr: str, pc_addr: str) -> None:
    with grpc.insecure_channel(rules_addr) as ch:
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "catalogue").glob("*.csv"))}
        rules_pb2_grpc.RulesServiceStub(ch).LoadCatalogue(rules_pb2.LoadCatalogueRequest(
            request_id="bench", version="sample", effective_from="2024-01-01", files=files), timeout=60)
    with grpc.insecure_channel(pc_addr) as ch:
        registry = pc_grpc.PhysicianCodesServiceStub(ch)
        for row in _rows(SAMPLES / "registry" / "institutions.csv"):
            registry.UpsertInstitution(pc.UpsertInstitutionRequest(institution=pc.Institution(**row)), timeout=10)
        for row in _rows(SAMPLES / "registry" / "staff.csv"):
            id_number = row.pop("id_number")
            registry.UpsertStaff(pc.UpsertStaffRequest(staff=pc.Staff(**row), id_number=id_number), timeout=10)
        for row in _rows(SAMPLES / "registry" / "registrations.csv"):
            registry.AddRegistration(pc.AddRegistrationRequest(registration=pc.Registration(**row)), timeout=10)


def month(patients: int) -> Iterator[claims_pb2.UploadFeeDetailsRequest]:
    """Per patient one outpatient encounter of 4 lines in October and one in September
    (history); every 7th patient a woman billed a male-only test above its ceiling."""
    items = [("110200001", "8.00"), ("XJ01CAA040A001010100118", "7.00"), ("210300001", "150.00")]
    for p in range(patients):
        pid = f"PB{p:08d}"
        female = p % 2 == 0
        for enc, day in ((f"EB{p:08d}", date(2026, 10, 1 + p % 28)), (f"EH{p:08d}", date(2026, 9, 1 + p % 28))):
            lines = [*items, ("250305011", "68.00") if female and p % 7 == 0 else ("110200001", "8.00")]
            yield claims_pb2.UploadFeeDetailsRequest(
                institution_code=INST, institution_level="3",
                encounter=common_pb2.Encounter(encounter_id=enc, care_setting="1", med_type="11"),
                patient=common_pb2.Patient(patient_id=pid, gender="2" if female else "1", birth_date="1970-01-01"),
                details=[claims_pb2.FeeDetail(
                    detail_sn=f"{i + 1:04d}", encounter_id=enc, patient_id=pid, occurred_at=f"{day} 09:00:00",
                    item_code=code, quantity="1", unit_price=common_pb2.Money(amount=price),
                    amount=common_pb2.Money(amount=price), doctor_code="D32118100101")
                    for i, (code, price) in enumerate(lines)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    patients, repeats = (2_000, 2) if args.quick else (10_000, 3)
    os.environ.setdefault("FUNDGUARD_AUDIT_CHUNK_PATIENTS", "2000")
    audit_s: list[float] = []
    calls_s: list[float] = []
    with scratch_database() as url, ExitStack() as stack:
        import tempfile

        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        migrations.upgrade_all(url)
        rules_addr = stack.enter_context(server("rules", url, data_dir))
        pc_addr = stack.enter_context(server("physician_codes", url, data_dir))
        load_knowledge(rules_addr, pc_addr)
        engine = create_engine(url)
        report = Ingestion(engine).upload(month(patients))
        assert report.rejected == 0, report.errors[:3]
        rules_ch, pc_ch = grpc.insecure_channel(rules_addr), grpc.insecure_channel(pc_addr)
        runner = AuditRunner(engine, rules_pb2_grpc.RulesServiceStub(rules_ch),
                             pc_grpc.PhysicianCodesServiceStub(pc_ch))
        start, end = month_bounds(PERIOD)
        with engine.connect() as conn:
            ids = sorted({f"PB{p:08d}" for p in range(patients)})
            chunks = []
            for i in range(0, len(ids), runner.chunk):
                people, records = load_patient_claims(conn, ids[i:i + runner.chunk], start - timedelta(days=90), end)
                chunks.append(period_cases(people, records, start, end))
        lines = sum(len(c.lines) for _, judged in chunks for c in judged)
        for _ in range(repeats):
            t0 = time.perf_counter()
            for cases, judged in chunks:
                runner._judge(cases, judged, "")
            calls_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run = runner.start_run(claims_pb2.StartAuditRunRequest(period=PERIOD))
            thread: threading.Thread = runner.active[run.run_id]
            thread.join()
            audit_s.append(time.perf_counter() - t0)
            done = runner.get(run.run_id)
            assert done.state == "done" and done.lines_done == lines, done
        findings = done.findings
        runner.stop()
        rules_ch.close()
        pc_ch.close()
        engine.dispose()
    audit_rate, calls_rate = lines / statistics.median(audit_s), lines / statistics.median(calls_s)
    machine = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    out = {"audit_lines_per_second": {
        "value": round(audit_rate), "unit": "lines/s", "baseline": round(calls_rate),
        "baseline_name": "the same chunks' rules.Evaluate + physician_codes.VerifyBindings calls alone",
        "ratio": round(audit_rate / calls_rate, 3), "machine": machine, "lines": lines,
        "patients": patients, "findings_per_run": findings, "repeats": repeats}}
    common.merge_results(RESULTS, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
