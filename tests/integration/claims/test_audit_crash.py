"""An audit run survives its process being killed: claims runs as a real process
(`fundguard serve claims`), is SIGKILLed mid-run, restarted, resumes the run from its
checkpoint, and ends with exactly the findings an uninterrupted run finds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import sqlalchemy as sa

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from fundguard.runtime.supervisor import free_port

PERIOD = "2027-05"
INST = "H32118100064"
FUNDGUARD = str(Path(sys.executable).parent / "fundguard")


@contextmanager
def claims_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen([FUNDGUARD, "serve", "claims"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def connect(addr: str) -> tuple[grpc.Channel, claims_pb2_grpc.ClaimsServiceStub]:
    channel = grpc.insecure_channel(addr)
    grpc.channel_ready_future(channel).result(timeout=30)
    return channel, claims_pb2_grpc.ClaimsServiceStub(channel)


def month_of_claims(stub: claims_pb2_grpc.ClaimsServiceStub) -> None:
    """30 patients; every third a woman billed a male-only PSA test above its ceiling, every
    fifth seen by a doctor the registry does not know, the rest clean."""
    messages = []
    for i in range(30):
        enc, pid = f"CR{i:03d}", f"PCR{i:03d}"
        female = i % 3 == 0
        details = [claims_pb2.FeeDetail(
            detail_sn="0001", encounter_id=enc, patient_id=pid, occurred_at=f"2027-05-{1 + i % 28:02d} 10:00:00",
            item_code="250305011" if female else "110200001", item_type="201", quantity="1",
            unit_price=common_pb2.Money(amount="68.00" if female else "8.00"),
            amount=common_pb2.Money(amount="68.00" if female else "8.00"),
            doctor_code="D32118109999" if i % 5 == 0 else "D32118100101")]
        details.append(claims_pb2.FeeDetail(
            detail_sn="0002", encounter_id=enc, patient_id=pid, occurred_at=f"2027-05-{1 + i % 28:02d} 10:05:00",
            item_code="XJ01CAA040A001010100118", item_type="101", quantity="2",
            unit_price=common_pb2.Money(amount="3.50"), amount=common_pb2.Money(amount="7.00"),
            doctor_code="D32118100101"))
        messages.append(claims_pb2.UploadFeeDetailsRequest(
            request_id="crash-month" if i == 0 else "", institution_code=INST, institution_level="3",
            encounter=common_pb2.Encounter(encounter_id=enc, institution_code=INST, institution_level="3",
                                           care_setting="1", med_type="11"),
            patient=common_pb2.Patient(patient_id=pid, gender="2" if female else "1", birth_date="1975-06-01"),
            details=details))
    report = stub.StreamFeeDetails(iter(messages), timeout=30)
    assert (report.accepted, report.rejected) == (60, 0), report


def wait_for(stub: claims_pb2_grpc.ClaimsServiceStub, run_id: str, until: str, timeout: float = 90
             ) -> claims_pb2.AuditRun:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = stub.GetAuditRun(claims_pb2.GetAuditRunRequest(run_id=run_id), timeout=5)
        if (until == "progress" and run.chunks_done >= 4) or (until == "end" and run.state != "running"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach {until}")


def content(engine: sa.Engine, run_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT claim_id, rule_id, line_ids, amount, doctor_code FROM claims.findings WHERE run_id = :r"),
            {"r": run_id}))


def test_a_killed_audit_run_resumes_and_finds_exactly_what_an_uninterrupted_run_finds(
        backends: dict[str, str], migrated_url: str, engine: sa.Engine, tmp_path: Path) -> None:
    addr = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "DATABASE_URL": migrated_url, "FUNDGUARD_DATA_DIR": str(tmp_path / "data"),
           "FUNDGUARD_CLAIMS_ADDR": addr, "FUNDGUARD_RULES_ADDR": backends["rules"],
           "FUNDGUARD_PHYSICIAN_CODES_ADDR": backends["physician_codes"], "FUNDGUARD_CREDIT_ADDR": backends["credit"],
           "FUNDGUARD_AUDIT_CHUNK_PATIENTS": "2", "FUNDGUARD_AUDIT_CHUNK_PAUSE": "0.15"}
    log = tmp_path / "claims.log"

    with claims_process(env, log) as first:
        channel, stub = connect(addr)
        month_of_claims(stub)
        run = stub.StartAuditRun(claims_pb2.StartAuditRunRequest(request_id="crash-run", period=PERIOD), timeout=10)
        seen = wait_for(stub, run.run_id, "progress")
        assert seen.lines_total == 60
        first.send_signal(signal.SIGKILL)  # no goodbye: mid-chunk, mid-transaction, lock held
        first.wait(timeout=10)
        channel.close()
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT state, lines_done, chunks_done FROM claims.audit_runs WHERE run_id = :r"),
                            {"r": run.run_id}).one()
    assert left.state == "running" and seen.chunks_done <= left.chunks_done < 15 and left.lines_done < 60

    with claims_process(env, log):  # the restarted process picks the run up by itself
        channel, stub = connect(addr)
        resumed = wait_for(stub, run.run_id, "end")
        assert (resumed.state, resumed.lines_done, resumed.chunks_done) == ("done", 60, 15), resumed
        clean = stub.StartAuditRun(claims_pb2.StartAuditRunRequest(request_id="clean-run", period=PERIOD), timeout=10)
        clean = wait_for(stub, clean.run_id, "end")
        assert clean.state == "done"
        compared = stub.CompareAuditRuns(claims_pb2.CompareAuditRunsRequest(
            base_run_id=clean.run_id, other_run_id=run.run_id), timeout=10)
        watched = subprocess.run([FUNDGUARD, "audit", "watch", run.run_id], env=env, capture_output=True,
                                 text=True, timeout=60)
        cli = [subprocess.run([FUNDGUARD, *args], env=env, capture_output=True, text=True, timeout=60) for args in (
            ["cycle", "confirm-due", "--as-of", "2000-01-01"],
            ["cycle", "statement", "--institution", INST, "--period", "1999-01"])]
        channel.close()

    resumed_findings, clean_findings = content(engine, run.run_id), content(engine, clean.run_id)
    assert resumed_findings == clean_findings            # nothing missed, nothing twice
    assert resumed.findings == clean.findings == len(resumed_findings)
    rules_seen = {f[1] for f in clean_findings}
    assert {"R-SERVICE-SEX", "R-PRICE-CEILING", "R-DOCTOR-BINDING"} <= rules_seen
    assert all(d.base_findings == d.other_findings and d.base_amount == d.other_amount for d in compared.deltas)
    assert watched.returncode == 0 and "100.0%" in watched.stdout and "60/60 lines" in watched.stdout
    assert [c.returncode for c in cli] == [0, 0], [c.stderr for c in cli]
    assert "confirmed 0 findings" in cli[0].stdout and "total 0.00" in cli[1].stdout
