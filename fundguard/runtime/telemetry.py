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
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Observation
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
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

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
        lines = [_ENCODE(span_record(s)) for s in spans]
        with self._lock:
            if self._file.closed:
                return SpanExportResult.FAILURE
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


# One encoder, not json.dumps's per call, and each span field read once: every span of every
# process passes here (~9 us a span; this saves ~1 us of it).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_KIND_NAMES = {kind: kind.name for kind in SpanKind}
_STATUS_NAMES = {code: code.name for code in StatusCode}


def span_record(span: ReadableSpan) -> dict[str, object]:
    ctx = span.context
    assert ctx is not None
    parent = span.parent
    attributes = span.attributes
    return {
        "name": span.name,
        "service": span.resource.attributes.get("service.name", ""),
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_span_id": f"{parent.span_id:016x}" if parent else None,
        "kind": _KIND_NAMES[span.kind],
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": _STATUS_NAMES[span.status.status_code],
        "attributes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in attributes.items()} if attributes else {},
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ] if span.links else [],
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


class StatementSpans:
    """One CLIENT span per SQL statement, in place of opentelemetry-instrumentation-sqlalchemy.

    Switching the library off saved 1-3 ms of CPU per 3101 check summed over the processes
    (measurements vary), and most of its work told nothing new: a "connect" span on every pool checkout, the URL parsed and the
    cursor's connection questioned on every statement, seven attributes set one call at a
    time, and two metric records on every checkout and checkin. Here the attributes that do
    not change (system, database, user, server) are worked out once per engine, from its
    first statement's connection, and each statement's span is started with them and the
    statement text in one call. Pool usage is read from the pool when metrics are collected
    (``db.client.connections.usage``), not counted on every checkout.

    The span is the library's: named "<first word> <database>" (``SELECT postgres``), kind
    CLIENT, ``db.system``, ``db.name``, ``db.user``, ``net.peer.*`` and ``db.statement``
    (``db.namespace`` and ``db.query.text`` as well or instead when
    OTEL_SEMCONV_STABILITY_OPT_IN has ``database/dup`` or ``database``); a statement that
    fails ends its span with status ERROR and the error's text."""

    _ATTRS = "_fundguard_statement_attributes"  # per engine, in the Engine's own __dict__
    _SPAN = "_fundguard_statement_span"  # per statement, on SQLAlchemy's execution context

    def __init__(self, tracer_provider: trace.TracerProvider | None = None,
                 meter_provider: metrics.MeterProvider | None = None) -> None:
        self.tracer = trace.get_tracer("fundguard.db", tracer_provider=tracer_provider)
        opt_in = {m.strip() for m in os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "").split(",")}
        self.new = bool(opt_in & {"database", "database/dup"})
        self.old = not self.new or "database/dup" in opt_in
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()
        self.targets: list[Any] = []
        m = metrics.get_meter("fundguard.db", meter_provider=meter_provider)
        m.create_observable_up_down_counter("db.client.connections.usage", [self._usage], unit="connections",
                                            description="connections in each engine's pool, by state (idle, used)")

    def listen(self, target: Any = None) -> StatementSpans:
        """Trace the statements of ``target``: one engine, or (default) every engine."""
        from sqlalchemy import event
        target = Engine if target is None else target
        event.listen(target, "before_cursor_execute", self._before, retval=True)
        event.listen(target, "after_cursor_execute", self._after)
        event.listen(target, "handle_error", self._failed)
        self.targets.append(target)
        return self

    def remove(self) -> None:
        from sqlalchemy import event

        for target in self.targets:
            event.remove(target, "before_cursor_execute", self._before)
            event.remove(target, "after_cursor_execute", self._after)
            event.remove(target, "handle_error", self._failed)
        self.targets.clear()

    def _engine_attributes(self, engine: Engine, cursor: Any) -> tuple[dict[str, Any], str, str]:
        """What every statement of this engine shares. The URL may leave the server and
        database to libpq (a Unix socket in the query string, defaults), so psycopg2's
        connection says which it reached; other drivers fall back on the URL."""
        url = engine.url
        info = getattr(getattr(cursor, "connection", None), "info", None)
        system = "postgresql" if engine.dialect.name.startswith("postgres") else engine.dialect.name
        database = getattr(info, "dbname", None) or url.database or ""
        host = getattr(info, "host", None) or url.host or ""
        port = getattr(info, "port", None) or url.port
        attrs: dict[str, Any] = {}
        if self.old:
            attrs["db.system"] = system
            attrs["db.name"] = database
        if self.new:
            attrs["db.system.name"] = system
            attrs["db.namespace"] = database
        if url.username and self.old:
            attrs["db.user"] = url.username
        if host.startswith("/"):  # a Unix socket: PostgreSQL names its file after the port
            attrs["net.transport"] = "other"
            peer: str = os.path.join(host, f".s.PGSQL.{port}") if port else host
            if self.old:
                attrs["net.peer.name"] = peer
            if self.new:
                attrs["server.address"] = peer
        elif host:
            attrs["net.transport"] = "ip_tcp"
            if self.old:
                attrs["net.peer.name"] = host
                if port:
                    attrs["net.peer.port"] = int(port)
            if self.new:
                attrs["server.address"] = host
                if port:
                    attrs["server.port"] = int(port)
        # The attributes, what follows the operation in a span's name, and the name of a
        # statement with no operation word (the library's choices).
        shared = (attrs, f" {database}" if database else "", database or system)
        engine.__dict__[self._ATTRS] = shared
        self.engines.add(engine)
        return shared

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> tuple[str, Any]:
        engine = conn.engine
        attrs, suffix, bare = engine.__dict__.get(self._ATTRS) or self._engine_attributes(engine, cursor)
        text = statement.lstrip()
        if text.startswith("/*"):  # a leading comment does not name the operation
            text = text.partition("*/")[2].lstrip()
        verb = text.split(None, 1)[0].rstrip(";") if text else ""  # "BEGIN; EXECUTE ..." is a BEGIN
        attributes = dict(attrs)
        if self.old:
            attributes["db.statement"] = statement
        if self.new:
            attributes["db.query.text"] = statement
        span = self.tracer.start_span(verb + suffix if verb else bare, kind=SpanKind.CLIENT, attributes=attributes)
        if context is not None:
            setattr(context, self._SPAN, span)
        return statement, parameters

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        span = getattr(context, self._SPAN, None)
        if span is not None:
            span.end()

    def _failed(self, exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, self._SPAN, None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, str(exception_context.original_exception)))
            span.end()

    def _usage(self, options: CallbackOptions) -> Iterator[Observation]:
        for engine in list(self.engines):
            pool = engine.pool
            url = engine.url  # named as the library named it: no user, no query
            name = pool.logging_name or f"{url.drivername}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
            checkedin, checkedout = getattr(pool, "checkedin", None), getattr(pool, "checkedout", None)
            if callable(checkedin) and callable(checkedout):
                yield Observation(checkedin(), {"pool.name": name, "state": "idle"})
                yield Observation(checkedout(), {"pool.name": name, "state": "used"})


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


_grpc_server_spans = False


def traces_grpc_server() -> bool:
    """Whether gRPC servers made from now on trace each RPC (setup ran, telemetry on, and
    grpc_server not switched off)."""
    return _grpc_server_spans


def _instrument() -> None:
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcInstrumentorClient

    global _grpc_server_spans
    off = disabled_instrumentations()
    # gRPC servers: the span is made by our own interceptor (fundguard.runtime.server.RpcSpans),
    # which every service has anyway, not by a second interceptor of the library's.
    _grpc_server_spans = "grpc_server" not in off
    if "grpc_client" not in off:
        GrpcInstrumentorClient(filter_=not_probe).instrument()
        GrpcAioInstrumentorClient(filter_=not_probe).instrument()
    if "sqlalchemy" not in off:
        # Our own lean statement spans, not opentelemetry-instrumentation-sqlalchemy: the same
        # span per statement without the library's per-checkout work (see StatementSpans).
        StatementSpans().listen()


def fastapi_telemetry() -> TelemetryConfig:
    """The gateway's ``FastAPI(telemetry=...)``: FastAPI's own telemetry, in place of
    opentelemetry-instrumentation-fastapi, which cost twice as much CPU per request (~200
    against ~110 us). One SERVER span per HTTP request named "<method> <route>" (as before),
    with the stable HTTP attributes (``http.request.method``, ``http.route``,
    ``http.response.status_code``, ``url.path``...), and the ``http.server.request.duration``
    and ``http.server.active_requests`` metrics. No span per dependency, endpoint or
    serialisation step (``operation_spans``), and no OpenTelemetry log records: failures are
    in our own JSON log. Off with OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=fastapi; with
    OTEL_SDK_DISABLED no provider is installed, which FastAPI takes as off."""
    on = "fastapi" not in disabled_instrumentations()
    return {"tracing": on, "metrics": on, "logs": False, "operation_spans": False}


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
