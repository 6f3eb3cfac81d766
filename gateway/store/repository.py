"""Callers and used nonces in PostgreSQL: what every gateway replica shares."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import psycopg2.extensions
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from fundguard.runtime.db import libpq_url
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from gateway.secrets import TokenCipher, new_token
from gateway.store.tables import callers, nonces

log = logging.getLogger(__name__)
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


def check_caller_fields(caller_id: str, role: str, scope: str, name: str = "", cert_subject: str | None = None
                        ) -> None:
    """Who a caller is must make sense before it can be stored."""
    # PostgreSQL text cannot hold a NUL: refused by name here, not failed in the insert.
    problems = [FieldViolation(field, "must not contain a NUL character")
                for field, text in (("scope", scope), ("name", name), ("cert_subject", cert_subject or ""))
                if "\x00" in text]
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
        check_caller_fields(caller_id, role, scope, name, cert_subject)
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


class StoreUnavailable(Exception):
    """The nonce store could not answer: the request is refused with 503, not 401."""


# One connection setting and two statements prepared once per connection. A nonce commits
# without waiting for the WAL flush (synchronous_commit off, on connections that do nothing
# else): a nonce costs no disk wait on the request path. The price is that a database crash
# can forget the last fraction of a second of nonces, so a request captured in that instant
# could be replayed once within its timestamp window.
_SETUP = ("SET synchronous_commit TO OFF; "
          f"PREPARE gateway_use_nonce (text, text, timestamptz) AS INSERT INTO {nonces.fullname} "
          "(caller_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING; "
          f"PREPARE gateway_purge_nonces AS DELETE FROM {nonces.fullname} WHERE expires_at < now()")
APPLICATION_NAME = "fundguard-gateway-nonces"  # how an operator tells these connections apart
_USE = "EXECUTE gateway_use_nonce (%s, %s, %s)"
_PURGE = "EXECUTE gateway_purge_nonces"


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # the reader may fire again before the waiting task has resumed
        fut.set_result(None)


async def _ready(conn: Any) -> None:
    """Wait, in the event loop, until the asynchronous connection has finished its work."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            watch, unwatch = loop.add_reader, loop.remove_reader
        elif state == psycopg2.extensions.POLL_WRITE:
            watch, unwatch = loop.add_writer, loop.remove_writer
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        fd = conn.fileno()  # may change while connecting: read it each time
        fut: asyncio.Future[None] = loop.create_future()
        watch(fd, _wake, fut)
        try:
            await fut
        finally:
            unwatch(fd)


class NonceStore:
    """A nonce is accepted once per caller, across every replica: the primary key decides.

    The insert is the one database statement of every authenticated request, so it skips
    everything between the event loop and PostgreSQL: asynchronous psycopg2 connections
    (autocommit, waited on by the event loop itself, no worker thread), a statement
    prepared once per connection, no SQLAlchemy and no ping before use. A connection that
    fails is dropped and the request answered 503; the next request opens a new one.
    """

    def __init__(self, database_url: str, max_connections: int = 20, cleanup_every: float = 30.0) -> None:
        self.dsn = libpq_url(database_url)
        self.max_connections = max_connections
        self.cleanup_every = cleanup_every
        self._last_cleanup = 0.0
        self._idle: list[Any] = []
        self._open = 0
        # Requests waiting for a connection: each gets one handed over, or None (a slot was
        # freed: open a connection yourself). Futures of any event loop, hence the lock.
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._lock = threading.Lock()

    async def use(self, caller_id: str, nonce: str, expires_at: datetime) -> bool:
        """True the first time (caller, nonce) is seen; False for a replay."""
        try:
            conn = await self._acquire()
        except psycopg2.Error as exc:
            raise StoreUnavailable("the nonce store cannot be reached") from exc
        try:
            cur = conn.cursor()
            cur.execute(_USE, (caller_id, nonce, expires_at))
            await _ready(conn)
            fresh = cur.rowcount == 1
        except psycopg2.Error as exc:
            self._discard(conn)
            raise StoreUnavailable("the nonce store failed") from exc
        except BaseException:
            self._discard(conn)  # cancelled mid-statement: the connection's state is unknown
            raise
        if time.monotonic() - self._last_cleanup > self.cleanup_every:
            self._last_cleanup = time.monotonic()
            try:
                cur.execute(_PURGE)
                await _ready(conn)
            except BaseException as exc:
                # The nonce is committed already; a failed purge is retried later.
                self._discard(conn)
                if not isinstance(exc, psycopg2.Error):
                    raise
                log.warning("purging expired nonces failed", exc_info=True)
                return fresh
        self._give_back(conn)
        return fresh

    async def _acquire(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._open < self.max_connections:
                self._open += 1
                waiter = None
            else:
                waiter = loop.create_future()
                self._waiters.append(waiter)
        if waiter is not None:
            try:
                conn = await waiter
            except BaseException:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                if waiter.done() and not waiter.cancelled():
                    self._give_back(waiter.result())  # handed over, then cancelled before resuming
                raise
            if conn is not None:
                return conn
        try:
            return await self._connect()
        except BaseException:
            self._give_back(None)
            raise

    async def _connect(self) -> Any:
        conn = psycopg2.connect(self.dsn, async_=True, application_name=APPLICATION_NAME)
        try:
            await _ready(conn)
            cur = conn.cursor()  # kept: psycopg2 polls through the cursor of the running statement
            cur.execute(_SETUP)
            await _ready(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _discard(self, conn: Any) -> None:
        conn.close()
        self._give_back(None)

    def _give_back(self, conn: Any) -> None:
        """A connection (or, as None, the slot of one that is gone) to the next waiter, else
        to the idle list."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    try:
                        waiter.get_loop().call_soon_threadsafe(self._hand, waiter, conn)
                    except RuntimeError:  # its event loop is closed: it waits no more
                        continue
                    return
            if conn is None:
                self._open -= 1
            else:
                self._idle.append(conn)

    def _hand(self, waiter: asyncio.Future[Any], conn: Any) -> None:
        if waiter.done():  # cancelled in the meantime: pass it on
            self._give_back(conn)
        else:
            waiter.set_result(conn)

    def close(self) -> None:
        """Close the idle connections (at shutdown)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for conn in idle:
            conn.close()

    def purge_expired(self) -> int:
        """Delete expired nonces now (the requests do it every ``cleanup_every`` seconds)."""
        conn = psycopg2.connect(self.dsn)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"DELETE FROM {nonces.fullname} WHERE expires_at < now()")
                return int(cur.rowcount)
        finally:
            conn.close()
