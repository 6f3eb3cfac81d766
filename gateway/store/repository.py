"""Callers and used nonces in PostgreSQL: what every gateway replica shares."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from gateway.secrets import TokenCipher, new_token
from gateway.store.tables import callers, nonces

ROLES = ("platform", "institution", "agency", "auditor", "admin", "public")
AGENCIES = ("police", "health", "market", "discipline")


@dataclass(frozen=True)
class CallerRecord:
    caller_id: str
    role: str
    scope: str
    name: str
    tokens: tuple[str, ...]        # the current token, then the previous one while in grace
    cert_subject: str | None
    revoked: bool


def check_caller_fields(caller_id: str, role: str, scope: str) -> None:
    """Who a caller is must make sense before it can be stored."""
    problems = []
    if not caller_id or len(caller_id) > 64 or not caller_id.replace("-", "").replace("_", "").isalnum():
        problems.append(FieldViolation("caller_id", "1-64 letters, digits, '-' or '_'"))
    if role not in ROLES:
        problems.append(FieldViolation("role", f"must be one of {', '.join(ROLES)}"))
    elif role == "platform" and not (scope.isdigit() and 1 <= len(scope) <= 6):
        problems.append(FieldViolation("scope", "a platform's scope is its division prefix: 1-6 digits"))
    elif role == "institution" and not (len(scope) == 12 and scope[0].isalpha() and scope[1:7].isdigit()):
        problems.append(FieldViolation("scope", "an institution's scope is its 12-character code"))
    elif role == "agency" and scope not in AGENCIES:
        problems.append(FieldViolation("scope", f"an agency's scope is one of {', '.join(AGENCIES)}"))
    elif role in ("auditor", "admin", "public") and scope:
        problems.append(FieldViolation("scope", f"a {role} has no scope"))
    if problems:
        raise InvalidArgument(problems)


class CallerStore:
    def __init__(self, engine: Engine, cipher: TokenCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def add(self, caller_id: str, role: str, scope: str = "", name: str = "",
            cert_subject: str | None = None, token: str | None = None) -> str:
        """Store a new caller; returns its token (shown once, never again)."""
        check_caller_fields(caller_id, role, scope)
        token = token or new_token()
        stmt = insert(callers).values(
            caller_id=caller_id, role=role, scope=scope, name=name, cert_subject=cert_subject or None,
            token_enc=self.cipher.seal(caller_id, token)).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            if conn.execute(stmt).rowcount == 0:
                raise InvalidArgument([FieldViolation("caller_id", f"{caller_id} already exists or the "
                                                                   "certificate subject is taken")])
        return token

    def rotate(self, caller_id: str, grace: timedelta = timedelta(hours=24)) -> str:
        """A new token; the old one stays valid for ``grace`` so callers can switch over."""
        token = new_token()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(callers.c.token_enc).where(
                callers.c.caller_id == caller_id, callers.c.revoked_at.is_(None)).with_for_update()).first()
            if row is None:
                raise NotFound(f"caller {caller_id} not found")
            conn.execute(callers.update().where(callers.c.caller_id == caller_id).values(
                token_enc=self.cipher.seal(caller_id, token), previous_token_enc=row.token_enc,
                previous_valid_until=now + grace, rotated_at=now))
        return token

    def revoke(self, caller_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(callers.update().where(
                callers.c.caller_id == caller_id, callers.c.revoked_at.is_(None)).values(
                revoked_at=sa.func.now(), token_enc=None, previous_token_enc=None)).rowcount
        if not done:
            raise NotFound(f"caller {caller_id} not found")

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(
                callers.c.caller_id, callers.c.role, callers.c.scope, callers.c.name, callers.c.cert_subject,
                callers.c.created_at, callers.c.rotated_at, callers.c.previous_valid_until, callers.c.revoked_at,
            ).order_by(callers.c.caller_id)).mappings().all()
        return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]

    def _record(self, row: Any) -> CallerRecord:
        tokens = []
        if row.token_enc is not None and (t := self.cipher.open(row.caller_id, row.token_enc)):
            tokens.append(t)
        if (row.previous_token_enc is not None and row.previous_valid_until is not None
                and row.previous_valid_until > datetime.now(UTC)
                and (t := self.cipher.open(row.caller_id, row.previous_token_enc))):
            tokens.append(t)
        return CallerRecord(row.caller_id, row.role, row.scope, row.name, tuple(tokens), row.cert_subject,
                            row.revoked_at is not None)

    def get(self, caller_id: str) -> CallerRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(callers).where(callers.c.caller_id == caller_id)).first()
        return self._record(row) if row is not None else None

    def by_cert_subject(self, subject: str) -> CallerRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(callers).where(callers.c.cert_subject == subject)).first()
        return self._record(row) if row is not None else None


_USE_NONCE = (f"SET LOCAL synchronous_commit TO OFF; INSERT INTO {nonces.fullname} (caller_id, nonce, expires_at) "
              "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING")


class NonceStore:
    """A nonce is accepted once per caller, across every replica: the primary key decides."""

    def __init__(self, engine: Engine, cleanup_every: float = 30.0) -> None:
        self.engine = engine
        self.cleanup_every = cleanup_every
        self._last_cleanup = 0.0

    def use(self, caller_id: str, nonce: str, expires_at: datetime) -> bool:
        """True the first time (caller, nonce) is seen; False for a replay.

        The commit does not wait for the WAL flush (synchronous_commit off, for this
        transaction only): a nonce costs no disk wait on the request path. The price is that
        a database crash can forget the last fraction of a second of nonces, so a request
        captured in that instant could be replayed once within its timestamp window.
        """
        with self.engine.begin() as conn:
            fresh = conn.exec_driver_sql(_USE_NONCE, (caller_id, nonce, expires_at)).rowcount == 1
            if time.monotonic() - self._last_cleanup > self.cleanup_every:
                self._last_cleanup = time.monotonic()
                conn.execute(nonces.delete().where(nonces.c.expires_at < sa.func.now()))
        return fresh

    def purge_expired(self) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(nonces.delete().where(nonces.c.expires_at < sa.func.now())).rowcount)
