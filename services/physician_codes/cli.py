"""``fundguard registry ...``: bulk import and export of the registry through the running
physician_codes service (``FUNDGUARD_PHYSICIAN_CODES_ADDR``), so the CLI and gRPC callers
go through the same checks and the same change log."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import grpc

from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pb_grpc
from fundguard.runtime.errors import field_violations_from
from fundguard.runtime.settings import DEFAULT_PORTS, addr_var, check_addr
from fundguard.runtime.tls import dial

KINDS = ("institutions", "staff", "registrations")


def _addr(args: argparse.Namespace) -> str:
    var = addr_var("physician_codes")
    return check_addr(var, args.addr or os.environ.get(var, f"127.0.0.1:{DEFAULT_PORTS['physician_codes']}"))


def _fail(exc: grpc.RpcError) -> int:
    print(f"fundguard registry: {exc.code().name}: {exc.details()}", file=sys.stderr)  # type: ignore[attr-defined]
    for v in field_violations_from(exc):
        print(f"  {v.field}: {v.reason}", file=sys.stderr)
    return 2


def cmd_import(args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    with dial(_addr(args)) as channel:
        try:
            report = pb_grpc.PhysicianCodesServiceStub(channel).ImportRegistry(pb.ImportRegistryRequest(
                request_id=str(uuid.uuid4()), kind=args.kind, csv=data,
                changed_by=args.changed_by or f"cli:{getpass.getuser()}", reason=args.reason), timeout=args.timeout)
        except grpc.RpcError as exc:
            return _fail(exc)
    print(f"{args.kind}: {report.rows} rows, {report.accepted} accepted, {report.unchanged} unchanged, "
          f"{report.rejected} rejected")
    for e in report.errors:
        print(f"  line {e.row}: {e.field or '(row)'}: {e.reason}")
    return 1 if report.rejected else 0


def cmd_export(args: argparse.Namespace) -> int:
    with dial(_addr(args)) as channel:
        try:
            reply = pb_grpc.PhysicianCodesServiceStub(channel).ExportRegistry(
                pb.ExportRegistryRequest(kind=args.kind, unmask=args.unmask), timeout=args.timeout)
        except grpc.RpcError as exc:
            return _fail(exc)
    if args.output:
        Path(args.output).write_bytes(reply.csv)
        print(f"{args.kind}: {reply.rows} rows written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(reply.csv)
        sys.stdout.flush()
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("registry", help="import or export institutions, staff and registrations (CSV)")
    sub = p.add_subparsers(dest="registry_command", required=True)
    imp = sub.add_parser("import", help="import a CSV file; every rejected row is reported, valid rows are kept")
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file")
    imp.add_argument("--changed-by", default="", help="recorded as who made the change (default cli:<user>)")
    imp.add_argument("--reason", default="bulk import", help="recorded as why")
    imp.set_defaults(fn=cmd_import)
    exp = sub.add_parser("export", help="export in the import format")
    exp.add_argument("kind", choices=KINDS)
    exp.add_argument("-o", "--output", help="file to write (default standard output)")
    exp.add_argument("--unmask", action="store_true",
                     help="full identity numbers (operators only; the gateway never sets this for others)")
    exp.set_defaults(fn=cmd_export)
    for q in (imp, exp):
        q.add_argument("--addr", help="physician_codes address (default FUNDGUARD_PHYSICIAN_CODES_ADDR)")
        q.add_argument("--timeout", type=float, default=300.0)
