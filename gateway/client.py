"""Signing requests as a caller: for the demo, tests, benchmarks and Python clients."""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx

from gateway.auth import signed_headers
from gateway.secrets import load_key


class TifAuth(httpx.Auth):
    """Fresh x-tif-* headers (new timestamp and nonce) on every request."""

    def __init__(self, caller_id: str, token: str) -> None:
        self.caller_id = caller_id
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(signed_headers(self.caller_id, self.token))
        yield request


def provision_caller(database_url: str, env: Mapping[str, str], caller_id: str, role: str,
                     scope: str = "", name: str = "") -> TifAuth:
    """A caller through the same store the CLI uses (replacing one of that id, if any)."""
    from fundguard.runtime.errors import InvalidArgument
    from gateway.cli import open_store

    store = open_store(database_url, load_key(env))
    try:
        token = store.add(caller_id, role, scope, name)
    except InvalidArgument:
        token = store.rotate(caller_id)
    store.engine.dispose()
    return TifAuth(caller_id, token)
