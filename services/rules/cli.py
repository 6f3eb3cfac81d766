"""Rules commands: ``fundguard check`` (offline 3101 audit) and ``fundguard rules ...``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from fundguard.common.v1 import common_pb2
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import settings, tls
from fundguard.runtime.errors import InvalidArgument
from gateway import national
from services.rules.domain import catalogue as cat
from services.rules.domain import engine, whatif
from services.rules.domain.rulepack import RulePack
from services.rules.main import DEFAULT_PACK
from services.rules.servicer import batch_from_cases, finding_to_proto

MOMENTS = {"pre": "pre", "in": "in", "post": "post"}


def _pack(path: str | None) -> RulePack:
    file = Path(path) if path else DEFAULT_PACK
    return engine.parse_pack(file.read_text(encoding="utf-8"), str(file))


def main_pack_for_tests() -> RulePack:
    """The default national pack (as ``fundguard check`` uses when no --pack is given)."""
    return _pack(None)


def _catalogue(path: str, version: str = "cli") -> cat.Catalogue:
    folder = Path(path)
    return cat.parse(version, "1900-01-01", cat.read_folder(folder))


def _fail(exc: InvalidArgument) -> int:
    for v in exc.violations:
        print(f"{v.field}: {v.reason}", file=sys.stderr)
    return 2


def check_request(body: dict[str, Any], catalogue: cat.Catalogue, pack: RulePack, moment: str = "pre") -> dict[str, Any]:
    """Audit one national 3101 request offline; answer in the 3101 output shape."""
    envelope = national.check_envelope(body)
    data = envelope["input"].get("data")
    if not isinstance(data, dict):
        raise InvalidArgument([national.FieldViolation("input.data", "required: an object")])
    cases = national.analysis_cases(data, str(envelope["fixmedins_code"]))
    rule_ids = data.get("rule_ids") or []
    if isinstance(rule_ids, str):
        rule_ids = [r for r in rule_ids.split(",") if r]
    batch = batch_from_cases(cases)
    findings = engine.evaluate(batch, catalogue, pack, moment, [str(r) for r in rule_ids])
    protos = []
    for i, f in enumerate(findings, 1):
        p = finding_to_proto(f)
        p.finding_id = f"{envelope['msgid']}-{i}"
        protos.append(p)
    return national.analysis_result(protos, national._text(data.get("task_id")))


def cmd_check(args: argparse.Namespace) -> int:
    try:
        body = json.loads(Path(args.request).read_text(encoding="utf-8"), parse_float=Decimal)
        out = check_request(body, _catalogue(args.catalogue), _pack(args.pack), args.moment)
    except InvalidArgument as exc:
        return _fail(exc)
    print(json.dumps(national.response(str(body.get("msgid", "")), out), ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        if args.catalogue:
            c = _catalogue(args.catalogue)
            print(f"catalogue {args.catalogue}: {c.size} items, {c.pair_rows} pair rows, valid")
        if args.pack:
            p = _pack(args.pack)
            print(f"rule pack {args.pack}: version {p.version}, {len(p.rules)} rules, valid")
    except InvalidArgument as exc:
        return _fail(exc)
    return 0


def read_cases(paths: list[str]) -> Iterator[list[common_pb2.PatientCase]]:
    """Patient-grouped chunks from files: JSON lines of PatientCase (one chunk per file)."""
    for path in paths:
        chunk = []
        for n, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if text.strip():
                try:
                    chunk.append(json_format.Parse(text, common_pb2.PatientCase()))
                except json_format.ParseError as exc:
                    raise InvalidArgument([national.FieldViolation(f"{path}:{n}", str(exc))]) from exc
        yield chunk


def cmd_whatif(args: argparse.Namespace) -> int:
    try:
        catalogue = _catalogue(args.catalogue)
        draft_catalogue = _catalogue(args.draft_catalogue, "draft") if args.draft_catalogue else None
        report = whatif.replay((batch_from_cases(c) for c in read_cases(args.claims)), catalogue,
                               _pack(args.current), _pack(args.draft) if args.draft else _pack(args.current),
                               draft_catalogue, args.moment)
    except InvalidArgument as exc:
        return _fail(exc)
    rows = [{k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in report.iter_rows(named=True)]
    print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0


def _stub() -> tuple[grpc.Channel, rules_pb2_grpc.RulesServiceStub]:
    addr = settings.load("rules", need_database=False).addr("rules")
    channel = tls.dial(addr)
    return channel, rules_pb2_grpc.RulesServiceStub(channel)


def _rpc(call: Any) -> int:
    try:
        reply = call()
    except grpc.RpcError as exc:
        print(f"{exc.code().name}: {exc.details()}", file=sys.stderr)  # details name file, row and field
        return 2
    print(json_format.MessageToJson(reply, ensure_ascii=False, preserving_proto_field_name=True))
    return 0


def cmd_load_catalogue(args: argparse.Namespace) -> int:
    files = cat.read_folder(Path(args.folder))
    channel, stub = _stub()
    with channel:
        return _rpc(lambda: stub.LoadCatalogue(rules_pb2.LoadCatalogueRequest(
            request_id=args.request_id or f"load-{args.version}", version=args.version,
            effective_from=args.effective_from, files=files), timeout=600))


def cmd_save_pack(args: argparse.Namespace) -> int:
    text = Path(args.pack).read_text(encoding="utf-8")
    channel, stub = _stub()
    with channel:
        return _rpc(lambda: stub.SaveRulePack(rules_pb2.SaveRulePackRequest(request_id=args.request_id, toml=text),
                                              timeout=60))


def cmd_publish_pack(args: argparse.Namespace) -> int:
    channel, stub = _stub()
    with channel:
        return _rpc(lambda: stub.PublishRulePack(rules_pb2.PublishRulePackRequest(
            request_id=args.request_id, version=args.version, actor=args.actor), timeout=60))


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("check", help="audit a national 3101 request file offline; print the 3101 output")
    p.add_argument("request", help="3101 request JSON file")
    p.add_argument("--catalogue", required=True, help="catalogue folder (docs/catalogue.md)")
    p.add_argument("--pack", help="rule pack TOML (default: the national pack in the repo)")
    p.add_argument("--moment", choices=sorted(MOMENTS), default="pre")
    p.set_defaults(fn=cmd_check)
    rules = subparsers.add_parser("rules", help="rule packs and catalogues offline")
    sub = rules.add_subparsers(dest="rules_command", required=True)
    v = sub.add_parser("validate", help="check a catalogue folder and/or a rule pack; name file, row, field")
    v.add_argument("--catalogue")
    v.add_argument("--pack")
    v.set_defaults(fn=cmd_validate)
    w = sub.add_parser("whatif", help="replay claims (JSON lines of PatientCase) with a draft pack/catalogue")
    w.add_argument("claims", nargs="+", help="files, one patient-grouped chunk each")
    w.add_argument("--catalogue", required=True)
    w.add_argument("--current", help="current pack (default: the national pack)")
    w.add_argument("--draft", help="draft pack")
    w.add_argument("--draft-catalogue")
    w.add_argument("--moment", choices=sorted(MOMENTS), default="post")
    w.set_defaults(fn=cmd_whatif)
    lc = sub.add_parser("load-catalogue", help="load a catalogue folder as a version (gRPC, FUNDGUARD_RULES_ADDR)")
    lc.add_argument("folder")
    lc.add_argument("--version", required=True)
    lc.add_argument("--effective-from", required=True, help="YYYY-MM-DD")
    lc.add_argument("--request-id", default="")
    lc.set_defaults(fn=cmd_load_catalogue)
    sp = sub.add_parser("save-pack", help="store a rule pack TOML as a draft (gRPC)")
    sp.add_argument("pack")
    sp.add_argument("--request-id", default="")
    sp.set_defaults(fn=cmd_save_pack)
    pp = sub.add_parser("publish-pack", help="publish a stored draft rule pack (gRPC)")
    pp.add_argument("version")
    pp.add_argument("--actor", required=True)
    pp.add_argument("--request-id", default="")
    pp.set_defaults(fn=cmd_publish_pack)
