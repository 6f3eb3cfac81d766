"""Sampling keeps findings; later steps link back to the claim's first trace."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

from fundguard.runtime import telemetry


def _provider(delegate: object) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=telemetry.FindingsAwareSampler(delegate))  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_a_step_with_findings_is_kept_even_when_sampling_drops_everything_else() -> None:
    provider, exporter = _provider(ALWAYS_OFF)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("gateway request"):
        with tracer.start_as_current_span("claims.analyze_claim", attributes={telemetry.FINDINGS: 2}):
            pass
        with tracer.start_as_current_span("claims.analyze_claim", attributes={telemetry.FINDINGS: 0}):
            pass
    assert [s.name for s in exporter.get_finished_spans()] == ["claims.analyze_claim"]


def test_a_later_step_links_to_the_trace_the_claim_arrived_with() -> None:
    provider, exporter = _provider(ALWAYS_ON)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("upload") as first:
        traceparent = telemetry.current_traceparent()
    with telemetry.claim_step("claims.publish", "H1-E1", traceparent, {telemetry.RULE_ID: "R-X"}, tracer=tracer):
        pass
    later = exporter.get_finished_spans()[-1]
    assert later.attributes is not None and later.attributes[telemetry.CLAIM_ID] == "H1-E1"
    assert [link.context.trace_id for link in later.links] == [first.get_span_context().trace_id]
    assert later.context is not None and later.context.trace_id != first.get_span_context().trace_id


def test_health_and_reflection_calls_are_not_traced_and_work_is() -> None:
    from types import SimpleNamespace

    import grpc

    from fundguard.runtime.telemetry import not_probe

    class ServerSide(grpc.HandlerCallDetails):
        def __init__(self, method: str) -> None:
            self.method = method
            self.invocation_metadata = ()

    for details in (ServerSide, lambda m: SimpleNamespace(full_method=m), lambda m: SimpleNamespace(method=m.encode())):
        assert not not_probe(details("/grpc.health.v1.Health/Check"))
        assert not not_probe(details("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"))
        assert not_probe(details("/fundguard.claims.v1.ClaimsService/Analyze"))
        assert not_probe(details("/fundguard.claims.v1.ClaimsService/GetClaim"))


def test_an_operator_can_switch_off_named_instrumentations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", " sqlalchemy, fastapi ,")
    assert telemetry.disabled_instrumentations() == {"sqlalchemy", "fastapi"}
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "sqlalchemy,redis")
    with pytest.raises(ValueError, match="redis"):
        telemetry.disabled_instrumentations()
    monkeypatch.delenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS")
    assert telemetry.disabled_instrumentations() == set()


def test_the_gateway_uses_fastapis_own_telemetry_without_operation_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    monkeypatch.delenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", raising=False)
    config = telemetry.fastapi_telemetry()
    assert config["tracing"] and config["metrics"] and not config["operation_spans"] and not config["logs"]

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI(telemetry={**config, "tracer_provider": provider})

    @app.post("/fsi/api/rsfComIfsService/callService")
    def call() -> dict[str, int]:
        return {"infcode": 0}

    with TestClient(app) as client:
        assert client.post("/fsi/api/rsfComIfsService/callService").status_code == 200
    # One server span per request, as the e2e trace tests expect it; nothing per operation.
    [span] = exporter.get_finished_spans()
    assert span.name == "POST /fsi/api/rsfComIfsService/callService"
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 200

    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "fastapi")
    off = telemetry.fastapi_telemetry()
    assert not off["tracing"] and not off["metrics"]
