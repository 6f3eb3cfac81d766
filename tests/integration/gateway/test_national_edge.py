"""The national interface's own path through the edge (decision 0023): its limits, its
failures and its place in the in-flight gate, each answered in the national envelope."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from gateway.config import GatewayConfig
from tests.integration.gateway.conftest import CALLERS, NATIONAL, Gateway, build_gateway
from tests.integration.gateway.test_national_http import sample

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def narrow(migrated_url: str, upstream_addrs: dict[str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with a small body limit and a small per-caller rate, for two platforms."""
    config = GatewayConfig(rate=0.5, burst=3, max_body=40_000, max_inflight=64)
    with build_gateway(migrated_url, tmp_path_factory.mktemp("narrow"), upstream_addrs, config,
                       {k: CALLERS[k] for k in ("platform-32", "platform-11")}, "narrow-") as g:
        yield g


def refused(r: object, status: int, text: str) -> None:
    reply = r.json()  # type: ignore[attr-defined]
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert reply["infcode"] == -1 and text in reply["err_msg"], reply
    assert set(reply) == {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"}


def test_bodies_over_the_limit_are_refused_declared_or_streamed(narrow: Gateway) -> None:
    body = json.dumps({**sample("01-clean-outpatient"), "pad": "x" * 50_000}).encode()
    refused(narrow.as_("platform-32", "POST", NATIONAL, content=body), 413, "body: larger than 40000 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(body), 8192):
            yield body[i:i + 8192]

    r = narrow.as_("platform-11", "POST", NATIONAL, content=chunks())
    refused(r, 413, "body: larger than 40000 bytes")
    assert narrow.app.state.edge.gate.inflight == 0


def test_a_callers_rate_is_limited_in_the_national_shape(narrow: Gateway) -> None:
    codes = []
    for _ in range(5):
        r = narrow.as_("platform-32", "POST", NATIONAL, json=sample("01-clean-outpatient"))
        codes.append(r.status_code)
    assert codes[-1] == 429 and 200 in codes
    refused(r, 429, "rate limit for caller narrow-platform-32")
    assert int(r.headers["retry-after"]) >= 1


def test_at_capacity_the_answer_is_429_at_once(gw: Gateway) -> None:
    with gw.at_capacity():
        r = gw.role("platform", "POST", NATIONAL, json=sample("01-clean-outpatient"))
        refused(r, 429, "at capacity")
        assert r.headers["retry-after"] == "1"
    assert gw.app.state.edge.gate.inflight == 0


def test_an_unexpected_failure_is_a_logged_500_without_internals(gw: Gateway, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(gw.app.state.edge.analyses, "analyze", broken)
    r = gw.role("platform", "POST", NATIONAL, json=sample("01-clean-outpatient"))
    refused(r, 500, "internal error; the incident is logged")
    assert "secret" not in r.text and "Traceback" not in r.text
    logged = [rec for rec in caplog.records if rec.getMessage() == "unhandled error in the gateway"]
    assert logged and logged[-1].exc_info and "secret internal detail" in str(logged[-1].exc_info[1])
    assert gw.app.state.edge.gate.inflight == 0


def test_other_methods_on_the_national_path_are_not_allowed(gw: Gateway) -> None:
    r = gw.role("platform", "GET", NATIONAL)
    assert r.status_code == 405
