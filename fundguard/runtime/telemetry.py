"""One telemetry bootstrap for every process.

Call :func:`setup` before any gRPC server, channel, SQLAlchemy engine or FastAPI app is
created: it installs the tracer provider and instruments all four. Spans go to an OTLP
endpoint when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, otherwise to JSON lines under
``<data dir>/spans`` so that ``fundguard trace CLAIM_ID`` works with no backend.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    Decision,
    Sampler,
    SamplingResult,
    _get_from_env_or_default,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

# The attribute registry (docs/telemetry.md): every Fundguard-specific span attribute.
CLAIM_ID = "fundguard.claim_id"
INSTITUTION_CODE = "fundguard.institution_code"
DOCTOR_CODE = "fundguard.doctor_code"
RULE_ID = "fundguard.rule_id"
FINDING_ID = "fundguard.finding_id"
FINDINGS = "fundguard.findings"  # how many findings a step produced for the claim
AUDIT_RUN_ID = "fundguard.audit_run_id"
CASE_ID = "fundguard.case_id"
AGENCY = "fundguard.agency"
CLAIM_COUNT = "fundguard.claim_count"

_provider: TracerProvider | None = None
_lock = threading.Lock()


class FindingsAwareSampler(Sampler):
    """The configured sampler (OTEL_TRACES_SAMPLER), except that a span which records
    findings about a claim is always kept: a claim with findings never drops out of the
    record of its path, even when its first trace was sampled out."""

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: Any = None) -> SamplingResult:
        found = (attributes or {}).get(FINDINGS)
        if isinstance(found, int) and found > 0:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return self.delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"FindingsAware{{{self.delegate.get_description()}}}"


def current_trace() -> tuple[str, str]:
    """The current span's trace id and W3C traceparent: what a claim stores when it arrives,
    so later steps can link back to it."""
    ctx = trace.get_current_span().get_span_context()
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return (format(ctx.trace_id, "032x") if ctx.is_valid else ""), carrier.get("traceparent", "")


def current_traceparent() -> str:
    return current_trace()[1]


def _link(traceparent: str) -> list[Link]:
    if not traceparent:
        return []
    ctx = trace.get_current_span(TraceContextTextMapPropagator().extract({"traceparent": traceparent}))
    span_context = ctx.get_span_context()
    return [Link(span_context)] if span_context.is_valid else []


def start_claim_span(name: str, claim_id: str, traceparent: str = "",
                     attributes: Mapping[str, Any] | None = None,
                     tracer: trace.Tracer | None = None) -> trace.Span:
    """A started (not current) span for a step in a claim's life, carrying the claim id and
    linked to the trace the claim arrived with; the caller ends it."""
    attrs = {CLAIM_ID: claim_id, **{k: v for k, v in (attributes or {}).items() if v not in (None, "")}}
    tracer = tracer or trace.get_tracer("fundguard")
    return tracer.start_span(name, links=_link(traceparent), attributes=attrs)


@contextmanager
def claim_step(name: str, claim_id: str, traceparent: str = "",
               attributes: Mapping[str, Any] | None = None,
               tracer: trace.Tracer | None = None) -> Iterator[trace.Span]:
    """A later step in a claim's life (audit, publication, appeal, deduction, points, case...)
    as the current span, tied to the claim as ``start_claim_span`` ties it."""
    with trace.use_span(start_claim_span(name, claim_id, traceparent, attributes, tracer), end_on_exit=True) as span:
        yield span


def meter(name: str) -> metrics.Meter:
    return metrics.get_meter(name)


def _start_metrics(metrics_addr: str | None, resource: Resource) -> None:
    """OpenTelemetry metrics, scraped by Prometheus at FUNDGUARD_METRICS_ADDR/metrics."""
    from opentelemetry.sdk.metrics import MeterProvider

    readers = []
    if metrics_addr:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server

        host, port = metrics_addr.rsplit(":", 1)
        start_http_server(int(port), addr=host.strip("[]"))
        readers.append(PrometheusMetricReader())
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def span_dir(data_dir: Path) -> Path:
    return data_dir / "spans"


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans as JSON lines to a file of this process's own."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(span_record(s), ensure_ascii=False) for s in spans]
        with self._lock:
            if self._file.closed:
                return SpanExportResult.FAILURE
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def span_record(span: ReadableSpan) -> dict[str, object]:
    ctx = span.context
    assert ctx is not None
    return {
        "name": span.name,
        "service": span.resource.attributes.get("service.name", ""),
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "kind": span.kind.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in (span.attributes or {}).items()},
        "links": [
            {"trace_id": format(link.context.trace_id, "032x"), "span_id": format(link.context.span_id, "016x")}
            for link in span.links
        ],
    }


def setup(service: str, data_dir: Path, otlp_endpoint: str | None = None,
          metrics_addr: str | None = None) -> TracerProvider:
    """Install tracing and metrics for this process; instrument gRPC, SQLAlchemy and FastAPI."""
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            # Telemetry off (the standard switch): no tracing, no instrumentation at all.
            _provider = TracerProvider(sampler=ALWAYS_OFF)
            return _provider
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", f"fundguard-{service}")})
        # The sampler named by OTEL_TRACES_SAMPLER, wrapped so that findings are always kept.
        provider = TracerProvider(resource=resource, sampler=FindingsAwareSampler(_get_from_env_or_default()))
        exporter: SpanExporter
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_* itself
        else:
            exporter = JsonLinesSpanExporter(span_dir(data_dir) / f"{service}-{os.getpid()}.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
        trace.set_tracer_provider(provider)
        _start_metrics(metrics_addr, resource)
        _instrument()
        _provider = provider
        return provider


PROBE_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def not_probe(call_details: Any) -> bool:
    """Whether a gRPC call is work to trace: health and reflection calls are probes, not work.
    Called on every call by the client and server interceptors, so one prefix test (the
    library's composed filters cost ~40 us a call, a few per request)."""
    method = getattr(call_details, "method", None) or getattr(call_details, "full_method", "")
    if isinstance(method, bytes):
        method = method.decode()
    return not str(method).startswith(PROBE_METHODS)


INSTRUMENTATIONS = ("grpc_server", "grpc_client", "sqlalchemy", "fastapi")


def disabled_instrumentations() -> set[str]:
    """The instrumentations named in OTEL_PYTHON_DISABLED_INSTRUMENTATIONS (the standard
    switch, comma-separated): an operator can drop, say, per-statement database spans."""
    named = {n.strip() for n in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",") if n.strip()}
    unknown = named - set(INSTRUMENTATIONS)
    if unknown:
        raise ValueError(f"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS: unknown {sorted(unknown)}; "
                         f"known are {', '.join(INSTRUMENTATIONS)}")
    return named


def _instrument() -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient, GrpcInstrumentorServer
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    off = disabled_instrumentations()
    if "grpc_server" not in off:
        GrpcInstrumentorServer(filter_=not_probe).instrument()
    if "grpc_client" not in off:
        GrpcInstrumentorClient(filter_=not_probe).instrument()
    if "sqlalchemy" not in off:
        # The instrumentation declares SQLAlchemy < 2.1 but works with 2.1's unchanged event API.
        SQLAlchemyInstrumentor().instrument(skip_dep_check=True)
    if "fastapi" not in off:
        # One server span per HTTP request; the per-message "http send/receive" child spans
        # would triple the gateway's span count and say nothing a server span does not.
        FastAPIInstrumentor().instrument(exclude_spans=["receive", "send"])


def shutdown() -> None:
    """Flush and close: called on SIGTERM after the server has stopped."""
    global _provider
    with _lock:
        if _provider is not None:
            _provider.force_flush()
            _provider.shutdown()
            _provider = None


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
