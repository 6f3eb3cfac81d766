"""Server spans made by our own interceptor (RpcSpans): the caller's child, current while
the servicer runs, the status the server is to blame for marked as an error."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry import propagate
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fundguard.runtime.errors import InvalidArgument
from fundguard.runtime.server import RpcInterceptor, RpcSpans

METHOD = "/bench.Echo/Say"


class World:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("test")

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@pytest.fixture()
def world() -> Iterator[tuple[World, grpc.Channel]]:
    w = World()

    def say(request: bytes, context: grpc.ServicerContext) -> bytes:
        with w.tracer.start_as_current_span("inside"):  # the servicer's own work
            pass
        if request == b"bad":
            raise InvalidArgument([])
        if request == b"boom":
            raise RuntimeError("boom")
        return request

    def ident(b: bytes) -> bytes:
        return b

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                         interceptors=[RpcInterceptor(spans=RpcSpans(w.provider))])
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "bench.Echo", {"Say": grpc.unary_unary_rpc_method_handler(say, ident, ident)})])
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield w, channel
    channel.close()
    server.stop(None)


def call(channel: grpc.Channel, body: bytes, metadata: Any = None) -> bytes:
    def ident(b: bytes) -> bytes:
        return b

    result: bytes = channel.unary_unary(METHOD, request_serializer=ident, response_deserializer=ident)(
        body, timeout=5, metadata=metadata)
    return result


def test_the_server_span_is_the_callers_child_and_the_servicers_parent(world: tuple[World, grpc.Channel]) -> None:
    w, channel = world
    with w.tracer.start_as_current_span("caller", kind=SpanKind.CLIENT) as caller:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        assert call(channel, b"hi", tuple(carrier.items())) == b"hi"
    by_name = {s.name: s for s in w.spans()}
    server, inside = by_name[METHOD], by_name["inside"]
    assert server.kind is SpanKind.SERVER
    assert server.parent is not None and server.parent.span_id == caller.get_span_context().span_id
    assert server.context is not None and server.context.trace_id == caller.get_span_context().trace_id
    assert inside.parent is not None and inside.parent.span_id == server.context.span_id
    attrs = dict(server.attributes or {})
    assert attrs["rpc.system"] == "grpc" and attrs["rpc.service"] == "bench.Echo" and attrs["rpc.method"] == "Say"
    assert attrs["rpc.grpc.status_code"] == 0
    assert attrs["net.peer.ip"] == "127.0.0.1" and attrs["net.peer.name"] == "localhost"
    assert str(attrs["rpc.user_agent"]).startswith("grpc-python")
    assert server.status.status_code is StatusCode.UNSET


def test_the_callers_fault_is_not_an_error_and_the_servers_is(world: tuple[World, grpc.Channel]) -> None:
    w, channel = world
    with pytest.raises(grpc.RpcError) as bad:
        call(channel, b"bad")
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as boom:
        call(channel, b"boom")
    assert boom.value.code() is grpc.StatusCode.INTERNAL
    invalid, internal = [s for s in w.spans() if s.name == METHOD]
    assert invalid.attributes is not None and invalid.attributes["rpc.grpc.status_code"] == 3
    assert invalid.status.status_code is StatusCode.UNSET
    assert internal.attributes is not None and internal.attributes["rpc.grpc.status_code"] == 13
    assert internal.status.status_code is StatusCode.ERROR
    assert internal.parent is None  # no caller's context: a root span


def test_health_probes_are_not_traced(world: tuple[World, grpc.Channel]) -> None:
    w, channel = world
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert w.spans() == []


def test_without_spans_the_interceptor_still_guards_and_traces_nothing() -> None:
    interceptor = RpcInterceptor()  # telemetry.setup has not run: no server spans
    assert interceptor.spans is None
