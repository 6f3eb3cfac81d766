"""CPU of the real-time servicer methods, in process: rules ``Evaluate`` and physician_codes
``VerifyBindings`` for the gateway bench's 3101 check (a 50-line encounter, sample catalogue and
registry), one check alone and eight gathered in one call, as claims sends them.

    .venv/bin/python -m bench.realtime_cpu [--rounds N]

The fast loop behind the rules and physician_codes columns of ``bench.gateway_latency
--cost-only``, which add each call's gRPC and telemetry. Requests are real protobuf messages,
deserialised afresh for every call as a server does. Each figure is the best of several rounds
of ``time.process_time`` (the machine is shared: the best round is the least disturbed one).
Prints; writes no results file.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.gateway_latency import encounter_50_lines
from fundguard.common.v1 import common_pb2
from fundguard.demo import SAMPLES
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.rules.v1 import rules_pb2
from gateway import national
from services.physician_codes.domain.binding import Period, RegistrationFact, staff_facts
from services.physician_codes.domain.snapshot import RegistrySnapshot
from services.physician_codes.servicer import PhysicianCodesServicer
from services.rules.domain import catalogue as cat
from services.rules.main import load_default_pack
from services.rules.servicer import ActiveKnowledge, RulesServicer

GATHERED = 8  # checks in one call (bench.gateway_latency's waves)


def checks(n: int) -> list[common_pb2.PatientCase]:
    """``n`` distinct patients' 3101 checks as claims passes them on."""
    out: list[common_pb2.PatientCase] = []
    for k in range(n):
        body = encounter_50_lines()
        body["msgid"] = f"BENCH{k:018d}"
        patient = body["input"]["data"]["patient_dtos"][0]
        encounter = patient["fsi_encounter_dtos"][0]
        encounter["mdtrt_id"] = patient["curr_mdtrt_id"] = f"BENCH{k:07d}"
        patient["patn_id"] = f"BP{k:05d}"
        for case in national.analysis_request(json.loads(json.dumps(body))).cases:
            for e in case.encounters:
                e.claim_id = f"{e.institution_code}-{e.encounter_id}"
            out.append(case)
    return out


def rules_servicer() -> RulesServicer:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "catalogue").glob("*.csv"))}
    servicer = RulesServicer(None, load_default_pack())  # type: ignore[arg-type]  # no store: knowledge given
    servicer.active = ActiveKnowledge((cat.parse("sample", "2024-01-01", files),), servicer.active.pack)
    servicer._loaded = True
    return servicer


class _Snapshots:
    def __init__(self, snapshot: RegistrySnapshot) -> None:
        self.snapshot = snapshot

    def current(self) -> RegistrySnapshot:
        return self.snapshot


def registry_servicer() -> PhysicianCodesServicer:
    registrations: dict[str, list[RegistrationFact]] = {}
    with (SAMPLES / "registry" / "registrations.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            registrations.setdefault(row["staff_code"], []).append(RegistrationFact(row["institution_code"], Period(
                date.fromisoformat(row["valid_from"]),
                date.fromisoformat(row["valid_to"]) if row["valid_to"] else None)))
    facts = {code: staff_facts(code, regs, [], []) for code, regs in registrations.items()}
    servicer = PhysicianCodesServicer.__new__(PhysicianCodesServicer)  # no store: the snapshot is given
    servicer.snapshots = _Snapshots(RegistrySnapshot(1, facts))  # type: ignore[assignment]
    return servicer


def evaluate_request(cases: list[common_pb2.PatientCase]) -> bytes:
    return rules_pb2.EvaluateRequest(cases=cases, moment=common_pb2.MOMENT_PRE).SerializeToString()


def bindings_request(cases: list[common_pb2.PatientCase]) -> bytes:
    request = pc.VerifyBindingsRequest()
    for case in cases:
        for e in case.encounters:
            for line in e.lines:
                request.lines.add(line_id=f"{e.claim_id}\x1f{line.line_id}", staff_code=line.doctor_code,
                                  institution_code=e.institution_code, service_date=line.service_date[:10])
    return request.SerializeToString()


def cpu_ms(call: Callable[[Any], Any], parse: Callable[[bytes], Any], data: bytes, calls: int, rounds: int) -> float:
    """Best round's CPU ms per call, the request deserialised afresh for each call (not timed)."""
    call(parse(data))
    best = float("inf")
    for _ in range(rounds):
        requests = [parse(data) for _ in range(calls)]
        started = time.process_time()
        for request in requests:
            call(request)
        best = min(best, (time.process_time() - started) / calls * 1000)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=40, help="calls per round")
    args = parser.parse_args(argv)
    rules, registry = rules_servicer(), registry_servicer()
    for n in (1, GATHERED):
        cases = checks(n)
        evaluate = cpu_ms(lambda r: rules.Evaluate(r, None), rules_pb2.EvaluateRequest.FromString,  # type: ignore[arg-type]
                          evaluate_request(cases), args.calls, args.rounds)
        verify = cpu_ms(lambda r: registry.VerifyBindings(r, None), pc.VerifyBindingsRequest.FromString,  # type: ignore[arg-type]
                        bindings_request(cases), args.calls, args.rounds)
        label = "3101" if n == 1 else f"3101 gathered {n} to a call"
        print(label, json.dumps({"rules.Evaluate ms/check": round(evaluate / n, 3),
                                 "physician_codes.VerifyBindings ms/check": round(verify / n, 3)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
