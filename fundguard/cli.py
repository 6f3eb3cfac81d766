"""The ``fundguard`` command: serve, migrate, up, demo, trace, and each service's own commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from fundguard.runtime import settings as settings_mod
from fundguard.runtime.settings import SettingsError

log = logging.getLogger("fundguard")
PLUGIN_MODULES = [f"services.{s}.cli" for s in settings_mod.SERVICES] + ["gateway.cli", "bench.cli"]


def cmd_serve(args: argparse.Namespace) -> int:
    from fundguard.runtime import telemetry
    from fundguard.runtime.logs import setup_logging

    settings = settings_mod.load(args.service)
    setup_logging(args.service, settings.log_level)
    # Before any server, channel, engine or app exists, so that all of them are instrumented.
    telemetry.setup(args.service, settings.data_dir, settings.otlp_endpoint, settings.metrics_addr)
    if args.service == "gateway":
        from gateway.server import serve

        host, port = settings.addrs["gateway"].rsplit(":", 1)
        if os.environ.get("FUNDGUARD_LISTEN_ADDR"):
            host, port = settings.listen_addr.rsplit(":", 1)
        serve(settings, host, int(port))  # TLS / client certificates per the gateway's settings
        telemetry.shutdown()
        return 0
    runner = importlib.import_module(f"services.{args.service}.main").build(settings)
    runner.run_forever()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from fundguard.runtime import migrations

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SettingsError("DATABASE_URL is not set: `fundguard migrate` needs the database to migrate")
    known = migrations.MIGRATED  # the four services and the gateway (callers, nonces)
    unknown = [s for s in args.services if s not in known]
    if unknown:
        raise SettingsError(f"unknown service {unknown[0]!r}; expected one of {', '.join(known)}")
    chosen = tuple(args.services) or known
    migrations.upgrade_all(settings_mod.check_database_url(url), chosen)
    print(f"migrated {', '.join(chosen)}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from fundguard.runtime.supervisor import Suite

    suite = Suite(settings_mod.default_data_dir(), os.environ.get("DATABASE_URL"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    suite.start()
    try:
        print("Fundguard is up:")
        for svc, addr in suite.addrs.items():
            kind = "http" if svc == "gateway" else "grpc"
            print(f"  {svc:<16} {kind}://{addr}   metrics http://{suite.metrics_addrs[svc]}/metrics")
        print(f"  logs             {suite.data_dir / 'logs'}")
        print("Ctrl-C stops everything.", flush=True)
        stop.wait()
    finally:
        suite.stop()
        print("stopped")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from fundguard.demo import run_demo

    return run_demo(Path(args.data_dir).resolve() if args.data_dir else None)


def cmd_trace(args: argparse.Namespace) -> int:
    from fundguard.runtime.tracestore import claim_spans, read_spans, render

    spans = claim_spans(read_spans(settings_mod.default_data_dir()), args.claim_id)
    if not spans:
        print(f"no spans mention claim {args.claim_id} under {settings_mod.default_data_dir()}", file=sys.stderr)
        return 1
    print(render(spans, args.claim_id))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fundguard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run one service in the foreground")
    p.add_argument("service", choices=[*settings_mod.SERVICES, "gateway"])
    p.set_defaults(fn=cmd_serve)
    p = sub.add_parser("migrate", help="run database migrations (DATABASE_URL)")
    p.add_argument("services", nargs="*", metavar="SERVICE", help="default: all four and the gateway")
    p.set_defaults(fn=cmd_migrate)
    p = sub.add_parser("up", help="start the whole suite; Ctrl-C stops it")
    p.set_defaults(fn=cmd_up)
    p = sub.add_parser("demo", help="start the suite, run a small workload, print findings and a trace")
    p.add_argument("--data-dir", help="where the demo keeps its database and spans (default .fundguard/demo)")
    p.set_defaults(fn=cmd_demo)
    p = sub.add_parser("trace", help="print a claim's spans as a tree from the local span files")
    p.add_argument("claim_id")
    p.set_defaults(fn=cmd_trace)
    # Each service (and the bench tools) may add its own sub-commands in a ``cli`` module
    # with ``register(subparsers)``; each sets ``fn`` to a function taking the parsed args.
    for module in PLUGIN_MODULES:
        try:
            plugin = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):
                raise
            continue
        plugin.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except SettingsError as exc:
        print(f"fundguard: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
