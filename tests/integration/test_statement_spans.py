"""Our own statement spans (telemetry.StatementSpans): one CLIENT span per statement with the
database attributes, errors marked, no span per pool checkout, pool usage read at collection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.engine import Engine, make_url

from fundguard.runtime import telemetry
from fundguard.runtime.db import create_engine


class Traced:
    def __init__(self, url: str) -> None:
        self.spans = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.engine: Engine = create_engine(url)
        self.statements = telemetry.StatementSpans(self.provider, MeterProvider(metric_readers=[self.reader]))
        self.statements.listen(self.engine)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture()
def traced(database_url: str) -> Iterator[Traced]:
    t = Traced(database_url)
    yield t
    t.statements.remove()
    t.engine.dispose()


def test_each_statement_is_one_client_span_with_the_database_attributes(traced: Traced, database_url: str) -> None:
    tracer = traced.provider.get_tracer("t")
    with tracer.start_as_current_span("request") as request, traced.engine.connect() as conn:
        conn.exec_driver_sql("SELECT %(n)s", {"n": 1})
        conn.execute(sa.text("/* a comment */ select 2"))
        conn.exec_driver_sql("BEGIN; SELECT 3")  # several statements: named by the first
        conn.rollback()
    spans = traced.finished()
    statements = [s for s in spans if s.name != "request"]
    database = make_url(database_url).database
    # The checkout itself is no span: only the statements are (the rollback is not a statement).
    assert [s.name for s in statements] == [f"SELECT {database}", f"select {database}", f"BEGIN {database}"]
    for span in statements:
        assert span.kind is SpanKind.CLIENT
        assert span.parent is not None and span.parent.span_id == request.get_span_context().span_id
        assert span.context is not None and span.context.trace_id == request.get_span_context().trace_id
        assert span.status.status_code is StatusCode.UNSET
        attrs = dict(span.attributes or {})
        assert attrs["db.system"] == "postgresql"
        assert attrs["db.name"] == database
        assert attrs["net.peer.name"]
    assert statements[0].attributes is not None and statements[0].attributes["db.statement"] == "SELECT %(n)s"
    assert statements[1].attributes is not None
    assert statements[1].attributes["db.statement"] == "/* a comment */ select 2"


def test_a_failing_statement_ends_its_span_as_an_error(traced: Traced) -> None:
    with pytest.raises(sa.exc.ProgrammingError), traced.engine.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
    [span] = traced.finished()
    assert span.name.startswith("SELECT ")
    assert span.status.status_code is StatusCode.ERROR
    assert "no_such_table" in (span.status.description or "")
    assert span.end_time is not None


def test_the_newer_conventions_when_an_operator_opts_in(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http,database/dup")
    t = Traced(database_url)
    try:
        with t.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        [span] = t.finished()
        attrs = dict(span.attributes or {})
        assert attrs["db.statement"] == attrs["db.query.text"] == "SELECT 1"
        assert attrs["db.name"] == attrs["db.namespace"] == make_url(database_url).database
    finally:
        t.statements.remove()
        t.engine.dispose()


def test_pool_usage_is_read_from_the_pool_when_metrics_are_collected(traced: Traced) -> None:
    with traced.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        held = traced.engine.connect()  # a second connection, still checked out at collection
        held.exec_driver_sql("SELECT 1")
        data = traced.reader.get_metrics_data()
        held.close()
    assert data is not None
    points: list[Any] = [p for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
              if m.name == "db.client.connections.usage" for p in m.data.data_points]
    by_state = {p.attributes["state"]: p.value for p in points if p.attributes}
    assert by_state == {"used": 2, "idle": 0}


def test_removed_listeners_trace_nothing(traced: Traced) -> None:
    traced.statements.remove()
    with traced.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert traced.finished() == []
