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
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

CLAIM_ID = "fundguard.claim_id"
INSTITUTION_CODE = "fundguard.institution_code"
DOCTOR_CODE = "fundguard.doctor_code"
RULE_ID = "fundguard.rule_id"

_provider: TracerProvider | None = None
_lock = threading.Lock()


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


def setup(service: str, data_dir: Path, otlp_endpoint: str | None = None) -> TracerProvider:
    """Install tracing for this process and instrument gRPC, SQLAlchemy and FastAPI."""
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", f"fundguard-{service}")})
        provider = TracerProvider(resource=resource)  # the sampler comes from OTEL_TRACES_SAMPLER
        exporter: SpanExporter
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_* itself
        else:
            exporter = JsonLinesSpanExporter(span_dir(data_dir) / f"{service}-{os.getpid()}.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
        trace.set_tracer_provider(provider)
        _instrument()
        _provider = provider
        return provider


def _instrument() -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient, GrpcInstrumentorServer, filters
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # Health and reflection calls are probes, not work: keep them out of the traces.
    not_probe = filters.negate(filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection")))
    GrpcInstrumentorServer(filter_=not_probe).instrument()
    GrpcInstrumentorClient(filter_=not_probe).instrument()
    # The instrumentation declares SQLAlchemy < 2.1 but works with 2.1's unchanged event API.
    SQLAlchemyInstrumentor().instrument(skip_dep_check=True)
    FastAPIInstrumentor().instrument()


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
