"""Signatures (vectors computed by hand here), the timestamp window, scopes, the
authenticator's decisions, token sealing and the limits."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Any

import pytest

from fundguard.runtime.errors import InvalidArgument
from fundguard.runtime.settings import SettingsError
from gateway.auth import (
    Authenticator,
    Caller,
    Unauthenticated,
    check_timestamp,
    may_read_agency,
    may_see_institution,
    signature,
    signed_headers,
)
from gateway.config import GatewayConfig
from gateway.limits import InflightGate, RateLimiter, TokenBucket
from gateway.secrets import TokenCipher, load_key, new_key, parse_key
from gateway.server import subject_text
from gateway.store.repository import CallerRecord, check_caller_fields


def test_signature_vectors() -> None:
    # hex SHA-256 of timestamp + token + nonce + timestamp. The expected digests were worked
    # out once, outside this code, from the concatenated text:
    #   sha256("1700000000secretabc1700000000") and sha256("1tn1").
    assert signature("1700000000", "secret", "abc") == (
        "fdc48fe9d788109715ef6992d91898144cf86682942883a8ceec4dfebddb3d0f")
    assert signature("1", "t", "n") == "c159e7e91acc9536a63bfe4a10861a153e9048b21e6dca30cc3cb3794dca6478"
    assert signature("1700000000", "secret", "abc") == hashlib.sha256(b"1700000000secretabc1700000000").hexdigest()
    # sha256 of nothing is the well-known e3b0c442...
    assert signature("", "", "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    # Order matters: the token and nonce swapped give another digest.
    assert signature("1", "t", "n") != signature("1", "n", "t")


def test_signed_headers_carry_the_four_fields() -> None:
    h = signed_headers("caller-1", "tok", now=1700000000, nonce="n1")
    assert h == {"x-tif-paasid": "caller-1", "x-tif-timestamp": "1700000000", "x-tif-nonce": "n1",
                 "x-tif-signature": signature("1700000000", "tok", "n1")}
    assert signed_headers("c", "t")["x-tif-nonce"] != signed_headers("c", "t")["x-tif-nonce"]


def test_timestamp_window() -> None:
    assert check_timestamp("1000", 1300, 300) == 1000
    assert check_timestamp("1600", 1300, 300) == 1600
    for bad in ("999", "1601", "abc", "-5", "1e3", "9" * 20):
        with pytest.raises(Unauthenticated):
            check_timestamp(bad, 1300, 300)


class FakeCallers:
    def __init__(self, records: dict[str, CallerRecord]) -> None:
        self.records = records
        self.lookups = 0

    def get(self, caller_id: str) -> CallerRecord | None:
        self.lookups += 1
        return self.records.get(caller_id)

    def by_cert_subject(self, subject: str) -> CallerRecord | None:
        return next((r for r in self.records.values() if r.cert_subject == subject), None)


class FakeNonces:
    def __init__(self) -> None:
        self.used: set[tuple[str, str]] = set()
        self.expiries: list[datetime] = []

    async def use(self, caller_id: str, nonce: str, expires_at: datetime) -> bool:
        self.expiries.append(expires_at)
        if (caller_id, nonce) in self.used:
            return False
        self.used.add((caller_id, nonce))
        return True


def authenticate(auth: Authenticator, headers: dict[str, str], cert_subject: str | None = None) -> Caller:
    return asyncio.run(auth.authenticate(headers, cert_subject))


def authenticator(now: float = 1_700_000_000, **records: CallerRecord) -> tuple[Authenticator, FakeNonces]:
    nonces = FakeNonces()
    auth = Authenticator(FakeCallers(records), nonces, window=300, clock=lambda: now)  # type: ignore[arg-type]
    return auth, nonces


PLATFORM = CallerRecord("p1", "platform", "32", "", ("tok-new", "tok-old"), "CN=p1,O=Prov", False)


def test_authenticator_accepts_current_and_grace_tokens_once_each() -> None:
    auth, nonces = authenticator(p1=PLATFORM)
    for token, nonce in (("tok-new", "a"), ("tok-old", "b")):
        assert authenticate(auth, signed_headers("p1", token, now=1_700_000_000, nonce=nonce)) == Caller(
            "p1", "platform", "32")
    with pytest.raises(Unauthenticated, match="already used"):
        authenticate(auth, signed_headers("p1", "tok-new", now=1_700_000_000, nonce="a"))
    assert nonces.expiries[0].timestamp() == 1_700_000_000 + 301


def test_authenticator_refusals() -> None:
    revoked = CallerRecord("r1", "admin", "", "", (), None, True)
    auth, nonces = authenticator(p1=PLATFORM, r1=revoked)
    cases: list[dict[str, Any]] = [
        {},
        signed_headers("p1", "wrong", now=1_700_000_000),
        signed_headers("nobody", "tok-new", now=1_700_000_000),
        signed_headers("r1", "anything", now=1_700_000_000),
        signed_headers("p1", "tok-new", now=1_700_000_000 - 301),
        {**signed_headers("p1", "tok-new", now=1_700_000_000), "x-tif-nonce": "x" * 200},
    ]
    for headers in cases:
        with pytest.raises(Unauthenticated):
            authenticate(auth, headers)
    assert nonces.used == set(), "a refused request must not use up a nonce"


def test_client_certificate_maps_to_a_caller() -> None:
    auth, _ = authenticator(p1=PLATFORM)
    assert authenticate(auth, {}, "CN=p1,O=Prov") == Caller("p1", "platform", "32")
    with pytest.raises(Unauthenticated):
        authenticate(auth, {}, "CN=someone-else")


def test_callers_are_cached_briefly() -> None:
    auth, _ = authenticator(p1=PLATFORM)
    for n in "abc":
        authenticate(auth, signed_headers("p1", "tok-new", now=1_700_000_000, nonce=n))
    assert auth.callers.lookups == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(("caller", "code", "seen"), [
    (Caller("a", "auditor", ""), "H11000000001", True),
    (Caller("a", "admin", ""), "H11000000001", True),
    (Caller("p", "platform", "32"), "H32118100064", True),
    (Caller("p", "platform", "3211"), "H32118100064", True),
    (Caller("p", "platform", "3212"), "H32118100064", False),
    (Caller("p", "platform", "32"), "", False),
    (Caller("i", "institution", "H32118100064"), "H32118100064", True),
    (Caller("i", "institution", "H32118100064"), "H32118100065", False),
    (Caller("g", "agency", "police"), "H32118100064", False),
    (Caller("u", "public", ""), "H32118100064", False),
])
def test_institution_scope(caller: Caller, code: str, seen: bool) -> None:
    assert may_see_institution(caller, code) is seen


def test_agency_scope() -> None:
    assert may_read_agency(Caller("g", "agency", "police"), "police")
    assert not may_read_agency(Caller("g", "agency", "health"), "police")
    assert not may_read_agency(Caller("a", "auditor", ""), "police")


@pytest.mark.parametrize(("role", "scope", "ok"), [
    ("platform", "32", True), ("platform", "3x", False), ("platform", "", False),
    ("institution", "H32118100064", True), ("institution", "H321", False),
    ("agency", "police", True), ("agency", "fbi", False),
    ("auditor", "", True), ("auditor", "32", False), ("wizard", "", False)])
def test_caller_fields(role: str, scope: str, ok: bool) -> None:
    if ok:
        check_caller_fields("c-1", role, scope)
    else:
        with pytest.raises(Exception, match="role|scope"):
            check_caller_fields("c-1", role, scope)


@pytest.mark.parametrize("field", ["scope", "name", "cert_subject"])
def test_caller_fields_refuse_nul_by_name(field: str) -> None:
    given = {"scope": "H32118100064", "name": "", "cert_subject": None} | {field: "H321181\x00\x00\x00\x00\x00"}
    with pytest.raises(InvalidArgument) as refused:
        check_caller_fields("c-1", "institution", **given)
    assert [v.field for v in refused.value.violations] == [field]


def test_tokens_are_sealed_per_caller() -> None:
    cipher = TokenCipher(parse_key(new_key()))
    sealed = cipher.seal("c1", "tok")
    assert b"tok" not in sealed and cipher.open("c1", sealed) == "tok"
    assert cipher.open("c2", sealed) is None  # copied to another caller's row: useless
    assert TokenCipher(parse_key(new_key())).open("c1", sealed) is None


def test_key_loading(tmp_path: Any) -> None:
    key = new_key()
    assert load_key({"FUNDGUARD_SECRET_KEY": key}) == parse_key(key)
    f = tmp_path / "k"
    f.write_text(key + "\n")
    assert load_key({"FUNDGUARD_SECRET_KEY_FILE": str(f)}) == parse_key(key)
    for env in ({}, {"FUNDGUARD_SECRET_KEY": "short"}, {"FUNDGUARD_SECRET_KEY_FILE": str(tmp_path / "none")}):
        with pytest.raises(SettingsError):
            load_key(env)


def test_config_from_env() -> None:
    cfg = GatewayConfig.from_env({"FUNDGUARD_GATEWAY_TIMESTAMP_WINDOW": "60", "FUNDGUARD_GATEWAY_RATE": "5"})
    assert cfg.timestamp_window == 60 and cfg.rate == 5
    for env in ({"FUNDGUARD_GATEWAY_RATE": "fast"}, {"FUNDGUARD_GATEWAY_TIMESTAMP_WINDOW": "0"},
                {"FUNDGUARD_GATEWAY_TLS_CERT": "c.pem"}, {"FUNDGUARD_GATEWAY_TLS_CLIENT_CA": "ca.pem"}):
        with pytest.raises(SettingsError):
            GatewayConfig.from_env(env)


def test_token_bucket() -> None:
    t = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: t[0])
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)
    t[0] = 0.5
    assert bucket.take() == 0
    limiter = RateLimiter(1, 1, clock=lambda: t[0])
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") > 0 and limiter.retry_after("b") == 0


def test_inflight_gate() -> None:
    gate = InflightGate(2)
    assert gate.enter() and gate.enter() and not gate.enter()
    gate.leave()
    assert gate.enter()


def test_certificate_subject_text() -> None:
    cert = {"subject": ((("countryName", "CN"),), (("organizationName", "Jiangsu, Platform"),),
                        (("commonName", "platform-32"),))}
    assert subject_text(cert) == "CN=platform-32,O=Jiangsu\\, Platform,C=CN"
