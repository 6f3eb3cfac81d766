"""Authentication over HTTP: signatures, the timestamp window, nonces, rotation, revocation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from fastapi.testclient import TestClient

from fundguard.runtime.db import create_engine
from gateway.app import create_app
from gateway.auth import signature, signed_headers
from gateway.config import GatewayConfig
from gateway.store.repository import APPLICATION_NAME, NonceStore
from tests.integration.gateway.conftest import NATIONAL, Gateway, gateway_settings

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


@contextlib.contextmanager
def another_replica(gw: Gateway, migrated_url: str, data_dir: Path) -> Iterator[TestClient]:
    """A second gateway app on the same database and key: another replica."""
    engine = create_engine(migrated_url)
    app = create_app(gateway_settings(gw.addrs, migrated_url, data_dir), GatewayConfig(rate=10_000, burst=10_000),
                     engine=engine, key=gw.key)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        engine.dispose()


def test_a_nonce_used_at_one_replica_is_refused_at_another(gw: Gateway, migrated_url: str, tmp_path: Path) -> None:
    with another_replica(gw, migrated_url, tmp_path) as other:
        first = gw.headers("auditor-1")
        assert gw.client.get(WHOAMI, headers=first).status_code == 200
        r = other.get(WHOAMI, headers=first)
        is_problem(r, 401)
        assert "already used" in r.json()["detail"]
        # And the other way round.
        second = gw.headers("auditor-1")
        assert other.get(WHOAMI, headers=second).status_code == 200
        is_problem(gw.client.get(WHOAMI, headers=second), 401)


def test_a_nonce_sent_to_two_replicas_at_once_is_accepted_once(gw: Gateway, migrated_url: str,
                                                                 tmp_path: Path) -> None:
    with another_replica(gw, migrated_url, tmp_path) as other:
        signed = [gw.headers("auditor-1") for _ in range(20)]
        # Each signed request twice to each replica, all at the same time.
        sends = [(client, h) for h in signed for client in (gw.client, other, gw.client, other)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda s: s[0].get(WHOAMI, headers=s[1]).status_code, sends))
        for i in range(len(signed)):
            assert sorted(statuses[4 * i:4 * i + 4]) == [200, 401, 401, 401]


def test_requests_waiting_for_a_nonce_connection_are_all_served(gw: Gateway) -> None:
    """More requests at once than the store has connections: they wait their turn."""
    nonces = gw.app.state.edge.nonces
    store = NonceStore(nonces.dsn, max_connections=2)

    async def many() -> list[bool]:
        expires = datetime.now(UTC) + timedelta(seconds=60)
        return await asyncio.gather(*(store.use("pool-test", f"n{i % 25}", expires) for i in range(50)))

    try:
        used = asyncio.run(many())
        assert used.count(True) == 25 and store._open <= 2
    finally:
        store.close()


def test_a_lost_nonce_connection_fails_one_request_and_is_replaced(gw: Gateway) -> None:
    nonces = gw.app.state.edge.nonces
    assert gw.role("auditor", "GET", WHOAMI).status_code == 200
    assert nonces._idle, "the connection went back to the pool"
    with psycopg2.connect(nonces.dsn) as admin, admin.cursor() as cur:
        # What a restart of the server or a dropped connection does to the pooled ones.
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = %s", (APPLICATION_NAME,))
        assert len(cur.fetchall()) >= len(nonces._idle) >= 1
    admin.close()
    lost = len(nonces._idle)
    answers = [gw.role("auditor", "GET", WHOAMI) for _ in range(lost + 1)]
    for r in answers[:lost]:
        is_problem(r, 503)
        assert r.headers["retry-after"] == "1"
    assert answers[-1].status_code == 200
    assert gw.role("auditor", "GET", WHOAMI).status_code == 200


def test_an_unreachable_nonce_store_answers_503(gw: Gateway) -> None:
    from gateway.store.repository import StoreUnavailable

    dead = NonceStore("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable):
        asyncio.run(dead.use("c", "n", datetime.now(UTC)))
    edge = gw.app.state.edge
    real = edge.auth.nonces
    edge.auth.nonces = dead
    try:
        r = gw.role("auditor", "GET", WHOAMI)
        is_problem(r, 503)
        assert r.headers["retry-after"] == "1" and "unavailable" in r.json()["detail"]
        r = gw.client.post(NATIONAL, headers=gw.headers("platform-32"), json={})
        assert r.status_code == 503 and r.json()["infcode"] == -1
    finally:
        edge.auth.nonces = real
    assert gw.role("auditor", "GET", WHOAMI).status_code == 200


def test_expired_nonces_are_purged(gw: Gateway) -> None:
    nonces = gw.app.state.edge.auth.nonces
    assert asyncio.run(nonces.use("purge-test", "n1", datetime.now(UTC) - timedelta(seconds=1)))
    assert nonces.purge_expired() >= 1
    assert asyncio.run(nonces.use("purge-test", "n1", datetime.now(UTC) + timedelta(seconds=60)))


def test_requests_purge_expired_nonces_as_they_go(gw: Gateway) -> None:
    nonces = gw.app.state.edge.auth.nonces
    assert asyncio.run(nonces.use("purge-test-2", "n1", datetime.now(UTC) - timedelta(seconds=1)))
    nonces._last_cleanup = 0.0
    assert gw.role("auditor", "GET", WHOAMI).status_code == 200
    assert asyncio.run(nonces.use("purge-test-2", "n1", datetime.now(UTC) + timedelta(seconds=60)))


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
