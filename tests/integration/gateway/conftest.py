"""The gateway in-process (Starlette's TestClient) in front of real gRPC servers and a real
PostgreSQL, with one caller provisioned per role."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fundguard.demo import load_samples
from fundguard.runtime.db import create_engine
from fundguard.runtime.settings import SERVICES, addr_var, load
from gateway.app import create_app
from gateway.auth import signed_headers
from gateway.config import GatewayConfig
from gateway.secrets import TokenCipher, new_key, parse_key
from gateway.store.repository import CallerStore
from tests.servers import serve

NATIONAL = "/fsi/api/rsfComIfsService/callService"
# caller id -> (role, scope)
CALLERS = {
    "platform-32": ("platform", "32"),
    "platform-11": ("platform", "11"),
    "inst-64": ("institution", "H32118100064"),
    "inst-99": ("institution", "H32118199999"),
    "agency-police": ("agency", "police"),
    "agency-health": ("agency", "health"),
    "auditor-1": ("auditor", ""),
    "admin-1": ("admin", ""),
    "public-1": ("public", ""),
}
ROLE_CALLER = {"platform": "platform-32", "institution": "inst-64", "agency": "agency-police",
               "auditor": "auditor-1", "admin": "admin-1", "public": "public-1"}


@dataclass
class Gateway:
    client: TestClient
    app: FastAPI
    store: CallerStore
    tokens: dict[str, str]
    key: bytes
    prefix: str
    addrs: dict[str, str] = field(default_factory=dict)

    def cid(self, caller_id: str) -> str:
        return self.prefix + caller_id

    def headers(self, caller_id: str, **kw: Any) -> dict[str, str]:
        return signed_headers(self.cid(caller_id), self.tokens[caller_id], **kw)

    def as_(self, caller_id: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers(caller_id), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def role(self, role: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.as_(ROLE_CALLER[role], method, path, **kw)

    @contextlib.contextmanager
    def at_capacity(self) -> Iterator[None]:
        """Every place of the in-flight gate taken, as under a flood; given back after."""
        gate = self.app.state.edge.gate
        taken = 0
        while gate.enter():
            taken += 1
        try:
            yield
        finally:
            for _ in range(taken):
                gate.leave()


def gateway_settings(addrs: dict[str, str], database_url: str, data_dir: Path) -> Any:
    env = {addr_var(s): a for s, a in addrs.items()}
    env.update({"DATABASE_URL": database_url, "FUNDGUARD_DATA_DIR": str(data_dir)})
    return load("gateway", env)


@contextlib.contextmanager
def build_gateway(migrated_url: str, data_dir: Path, addrs: dict[str, str], config: GatewayConfig,
                  callers: dict[str, tuple[str, str]], prefix: str) -> Iterator[Gateway]:
    key = parse_key(new_key())
    engine = create_engine(migrated_url)
    store = CallerStore(engine, TokenCipher(key))
    # Each gateway built in a session gets its own caller ids: the store is shared.
    tokens = {cid: store.add(prefix + cid, role, scope) for cid, (role, scope) in callers.items()}
    app = create_app(gateway_settings(addrs, migrated_url, data_dir), config, engine=engine, key=key)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gateway(client, app, store, tokens, key, prefix, addrs)
    engine.dispose()


@pytest.fixture(scope="session")
def upstream_addrs(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The four services, really serving, on free ports; samples loaded."""
    data_dir = tmp_path_factory.mktemp("gw-services")
    from fundguard.runtime.supervisor import free_port

    addrs = {s: f"127.0.0.1:{free_port()}" for s in SERVICES}
    with contextlib.ExitStack() as stack:
        # FUNDGUARD_PII_KEY is one for the whole session (tests/conftest.py), as in a deployment.
        for svc in ("rules", "physician_codes", "credit"):
            stack.enter_context(_serve_at(svc, addrs, migrated_url, data_dir))
        stack.enter_context(_serve_at("claims", addrs, migrated_url, data_dir))
        load_samples(SimpleNamespace(addrs=addrs))  # type: ignore[arg-type]
        yield addrs


@contextlib.contextmanager
def _serve_at(svc: str, addrs: dict[str, str], url: str, data_dir: Path) -> Iterator[None]:
    """tests.servers.serve picks its own port; tell the others where it landed."""
    import tests.servers as servers
    from fundguard.runtime.supervisor import free_port

    original = servers.free_port
    for attempt in range(5):
        # Other test sessions share this machine: a port found free may be taken before it
        # is bound. Then take another; services started later see the new address.
        port = int(addrs[svc].rsplit(":", 1)[1]) if attempt == 0 else free_port()
        addrs[svc] = f"127.0.0.1:{port}"
        servers.free_port = lambda: port  # type: ignore[assignment]  # noqa: B023
        try:
            cm = serve(svc, url, data_dir, addrs)
            cm.__enter__()
            break
        except Exception:
            if attempt == 4:
                raise
        finally:
            servers.free_port = original  # type: ignore[assignment]
    try:
        yield
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def gw(migrated_url: str, upstream_addrs: dict[str, str],
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = GatewayConfig(rate=10_000, burst=10_000, timestamp_window=300)
    with build_gateway(migrated_url, tmp_path_factory.mktemp("gw"), upstream_addrs, config, CALLERS, "main-") as g:
        yield g
