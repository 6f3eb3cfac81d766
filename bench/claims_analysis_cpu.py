"""Claims' own CPU per real-time check, in this process: the bench's 50-line 3101 through
``ClaimsServicer.Analyze`` (one at a time) and ``AnalyzeBatch`` (waves of 8), with rules and
physician_codes replaced by stubs that replay their recorded answers, so that only claims'
work (parsing, history, the bindings and rules requests, findings, spans, the write) and its
statements count (the stubs' own small work too). With a PostgreSQL on this machine, the CPU
of the database's backends (claims' statements) is shown as well, read from /proc.
bench.gateway_latency --cost-only has the whole suite's.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.claims_analysis_cpu [--profile]

A fresh database is created on DATABASE_URL's server (an embedded one without it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bench.gateway_latency import encounter_50_lines
from fundguard.claims.v1 import claims_pb2
from fundguard.demo import SAMPLES
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import migrations, telemetry
from fundguard.runtime.db import create_engine, temporary_database
from gateway import national
from services.claims.servicer import ClaimsServicer
from services.claims.store.repository import ClaimsStore


def backends_cpu(engine: Engine) -> float | None:
    """CPU seconds so far of the server processes serving this database, when they run on
    this machine (their /proc entries are readable); None otherwise."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars().all()
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Context:
    """Enough of grpc.ServicerContext for Analyze."""

    def time_remaining(self) -> float:
        return 10.0


def requests(n: int, stamp: str) -> list[claims_pb2.AnalyzeRequest]:
    body = encounter_50_lines()
    out = []
    for i in range(n):
        body["msgid"] = f"M{stamp}{i:07d}"
        patient = body["input"]["data"]["patient_dtos"][0]
        enc = patient["fsi_encounter_dtos"][0]
        enc["mdtrt_id"] = patient["curr_mdtrt_id"] = f"E{stamp}{i:07d}"
        patient["patn_id"] = f"P{stamp}{i:07d}"
        out.append(national.analysis_request(body))
    return out


def record_answers(url: str, data_dir: Path, sample: claims_pb2.AnalyzeRequest
                   ) -> tuple[tuple[pc.VerifyBindingsRequest, pc.VerifyBindingsResponse], rules_pb2.EvaluateResponse]:
    """What the real physician_codes and rules answer for the first check, with the samples loaded."""
    from tests.servers import serve

    recorded: dict[str, Any] = {}

    class Recording:
        def __init__(self, stub: Any) -> None:
            self.stub = stub

        def __getattr__(self, name: str) -> Any:
            def call(request: Any, **kw: Any) -> Any:
                reply = getattr(self.stub, name)(request, **kw)
                recorded[name] = (request, reply)
                return reply
            return call

    with serve("rules", url, data_dir) as (rules_ch, _), serve("physician_codes", url, data_dir) as (pc_ch, _):
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "catalogue").glob("*.csv"))}
        rules_pb2_grpc.RulesServiceStub(rules_ch).LoadCatalogue(rules_pb2.LoadCatalogueRequest(
            request_id="bench", version="sample-2026.11", effective_from="2024-01-01", files=files), timeout=30)
        registry = pc_grpc.PhysicianCodesServiceStub(pc_ch)

        def rows(name: str) -> list[dict[str, str]]:
            with (SAMPLES / "registry" / name).open(encoding="utf-8") as f:
                return list(csv.DictReader(f))
        for row in rows("institutions.csv"):
            registry.UpsertInstitution(pc.UpsertInstitutionRequest(institution=pc.Institution(**row)), timeout=10)
        for row in rows("staff.csv"):
            id_number = row.pop("id_number")
            registry.UpsertStaff(pc.UpsertStaffRequest(staff=pc.Staff(**row), id_number=id_number), timeout=10)
        for row in rows("registrations.csv"):
            registry.AddRegistration(pc.AddRegistrationRequest(registration=pc.Registration(**row)), timeout=10)
        servicer = ClaimsServicer(ClaimsStore(create_engine(url)), Recording(rules_pb2_grpc.RulesServiceStub(rules_ch)),
                                  Recording(registry))  # type: ignore[arg-type]
        servicer.Analyze(sample, Context())  # type: ignore[arg-type]
        servicer.audit.stop()
    return recorded["VerifyBindings"], recorded["Evaluate"][1]


class Replay:
    """physician_codes and rules answering every check as they answered the recorded one."""

    def __init__(self, bindings: tuple[pc.VerifyBindingsRequest, pc.VerifyBindingsResponse],
                 evaluated: rules_pb2.EvaluateResponse) -> None:
        asked, answered = bindings
        # A verdict is a function of the doctor, the institution and the day.
        self.verdicts = {(q.staff_code, q.institution_code, q.service_date): (b.status, b.detail)
                         for q, b in zip(asked.lines, answered.results, strict=True)}
        self.findings = list(evaluated.findings)

    def VerifyBindings(self, request: pc.VerifyBindingsRequest, **kw: Any) -> pc.VerifyBindingsResponse:
        out = pc.VerifyBindingsResponse()
        for q in request.lines:
            status, detail = self.verdicts.get((q.staff_code, q.institution_code, q.service_date),
                                               (pc.BINDING_STATUS_VALID, ""))
            out.results.add(line_id=q.line_id, status=status, detail=detail)
        return out

    def Evaluate(self, request: rules_pb2.EvaluateRequest, **kw: Any) -> rules_pb2.EvaluateResponse:
        out = rules_pb2.EvaluateResponse()
        for case in request.cases:
            for e in case.encounters:
                for f in self.findings:
                    g = out.findings.add()
                    g.CopyFrom(f)
                    g.claim_id, g.encounter_id, g.patient_id = e.claim_id, e.encounter_id, case.patient.patient_id
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=400)
    parser.add_argument("--profile", action="store_true", help="cProfile the waves of 8, top functions")
    args = parser.parse_args(argv)
    stamp = time.strftime("%H%M%S")
    with tempfile.TemporaryDirectory() as tmp, temporary_database(os.environ.get("DATABASE_URL"), "fg_bench") as url:
        migrations.upgrade_all(url)
        telemetry.setup("claims", Path(tmp))
        reqs = requests(2 * args.checks + 40, stamp)
        bindings, evaluated = record_answers(url, Path(tmp), reqs[0])
        print(f"recorded: {len(bindings[1].results)} binding results, {len(evaluated.findings)} rule findings")
        replay = Replay(bindings, evaluated)
        engine = create_engine(url)
        servicer = ClaimsServicer(ClaimsStore(engine), replay, replay)  # type: ignore[arg-type]
        ctx: Any = Context()
        todo = iter(reqs[1:])
        for _ in range(16):
            servicer.Analyze(next(todo), ctx)
        t, db = time.process_time(), backends_cpu(engine)
        for _ in range(args.checks // 2):
            servicer.Analyze(next(todo), ctx)
        alone = (time.process_time() - t) / (args.checks // 2) * 1000
        db_after = backends_cpu(engine)
        db_alone = None if db is None or db_after is None else (db_after - db) / (args.checks // 2) * 1000
        waves = args.checks // 8

        def batch() -> claims_pb2.AnalyzeBatchRequest:
            # Each item in its HTTP request's trace, as the gateway sends it.
            return claims_pb2.AnalyzeBatchRequest(items=[
                claims_pb2.AnalyzeBatchItem(request=next(todo), traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01")
                for _ in range(8)])
        servicer.AnalyzeBatch(batch(), ctx)
        batches = [batch() for _ in range(waves)]
        prof = None
        if args.profile:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        t, db = time.process_time(), backends_cpu(engine)
        for b in batches:
            reply = servicer.AnalyzeBatch(b, ctx)
            assert all(o.HasField("response") for o in reply.outcomes), reply
        gathered = (time.process_time() - t) / (waves * 8) * 1000
        db_after = backends_cpu(engine)
        db_gathered = None if db is None or db_after is None else (db_after - db) / (waves * 8) * 1000
        if prof is not None:
            prof.disable()
            import pstats
            pstats.Stats(prof).sort_stats("tottime").print_stats(40)
        servicer.audit.stop()
        telemetry.shutdown()
        print(json.dumps({"claims ms per check alone": round(alone, 3),
                          "claims ms per check in waves of 8": round(gathered, 3),
                          "postgres ms per check alone": db_alone and round(db_alone, 3),
                          "postgres ms per check in waves of 8": db_gathered and round(db_gathered, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
