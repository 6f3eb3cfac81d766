"""RPC metrics: one duration record per RPC, the request count read when metrics are collected."""

from __future__ import annotations

import time
from typing import Any

import grpc
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from fundguard.runtime.server import RpcMetrics


class Context:
    def __init__(self, code: grpc.StatusCode | None) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode | None:
        return self._code


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple[str, int], Any]:
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[tuple[str, int], Any] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name == name:
                    for p in m.data.data_points:
                        attrs: dict[str, Any] = dict(p.attributes or {})
                        found[(str(attrs["rpc.method"]), int(attrs["rpc.grpc.status_code"]))] = p
    return found


def test_requests_and_durations_by_method_and_status() -> None:
    reader = InMemoryMetricReader()
    rpc = RpcMetrics(MeterProvider(metric_readers=[reader]).get_meter("t"))
    started = time.perf_counter()
    for _ in range(3):
        rpc.record("/fundguard.claims.v1.ClaimsService/Analyze", started, Context(None), failed=False)  # type: ignore[arg-type]
    rpc.record("/fundguard.claims.v1.ClaimsService/Analyze", started, Context(None), failed=True)  # type: ignore[arg-type]
    rpc.record("/fundguard.rules.v1.RulesService/Evaluate", started,
               Context(grpc.StatusCode.INVALID_ARGUMENT), failed=True)  # type: ignore[arg-type]

    ok, unknown, invalid = ("Analyze", 0), ("Analyze", 2), ("Evaluate", 3)
    requests = points(reader, "rpc.server.requests")
    assert {k: p.value for k, p in requests.items()} == {ok: 3, unknown: 1, invalid: 1}
    assert requests[invalid].attributes == {"rpc.system": "grpc", "rpc.service": "fundguard.rules.v1.RulesService",
                                            "rpc.method": "Evaluate", "rpc.grpc.status_code": 3}
    durations = points(reader, "rpc.server.duration")
    assert {k: p.count for k, p in durations.items()} == {ok: 3, unknown: 1, invalid: 1}
    assert durations[ok].sum >= 0

    # The count is cumulative: a second collection sees the first's requests too.
    rpc.record("/fundguard.claims.v1.ClaimsService/Analyze", started, Context(None), failed=False)  # type: ignore[arg-type]
    assert points(reader, "rpc.server.requests")[ok].value == 4
