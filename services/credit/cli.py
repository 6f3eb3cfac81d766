"""``fundguard credit ...``: check a policy file; run the annual assessment and retry sanction
calls through the running credit service (``FUNDGUARD_CREDIT_ADDR``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from typing import Any

import grpc

from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.runtime.settings import DEFAULT_PORTS, addr_var, check_addr
from services.credit.domain.policy import POLICY_ENV, PolicyError, load


def _addr(args: argparse.Namespace) -> str:
    var = addr_var("credit")
    return check_addr(var, args.addr or os.environ.get(var, f"127.0.0.1:{DEFAULT_PORTS['credit']}"))


def cmd_policy(args: argparse.Namespace) -> int:
    try:
        p = load(args.file)
    except PolicyError as exc:
        print(f"fundguard credit policy: {exc}", file=sys.stderr)
        return 2
    print(f"policy OK ({args.file or os.environ.get(POLICY_ENV) or 'defaults'})")
    print(f"  staff: suspend at {p.suspend_at}, terminate at {p.terminate_at} points a year")
    print("  institution actions: " + ", ".join(f"{a.action} at {a.points}" for a in p.inst_actions))
    print("  grades: " + ", ".join(f"{g.grade}>={g.min_score} ({g.prepayment_ratio})" for g in p.grade_bands))
    print(f"  criminal thresholds: large {p.large}, huge {p.huge}, especially huge {p.especially_huge}")
    print("  agencies: " + ", ".join(f"{a}{' (full identity)' if u else ''}" for a, u in sorted(p.agencies.items())))
    return 0


def cmd_assess(args: argparse.Namespace) -> int:
    with grpc.insecure_channel(_addr(args)) as channel:
        try:
            resp = credit_pb2_grpc.CreditServiceStub(channel).RunAnnualAssessment(pb.RunAnnualAssessmentRequest(
                request_id=f"cli-assess-{uuid.uuid4().hex}", year=args.year, decided_by=getpass.getuser()))
        except grpc.RpcError as exc:
            print(f"fundguard credit assess: {exc.code().name}: {exc.details()}", file=sys.stderr)  # type: ignore[attr-defined]
            return 2
    for a in resp.assessments:
        ended = "  agreement ended" if a.agreement_ended else ""
        print(f"{a.institution_code}  {a.points:4d} points  score {a.score:3d}  grade {a.grade}  "
              f"prepayment {a.prepayment_ratio}{ended}")
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    with grpc.insecure_channel(_addr(args)) as channel:
        resp = credit_pb2_grpc.CreditServiceStub(channel).DispatchSanctions(pb.DispatchSanctionsRequest())
    print(f"sent {resp.sent}, still pending {resp.pending}")
    return 0 if resp.pending == 0 else 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("credit", help="credit policy, annual assessment, sanction calls")
    sub = parser.add_subparsers(dest="credit_command", required=True)
    p = sub.add_parser("policy", help=f"check a policy file (default: ${POLICY_ENV} or the defaults)")
    p.add_argument("file", nargs="?", default=None)
    p.set_defaults(fn=cmd_policy)
    a = sub.add_parser("assess", help="run the annual assessment for a year")
    a.add_argument("--year", type=int, required=True)
    a.add_argument("--addr", default=None)
    a.set_defaults(fn=cmd_assess)
    d = sub.add_parser("dispatch", help="send pending sanction calls to physician_codes now")
    d.add_argument("--addr", default=None)
    d.set_defaults(fn=cmd_dispatch)
