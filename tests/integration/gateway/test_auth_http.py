"""Authentication over HTTP: signatures, the timestamp window, nonces, rotation, revocation."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from gateway.auth import signature, signed_headers
from tests.integration.gateway.conftest import Gateway

pytestmark = pytest.mark.integration
WHOAMI = "/api/v1/whoami"


def is_problem(r, status: int) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert "Traceback" not in r.text


def test_a_signed_request_is_accepted_and_names_the_caller(gw: Gateway) -> None:
    r = gw.role("institution", "GET", WHOAMI)
    assert r.status_code == 200
    assert r.json() == {"caller_id": gw.cid("inst-64"), "role": "institution", "scope": "H32118100064"}


def test_unsigned_requests_are_refused(gw: Gateway) -> None:
    is_problem(gw.client.get(WHOAMI), 401)
    headers = gw.headers("auditor-1")
    del headers["x-tif-nonce"]
    r = gw.client.get(WHOAMI, headers=headers)
    is_problem(r, 401)
    assert "x-tif-nonce" in r.json()["detail"]


def test_a_replayed_request_is_refused(gw: Gateway) -> None:
    headers = gw.headers("auditor-1")
    assert gw.client.get(WHOAMI, headers=headers).status_code == 200
    r = gw.client.get(WHOAMI, headers=headers)
    is_problem(r, 401)
    assert "already used" in r.json()["detail"]


def test_stale_and_future_timestamps_are_refused(gw: Gateway) -> None:
    for skew in (-301, 301, -86_400):
        r = gw.client.get(WHOAMI, headers=gw.headers("auditor-1", now=time.time() + skew))
        is_problem(r, 401)
        assert "window" in r.json()["detail"]
    assert gw.client.get(WHOAMI, headers=gw.headers("auditor-1", now=time.time() - 290)).status_code == 200
    r = gw.client.get(WHOAMI, headers={**gw.headers("auditor-1"), "x-tif-timestamp": "yesterday"})
    is_problem(r, 401)


def test_forged_signatures_are_refused_without_saying_which_part_was_wrong(gw: Gateway) -> None:
    good = gw.headers("auditor-1")
    answers = []
    for forged in (
        {**good, "x-tif-signature": "0" * 64},
        signed_headers(gw.cid("auditor-1"), "not-the-token"),
        signed_headers("nobody-at-all", "whatever"),
        {**good, "x-tif-paasid": gw.cid("admin-1")},           # someone else's id, auditor's signature
    ):
        r = gw.client.get(WHOAMI, headers=forged)
        is_problem(r, 401)
        answers.append(r.json()["detail"])
    assert len(set(answers)) == 1


def test_a_forgery_does_not_burn_the_real_callers_nonce(gw: Gateway) -> None:
    good = gw.headers("auditor-1")
    assert gw.client.get(WHOAMI, headers={**good, "x-tif-signature": "f" * 64}).status_code == 401
    assert gw.client.get(WHOAMI, headers=good).status_code == 200


def test_the_signature_is_case_insensitive_hex(gw: Gateway) -> None:
    h = gw.headers("auditor-1")
    h["x-tif-signature"] = h["x-tif-signature"].upper()
    assert gw.client.get(WHOAMI, headers=h).status_code == 200


def test_rotation_keeps_the_old_token_for_the_grace_period_then_not(gw: Gateway) -> None:
    cid = gw.cid("rot-1")
    old = gw.store.add(cid, "auditor")
    new = gw.store.rotate(cid, timedelta(hours=1))
    gw.app.state.edge.auth._cache.clear()
    for token in (old, new):
        assert gw.client.get(WHOAMI, headers=signed_headers(cid, token)).status_code == 200
    newer = gw.store.rotate(cid, timedelta(0))
    gw.app.state.edge.auth._cache.clear()
    assert gw.client.get(WHOAMI, headers=signed_headers(cid, newer)).status_code == 200
    for token in (old, new):
        is_problem(gw.client.get(WHOAMI, headers=signed_headers(cid, token)), 401)


def test_a_revoked_caller_is_refused(gw: Gateway) -> None:
    cid = gw.cid("rev-1")
    token = gw.store.add(cid, "public")
    assert gw.client.get(WHOAMI, headers=signed_headers(cid, token)).status_code == 200
    gw.store.revoke(cid)
    gw.app.state.edge.auth._cache.clear()
    is_problem(gw.client.get(WHOAMI, headers=signed_headers(cid, token)), 401)


def test_nonces_are_shared_through_the_database(gw: Gateway) -> None:
    """A second Authenticator (another replica) refuses a nonce the first one accepted."""
    from gateway.auth import Authenticator
    from gateway.store.repository import NonceStore

    edge = gw.app.state.edge
    other = Authenticator(edge.callers, NonceStore(edge.engine))
    headers = gw.headers("auditor-1")
    assert gw.client.get(WHOAMI, headers=headers).status_code == 200
    with pytest.raises(Exception, match="already used"):
        other.authenticate(headers)


def test_expired_nonces_are_purged(gw: Gateway) -> None:
    from datetime import UTC, datetime

    nonces = gw.app.state.edge.auth.nonces
    assert nonces.use("purge-test", "n1", datetime.now(UTC) - timedelta(seconds=1))
    assert nonces.purge_expired() >= 1
    assert nonces.use("purge-test", "n1", datetime.now(UTC) + timedelta(seconds=60))


def test_known_signature_vector_is_accepted_over_http(gw: Gateway) -> None:
    ts = str(int(time.time()))
    token = gw.tokens["auditor-1"]
    headers = {"x-tif-paasid": gw.cid("auditor-1"), "x-tif-timestamp": ts, "x-tif-nonce": "vector-nonce-" + ts,
               "x-tif-signature": signature(ts, token, "vector-nonce-" + ts)}
    assert gw.client.get(WHOAMI, headers=headers).status_code == 200


def test_probes_and_the_api_description_need_no_signature(gw: Gateway) -> None:
    assert gw.client.get("/healthz").status_code == 200
    spec = gw.client.get("/openapi.json")
    assert spec.status_code == 200 and "/fsi/api/rsfComIfsService/callService" in spec.json()["paths"]
    assert gw.client.get("/docs").status_code == 200
