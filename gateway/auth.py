"""Who is calling, and what they may see.

Two ways in: the signed ``x-tif-*`` headers that provincial platform gateways use, or a
client certificate (mutual TLS) whose subject is registered for a caller. Anything else
is refused. A signature covers only the timestamp, token and nonce, not the body, so a
request is accepted only inside a timestamp window and each nonce only once.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from gateway.store.repository import CallerRecord, CallerStore, NonceStore

HEADER_CALLER = "x-tif-paasid"
HEADER_TIMESTAMP = "x-tif-timestamp"
HEADER_NONCE = "x-tif-nonce"
HEADER_SIGNATURE = "x-tif-signature"
MAX_NONCE = 128


@dataclass(frozen=True)
class Caller:
    caller_id: str
    role: str       # platform, institution, agency, auditor, admin, public
    scope: str      # division prefix, institution code or agency name; empty otherwise


class Unauthenticated(Exception):
    """The request does not prove who sent it; the message says why (without secrets)."""


def signature(timestamp: str, token: str, nonce: str) -> str:
    """The platform gateways' signature: hex SHA-256 of timestamp + token + nonce + timestamp."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def signed_headers(caller_id: str, token: str, *, now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers for one request (what a client, the demo or a test sends)."""
    import secrets

    ts = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    return {HEADER_CALLER: caller_id, HEADER_TIMESTAMP: ts, HEADER_NONCE: nonce,
            HEADER_SIGNATURE: signature(ts, token, nonce)}


def check_timestamp(text: str, now: float, window: float) -> int:
    """The timestamp as an int if it is unix seconds within ``window`` of ``now``."""
    if not text.isdigit() or len(text) > 12:
        raise Unauthenticated(f"{HEADER_TIMESTAMP} must be unix seconds")
    ts = int(text)
    if abs(now - ts) > window:
        raise Unauthenticated(f"{HEADER_TIMESTAMP} is outside the accepted window of {int(window)} s")
    return ts


def signature_matches(record: CallerRecord, timestamp: str, nonce: str, given: str) -> bool:
    """Constant-time comparison against the current token and, during a rotation's grace
    period, the previous one."""
    given = given.lower()
    ok = False
    for token in record.tokens:
        ok |= hmac.compare_digest(signature(timestamp, token, nonce), given)
    return ok


class Authenticator:
    """Maps a request's headers or client certificate to a Caller.

    Callers are cached for ``cache_seconds``: a rotation or revocation reaches every replica
    within that time. Nonces are never cached: the database decides, for all replicas.
    Runs in the event loop; only a caller not in the cache is read in a worker thread.
    """

    def __init__(self, callers: CallerStore, nonces: NonceStore, window: float = 300.0,
                 cache_seconds: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.callers = callers
        self.nonces = nonces
        self.window = window
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: dict[str, tuple[float, CallerRecord | None]] = {}
        self._lock = threading.Lock()

    async def _lookup(self, key: str, load: Callable[[], CallerRecord | None]) -> CallerRecord | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1]
        record = await anyio.to_thread.run_sync(load)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now, record)
        return record

    async def authenticate(self, headers: Mapping[str, str], cert_subject: str | None = None) -> Caller:
        caller_id = headers.get(HEADER_CALLER, "")
        if not caller_id and cert_subject:
            record = await self._lookup("cert:" + cert_subject, lambda: self.callers.by_cert_subject(cert_subject))
            if record is None or record.revoked:
                raise Unauthenticated("the client certificate is not registered for a caller")
            return Caller(record.caller_id, record.role, record.scope)
        if not caller_id:
            raise Unauthenticated(f"sign the request ({HEADER_CALLER}, {HEADER_TIMESTAMP}, {HEADER_NONCE}, "
                                  f"{HEADER_SIGNATURE}) or present a registered client certificate")
        missing = [h for h in (HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE) if not headers.get(h)]
        if missing:
            raise Unauthenticated(f"missing {', '.join(missing)}")
        ts_text, nonce, given = headers[HEADER_TIMESTAMP], headers[HEADER_NONCE], headers[HEADER_SIGNATURE]
        ts = check_timestamp(ts_text, self.clock(), self.window)
        if len(nonce) > MAX_NONCE or not nonce.isprintable():
            raise Unauthenticated(f"{HEADER_NONCE} must be at most {MAX_NONCE} printable characters")
        record = await self._lookup("id:" + caller_id, lambda: self.callers.get(caller_id))
        # Unknown caller, revoked caller and wrong signature all read the same: no oracle.
        if record is None or record.revoked or not signature_matches(record, ts_text, nonce, given):
            raise Unauthenticated("the signature does not match")
        # Only after the signature holds, so that forgeries cannot burn real callers' nonces.
        expires = datetime.fromtimestamp(ts + self.window + 1, UTC)
        if not await self.nonces.use(caller_id, nonce, expires):
            raise Unauthenticated(f"{HEADER_NONCE} was already used: a replayed request")
        return Caller(record.caller_id, record.role, record.scope)


# --- scopes --------------------------------------------------------------------------------------

def institution_division(code: str) -> str:
    return code[1:7] if len(code) >= 7 else ""


def may_see_institution(caller: Caller, code: str) -> bool:
    """Institution-level data: auditors and admins see all, a platform its region, an
    institution only itself. Everyone else nothing."""
    if caller.role in ("auditor", "admin"):
        return True
    if caller.role == "platform":
        return bool(code) and institution_division(code).startswith(caller.scope)
    if caller.role == "institution":
        return code == caller.scope
    return False


def may_read_agency(caller: Caller, agency: str) -> bool:
    return caller.role == "agency" and caller.scope == agency
