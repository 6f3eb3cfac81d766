"""The post-event audit run: every fee line of a month judged, in patient-grouped chunks.

How it stays correct across crashes and replicas:
- patients are taken in patient-id order, a chunk at a time (keyset: ids after the checkpoint);
- each chunk's findings and the new checkpoint are written in one transaction, and finding
  ids are derived from the run id and the finding's content, so redoing a chunk after a crash
  stores nothing twice and misses nothing;
- the worker holds a session advisory lock on the run while it works; when its process dies,
  PostgreSQL drops the lock and any claims process (the restarted one, or another replica)
  picks the run up from its checkpoint;
- ``partition``/``partitions`` split a month by hash of the patient id, one run per share.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc_pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import telemetry
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from services.claims.cases import lookback_days, period_cases
from services.claims.domain.binding import findings_from_bindings
from services.claims.domain.cycle import month_bounds
from services.claims.domain.model import ClaimRecord, FindingRecord
from services.claims.metrics import audit_lines, count_findings
from services.claims.steps import claim_step, traceparents
from services.claims.store.repository import load_patient_claims
from services.claims.store.tables import audit_runs, findings
from services.claims.translate import finding_from_rules, not_valid_bindings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("fundguard.claims")
DEFAULT_CHUNK_PATIENTS = 2_000
MAX_ATTEMPTS = 5


def chunk_patients() -> int:
    raw = os.environ.get("FUNDGUARD_AUDIT_CHUNK_PATIENTS", str(DEFAULT_CHUNK_PATIENTS))
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"FUNDGUARD_AUDIT_CHUNK_PATIENTS must be a positive whole number, got {raw!r}")
    return int(raw)


class LostRun(Exception):
    """The run's checkpoint moved under this worker: someone else is working on it."""


def chunk_pause() -> float:
    """Seconds to rest between chunks (FUNDGUARD_AUDIT_CHUNK_PAUSE, default 0): a throttle that
    leaves the database to daytime ingestion when a run must share it."""
    raw = os.environ.get("FUNDGUARD_AUDIT_CHUNK_PAUSE", "0")
    try:
        return max(float(raw), 0.0)
    except ValueError as exc:
        raise ValueError(f"FUNDGUARD_AUDIT_CHUNK_PAUSE must be a number of seconds, got {raw!r}") from exc


def share_condition(partitions: int) -> str:
    """SQL selecting one replica's share of patients: hash of the patient id modulo partitions."""
    return "" if partitions <= 1 else " AND mod(abs(hashtext(patient_id)::bigint), :partitions) = :partition"


def run_to_proto(r: dict[str, Any]) -> claims_pb2.AuditRun:
    busy = r["busy_seconds"] or 0.0
    return claims_pb2.AuditRun(
        run_id=r["run_id"], period=r["period"], rule_pack_version=r["rule_pack_version"], state=r["state"],
        lines_total=max(r["lines_total"], 0), lines_done=r["lines_done"], findings=r["findings"],
        lines_per_second=(r["lines_done"] / busy) if busy > 0 else 0.0,
        started_at=r["started_at"].isoformat(), finished_at=r["finished_at"].isoformat() if r["finished_at"] else "",
        partition=r["partition"], partitions=r["partitions"], error=r["error"], chunks_done=r["chunks_done"])


class AuditRunner:
    def __init__(self, engine: Engine, rules: rules_pb2_grpc.RulesServiceStub,
                 registry: pc_grpc.PhysicianCodesServiceStub, timeout: float = 120.0,
                 on_findings: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.rules = rules
        self.registry = registry
        self.timeout = timeout
        self.chunk = chunk_patients()
        self.lookback = lookback_days()
        self.pause = chunk_pause()
        self.stopping = threading.Event()
        self.fanout = ThreadPoolExecutor(max_workers=2, thread_name_prefix="claims-audit-fanout")
        self.active: dict[str, threading.Thread] = {}
        self.lock = threading.Lock()
        self.scanner = threading.Thread(target=self._scan_loop, name="claims-audit-scan", daemon=True)

    # ---- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Resume runs a crashed process left running, and keep looking for orphans."""
        self.scanner.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in list(self.active.values()):
            t.join(timeout=10)
        self.fanout.shutdown(wait=False)

    def _scan_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.resume_orphans()
            except sa.exc.SQLAlchemyError:
                log.exception("could not look for audit runs to resume")
            self.stopping.wait(5.0)

    def resume_orphans(self) -> None:
        with self.engine.connect() as conn:
            running = conn.execute(sa.select(audit_runs.c.run_id).where(audit_runs.c.state == "running")
                                   ).scalars().all()
        for run_id in running:
            self._spawn(run_id)

    def _spawn(self, run_id: str) -> None:
        with self.lock:
            t = self.active.get(run_id)
            if t is not None and t.is_alive():
                return
            t = threading.Thread(target=self._work, args=(run_id,), name=f"claims-audit-{run_id[:8]}", daemon=True)
            self.active[run_id] = t
            t.start()

    # ---- the API -------------------------------------------------------------------------
    def start_run(self, req: claims_pb2.StartAuditRunRequest) -> claims_pb2.AuditRun:
        problems: list[FieldViolation] = []
        try:
            month_bounds(req.period)
        except InvalidArgument as exc:
            problems += exc.violations
        partitions = req.partitions or 1
        if partitions < 1:
            problems.append(FieldViolation("partitions", "must be at least 1"))
        if not 0 <= req.partition < partitions:
            problems.append(FieldViolation("partition", f"must be from 0 to {partitions - 1}"))
        if problems:
            raise InvalidArgument(problems)
        with self.engine.begin() as conn:
            if req.request_id:
                row = conn.execute(sa.select(audit_runs).where(audit_runs.c.request_id == req.request_id)
                                   ).mappings().first()
                if row is not None:
                    return run_to_proto(dict(row))
            run_id = uuid.uuid4().hex
            # lines_total is counted by the worker: at a province's scale the count alone takes
            # longer than a caller should wait for StartAuditRun.
            conn.execute(insert(audit_runs).values(
                run_id=run_id, request_id=req.request_id or None, period=req.period,
                rule_pack_version=req.rule_pack_version, partition=req.partition, partitions=partitions,
                state="running", lines_total=-1))
            row = conn.execute(sa.select(audit_runs).where(audit_runs.c.run_id == run_id)).mappings().one()
        self._spawn(run_id)
        return run_to_proto(dict(row))

    def get(self, run_id: str) -> claims_pb2.AuditRun:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(audit_runs).where(audit_runs.c.run_id == run_id)).mappings().first()
        if row is None:
            raise NotFound(f"audit run {run_id} not found")
        return run_to_proto(dict(row))

    def compare(self, base: str, other: str) -> claims_pb2.CompareAuditRunsResponse:
        for name, rid in (("base_run_id", base), ("other_run_id", other)):
            if not rid:
                raise InvalidArgument([FieldViolation(name, "required")])
            self.get(rid)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("""
                SELECT rule_id, institution_code,
                       count(*) FILTER (WHERE run_id = :b) AS base_n, count(*) FILTER (WHERE run_id = :o) AS other_n,
                       coalesce(sum(amount) FILTER (WHERE run_id = :b), 0) AS base_amt,
                       coalesce(sum(amount) FILTER (WHERE run_id = :o), 0) AS other_amt
                FROM claims.findings WHERE run_id IN (:b, :o)
                GROUP BY rule_id, institution_code ORDER BY rule_id, institution_code
            """), {"b": base, "o": other}).all()
        return claims_pb2.CompareAuditRunsResponse(deltas=[claims_pb2.RuleDelta(
            rule_id=r.rule_id, institution_code=r.institution_code, base_findings=r.base_n,
            other_findings=r.other_n, base_amount=common_pb2.Money(amount=str(r.base_amt)),
            other_amount=common_pb2.Money(amount=str(r.other_amt))) for r in rows])

    # ---- the work ------------------------------------------------------------------------
    def _work(self, run_id: str) -> None:
        lock_conn = self.engine.connect()
        key = {"k": f"claims.audit_run:{run_id}"}
        try:
            if not lock_conn.execute(sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), key).scalar_one():
                return  # another process is working on it
            lock_conn.commit()
            attempts = 0
            while not self.stopping.is_set():
                try:
                    if not self._next_chunk(run_id):
                        return
                    attempts = 0
                    if self.pause:
                        self.stopping.wait(self.pause)
                except (grpc.RpcError, sa.exc.OperationalError) as exc:
                    attempts += 1
                    reason = f"{type(exc).__name__}: {exc}"[:500]
                    with self.engine.begin() as conn:
                        conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id).values(
                            error=reason, **({"state": "failed", "finished_at": datetime.now(UTC)}
                                             if attempts >= MAX_ATTEMPTS else {})))
                    if attempts >= MAX_ATTEMPTS:
                        log.error("audit run failed", extra={"fields": {"run_id": run_id, "error": reason}})
                        return
                    self.stopping.wait(min(2.0 ** attempts, 30.0))
        except LostRun:
            # Another worker moved the checkpoint (this one lost its lock's connection, or the
            # run was cancelled): its chunk is rolled back and the other carries on.
            log.warning("audit run taken over by another worker", extra={"fields": {"run_id": run_id}})
        except InvalidArgument as exc:
            with self.engine.begin() as conn:
                conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id).values(
                    state="failed", error=str(exc), finished_at=datetime.now(UTC)))
        except Exception:
            log.exception("audit run stopped by an unexpected error", extra={"fields": {"run_id": run_id}})
            with self.engine.begin() as conn:
                conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id).values(
                    state="failed", error="unexpected error; see the claims log", finished_at=datetime.now(UTC)))
        finally:
            try:
                lock_conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), key)
                lock_conn.commit()
            finally:
                lock_conn.close()

    def _next_chunk(self, run_id: str) -> bool:
        """Judge and store the next chunk of patients; False when the run has finished."""
        t0 = time.monotonic()
        with self.engine.connect() as conn:
            run = conn.execute(sa.select(audit_runs).where(audit_runs.c.run_id == run_id)).mappings().one()
            if run["state"] != "running":
                return False
            start, end = month_bounds(run["period"])
            if run["lines_total"] < 0:
                self._count_lines(run_id, run["partitions"], run["partition"], start, end)
            params = {"s": start, "e": end, "after": run["last_patient_id"], "n": self.chunk,
                      "partitions": run["partitions"], "partition": run["partition"]}
            patient_ids = conn.execute(sa.text(
                "SELECT DISTINCT patient_id FROM claims.fee_lines WHERE service_date >= :s AND service_date < :e "
                "AND patient_id > :after" + share_condition(run["partitions"]) + " ORDER BY patient_id LIMIT :n"),
                params).scalars().all()
            if not patient_ids:
                with self.engine.begin() as w:
                    w.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id, audit_runs.c.state == "running")
                              .values(state="done", finished_at=datetime.now(UTC), error=""))
                return False
            people, records = load_patient_claims(conn, patient_ids, start - timedelta(days=self.lookback), end)
        cases, judged = period_cases(people, records, start, end)
        # One span per chunk, never per line. The chunk names its patient range, so any claim of
        # the period maps to its chunk; a claim with findings also gets a child span of its own,
        # linked to the trace the claim arrived with.
        with tracer.start_as_current_span("claims.audit_chunk", attributes={
                telemetry.AUDIT_RUN_ID: run_id, "fundguard.patients": len(patient_ids),
                telemetry.CLAIM_COUNT: len(judged), "fundguard.first_patient_id": patient_ids[0],
                "fundguard.last_patient_id": patient_ids[-1]}) as span:
            found, version = self._judge(cases, judged, run["rule_pack_version"])
            span.set_attribute(telemetry.FINDINGS, len(found))
            by_claim: dict[str, int] = {}
            for f in found:
                by_claim[f.claim_id] = by_claim.get(f.claim_id, 0) + 1
            if by_claim:
                with self.engine.connect() as conn:
                    parents = traceparents(conn, list(by_claim))
                institution = {c.claim_id: c.institution_code for c in judged}
                for claim_id, n in sorted(by_claim.items()):
                    with claim_step("claims.audit_claim", {"claim_id": claim_id,
                                                           "institution_code": institution.get(claim_id, "")},
                                    parents.get(claim_id, ""), {telemetry.AUDIT_RUN_ID: run_id, telemetry.FINDINGS: n}):
                        pass
        found = [f.with_id(run_id) for f in found]
        lines = sum(len(c.lines) for c in judged)
        with self.engine.begin() as conn:
            # Only the worker holding the run's lock writes, and only from the checkpoint it read.
            moved = conn.execute(sa.update(audit_runs).where(
                audit_runs.c.run_id == run_id, audit_runs.c.last_patient_id == run["last_patient_id"],
                audit_runs.c.state == "running").values(
                last_patient_id=patient_ids[-1], lines_done=audit_runs.c.lines_done + lines,
                chunks_done=audit_runs.c.chunks_done + 1, error="",
                busy_seconds=audit_runs.c.busy_seconds + (time.monotonic() - t0),
                rule_pack_version=run["rule_pack_version"] or version)).rowcount
            if not moved:
                raise LostRun(run_id)
            inserted = save_run_findings(conn, found, run_id)
            conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id)
                         .values(findings=audit_runs.c.findings + inserted))
        audit_lines.add(lines)
        count_findings(found, "post")
        return True

    def _count_lines(self, run_id: str, partitions: int, partition: int, start: date, end: date) -> None:
        with self.engine.begin() as conn:
            total = conn.execute(sa.text(
                "SELECT count(*) FROM claims.fee_lines WHERE service_date >= :s AND service_date < :e"
                + share_condition(partitions)),
                {"s": start, "e": end, "partitions": partitions, "partition": partition}).scalar_one()
            conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id).values(lines_total=total))

    def _judge(self, cases: list[common_pb2.PatientCase], judged: list[ClaimRecord], wanted_version: str
               ) -> tuple[list[FindingRecord], str]:
        queries = [pc_pb.BindingQuery(line_id=f"{c.claim_id}\x1f{ln.line_id}", staff_code=ln.doctor_code,
                                      institution_code=c.institution_code, service_date=ln.service_date.isoformat())
                   for c in judged for ln in c.lines]
        bindings_f = self.fanout.submit(lambda: self.registry.VerifyBindings(
            pc_pb.VerifyBindingsRequest(lines=queries), timeout=self.timeout))
        evaluated = self.rules.Evaluate(rules_pb2.EvaluateRequest(cases=cases, moment=common_pb2.MOMENT_POST),
                                        timeout=self.timeout)
        bindings = bindings_f.result()
        if wanted_version and evaluated.rule_pack_version != wanted_version:
            raise InvalidArgument([FieldViolation(
                "rule_pack_version", f"rules serves {evaluated.rule_pack_version!r}, the run asked for {wanted_version!r}")])
        doctor_by_line = {(c.claim_id, ln.line_id): ln.doctor_code for c in judged for ln in c.lines}
        not_valid = {tuple(k.split("\x1f", 1)): v for k, v in not_valid_bindings(bindings.results).items()}
        found = findings_from_bindings(judged, not_valid)  # type: ignore[arg-type]
        found += [finding_from_rules(f, doctor_by_line) for f in evaluated.findings]
        return found, evaluated.rule_pack_version


def save_run_findings(conn: Connection, found: list[FindingRecord], run_id: str) -> int:
    if not found:
        return 0
    rows = [{**f.__dict__, "line_ids": list(f.line_ids), "evidence": json.loads(f.evidence or "{}"),
             "moment": "post", "run_id": run_id} for f in found]
    # executemany with RETURNING: one cached statement sent in pages (insertmanyvalues), and the
    # ids that were new counted exactly (a redone chunk returns none).
    result = conn.execute(insert(findings).on_conflict_do_nothing(index_elements=[findings.c.finding_id])
                          .returning(findings.c.finding_id), rows)
    return len(result.all())


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
