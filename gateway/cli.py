"""``fundguard callers add|rotate|list|revoke|keygen``: provision and rotate callers' secrets.

Needs DATABASE_URL and the token key (FUNDGUARD_SECRET_KEY or FUNDGUARD_SECRET_KEY_FILE).
A token is printed once, when it is made; the database keeps it only encrypted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta

from fundguard.runtime.db import create_engine
from fundguard.runtime.errors import InvalidArgument, NotFound
from fundguard.runtime.settings import SettingsError, check_database_url
from gateway.secrets import TokenCipher, load_key, new_key
from gateway.store.repository import ROLES, CallerStore


def open_store(database_url: str | None = None, key: bytes | None = None) -> CallerStore:
    url = database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SettingsError("DATABASE_URL is not set: callers are kept in PostgreSQL")
    return CallerStore(create_engine(check_database_url(url), pool_size=1, max_overflow=0),
                       TokenCipher(key if key is not None else load_key()))


def _run(fn: object) -> int:
    try:
        return int(fn())  # type: ignore[operator]
    except InvalidArgument as exc:
        print(f"fundguard callers: {exc}", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"fundguard callers: {exc}", file=sys.stderr)
        return 1


def cmd_add(args: argparse.Namespace) -> int:
    def run() -> int:
        token = open_store().add(args.caller_id, args.role, args.scope or "", args.name or "", args.cert_subject)
        print(json.dumps({"caller_id": args.caller_id, "role": args.role, "scope": args.scope or "",
                          "token": token}))
        return 0
    return _run(run)


def cmd_rotate(args: argparse.Namespace) -> int:
    def run() -> int:
        token = open_store().rotate(args.caller_id, timedelta(hours=args.grace_hours))
        print(json.dumps({"caller_id": args.caller_id, "token": token, "old_token_valid_for_hours": args.grace_hours}))
        return 0
    return _run(run)


def cmd_revoke(args: argparse.Namespace) -> int:
    def run() -> int:
        open_store().revoke(args.caller_id)
        print(f"revoked {args.caller_id}")
        return 0
    return _run(run)


def cmd_list(args: argparse.Namespace) -> int:
    for row in open_store().list():
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    print(new_key())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("callers", help="provision, rotate, list and revoke the gateway's callers")
    sub = p.add_subparsers(dest="callers_command", required=True)
    a = sub.add_parser("add", help="a new caller; prints its token once")
    a.add_argument("caller_id", help="what the caller sends as x-tif-paasid")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--scope", default="", help="platform: division prefix; institution: its code; agency: its name")
    a.add_argument("--name", default="")
    a.add_argument("--cert-subject", default=None,
                   help="client certificate subject (RFC 4514, e.g. CN=hospital-64,O=Example) for mutual TLS")
    a.set_defaults(fn=cmd_add)
    r = sub.add_parser("rotate", help="a new token; the old one stays valid for the grace period")
    r.add_argument("caller_id")
    r.add_argument("--grace-hours", type=float, default=24.0)
    r.set_defaults(fn=cmd_rotate)
    v = sub.add_parser("revoke", help="refuse this caller from now on")
    v.add_argument("caller_id")
    v.set_defaults(fn=cmd_revoke)
    sub.add_parser("list", help="every caller with its role and scope (never tokens)").set_defaults(fn=cmd_list)
    sub.add_parser("keygen", help="print a new FUNDGUARD_SECRET_KEY").set_defaults(fn=cmd_keygen)
