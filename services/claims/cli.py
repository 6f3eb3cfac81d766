"""``fundguard audit ...`` and ``fundguard cycle ...``: the claims service's operator commands.

    fundguard audit start --period 2026-10 [--rule-pack-version V] [--partition I --partitions N] [--watch]
    fundguard audit watch RUN_ID
    fundguard audit compare BASE_RUN_ID OTHER_RUN_ID
    fundguard cycle publish --period 2026-10 --actor NAME [--institution CODE] [--run-id RUN_ID]
    fundguard cycle confirm-due [--as-of YYYY-MM-DD]
    fundguard cycle statement --institution CODE --period 2026-10

They talk to the claims service at FUNDGUARD_CLAIMS_ADDR over gRPC.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from typing import Any, TextIO

import grpc

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.runtime import settings as settings_mod
from fundguard.runtime.tls import dial

BAR = 30


def _stub() -> tuple[grpc.Channel, claims_pb2_grpc.ClaimsServiceStub]:
    channel = dial(settings_mod.load("claims", need_database=False).addr("claims"))
    return channel, claims_pb2_grpc.ClaimsServiceStub(channel)


def progress_line(run: claims_pb2.AuditRun) -> str:
    """One line of progress: a bar, lines done of total, rate and findings so far."""
    total = max(run.lines_total, 1)
    share = min(run.lines_done / total, 1.0) if run.lines_total else (1.0 if run.state == "done" else 0.0)
    filled = int(round(share * BAR))
    return (f"[{'#' * filled}{'.' * (BAR - filled)}] {share * 100:5.1f}%  {run.lines_done:,}/{run.lines_total:,} lines"
            f"  {run.lines_per_second:,.0f} lines/s  {run.findings:,} findings  {run.state}")


def watch(stub: claims_pb2_grpc.ClaimsServiceStub, run_id: str, out: TextIO = sys.stdout,
          interval: float = 0.5) -> int:
    tty = out.isatty()
    while True:
        run = stub.GetAuditRun(claims_pb2.GetAuditRunRequest(run_id=run_id), timeout=10)
        line = progress_line(run)
        print(("\r" + line) if tty else line, end="" if tty and run.state == "running" else "\n", file=out, flush=True)
        if run.state != "running":
            if run.error:
                print(f"error: {run.error}", file=out)
            return 0 if run.state == "done" else 1
        time.sleep(interval)


def cmd_audit_start(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        run = stub.StartAuditRun(claims_pb2.StartAuditRunRequest(
            request_id=args.request_id or f"cli-{uuid.uuid4().hex}", period=args.period,
            rule_pack_version=args.rule_pack_version, partition=args.partition, partitions=args.partitions),
            timeout=30)
        print(f"audit run {run.run_id} for {run.period} started", flush=True)
        return watch(stub, run.run_id) if args.watch else 0


def cmd_audit_watch(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        return watch(stub, args.run_id, interval=args.interval)


def cmd_audit_compare(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        reply = stub.CompareAuditRuns(claims_pb2.CompareAuditRunsRequest(base_run_id=args.base, other_run_id=args.other),
                                      timeout=60)
    print(f"{'rule':<28} {'institution':<14} {'base':>8} {'other':>8} {'base amount':>14} {'other amount':>14}")
    for d in reply.deltas:
        print(f"{d.rule_id:<28} {d.institution_code:<14} {d.base_findings:>8} {d.other_findings:>8} "
              f"{d.base_amount.amount:>14} {d.other_amount.amount:>14}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        reply = stub.PublishFindings(claims_pb2.PublishFindingsRequest(
            request_id=f"cli-{uuid.uuid4().hex}", period=args.period, institution_code=args.institution,
            actor=args.actor, run_id=args.run_id), timeout=120)
    print(f"published {reply.published} findings; appeals close {reply.appeal_deadline}")
    return 0


def cmd_confirm_due(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        reply = stub.ConfirmDueFindings(claims_pb2.ConfirmDueFindingsRequest(
            request_id=f"cli-{uuid.uuid4().hex}", as_of=args.as_of), timeout=600)
    print(f"confirmed {reply.confirmed} findings whose appeal deadline had passed")
    return 0


def cmd_statement(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        st = stub.GetDeductionStatement(claims_pb2.GetDeductionStatementRequest(
            institution_code=args.institution, period=args.period), timeout=120)
    print(f"deduction statement {st.institution_code} {st.period}")
    for ln in st.lines:
        print(f"  {ln.claim_id:<32} {ln.line_id or '(bill)':<10} {ln.deducted.amount:>12}  {ln.how}")
    print(f"  total {st.total.amount}")
    return 0


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="post-event audit runs (claims)")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    p = sub.add_parser("start", help="start an audit run over a month")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--rule-pack-version", default="", help="default: the version rules serves")
    p.add_argument("--partition", type=int, default=0)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--request-id", default="", help="retrying with the same id returns the same run")
    p.add_argument("--watch", action="store_true", help="show progress until the run ends")
    p.set_defaults(fn=cmd_audit_start)
    p = sub.add_parser("watch", help="a progress bar for a run until it ends")
    p.add_argument("run_id")
    p.add_argument("--interval", type=float, default=0.5)
    p.set_defaults(fn=cmd_audit_watch)
    p = sub.add_parser("compare", help="findings per rule and institution in two runs")
    p.add_argument("base")
    p.add_argument("other")
    p.set_defaults(fn=cmd_audit_compare)

    cycle = subparsers.add_parser("cycle", help="the monthly cycle: publish, confirm at the deadline (claims)")
    sub = cycle.add_subparsers(dest="cycle_command", required=True)
    p = sub.add_parser("publish", help="publish a month's findings to institutions")
    p.add_argument("--period", required=True)
    p.add_argument("--actor", required=True)
    p.add_argument("--institution", default="")
    p.add_argument("--run-id", default="")
    p.set_defaults(fn=cmd_publish)
    p = sub.add_parser("confirm-due", help="confirm published findings not appealed by their deadline")
    p.add_argument("--as-of", default="", help="YYYY-MM-DD; default today (Asia/Shanghai)")
    p.set_defaults(fn=cmd_confirm_due)
    p = sub.add_parser("statement", help="an institution's monthly deduction statement")
    p.add_argument("--institution", required=True)
    p.add_argument("--period", required=True)
    p.set_defaults(fn=cmd_statement)
