"""Concurrent 3101/3102 checks gathered into one call to claims.

A real-time check costs claims, rules, physician_codes and PostgreSQL mostly per call, not
per fee line: a 1-line and a 50-line check cost about the same. So the gateway keeps a few
calls in flight and lets the checks that arrive meanwhile wait and go together, in one
``AnalyzeBatch``. No timer: an idle gateway sends a check alone at once (as ``Analyze``, in
the request's own trace), and the busier it gets, the more each call carries. Claims answers
every item exactly as it would answer it alone, and one item's failure is only that item's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.runtime import telemetry
from fundguard.runtime.errors import StatusError
from gateway import national
from gateway.upstreams import DeadlinePassed, call

log = logging.getLogger(__name__)
tracer = trace.get_tracer("fundguard.gateway")


@dataclass(eq=False)
class Waiting:
    """A check waiting for a place in a call, with what it needs to go alone or together."""

    request: claims_pb2.AnalyzeRequest
    deadline: float
    lines: int
    context: otel_context.Context  # the HTTP request's, for a check that goes alone
    span: SpanContext              # the HTTP request's span, linked from a batch's span
    traceparent: str
    answer: asyncio.Future[claims_pb2.AnalyzeResponse]


async def _next_call_first() -> None:
    """Let a call to claims just started go out before this task goes on to hand out the
    answers of the one that ended. A grpc.aio call starts in a task of its own: without this
    turn of the event loop it would wait behind the waiting requests' responses (each
    translated, encoded and sent, ~0.3 ms of CPU), and claims would sit idle meanwhile."""
    await asyncio.sleep(0)


class AnalysisBatcher:
    """Sends checks to claims with at most ``in_flight`` calls outstanding; checks that find
    every place taken wait, and the next free place takes as many of them as fit in
    ``max_items`` and ``max_lines``: 1,000 lines of the checks themselves keep a call, with the
    history claims adds to it (often as much again or more), within the 5,000 lines the rules
    service screens on its fast path (docs/rules.md)."""

    def __init__(self, claims: Callable[[], claims_pb2_grpc.ClaimsServiceStub], in_flight: int = 1,
                 max_items: int = 32, max_lines: int = 1000) -> None:
        self.claims = claims
        self.in_flight_limit = in_flight
        self.max_items = max_items
        self.max_lines = max_lines
        self.in_flight = 0
        self.waiting: deque[Waiting] = deque()
        self.batches_supported = True  # until a claims replica without AnalyzeBatch says so
        self.sent_together = 0  # checks answered through AnalyzeBatch since start
        self.batch_size = telemetry.meter("fundguard.gateway").create_histogram(
            "gateway.analysis.batch_size", unit="{check}",
            description="3101/3102 checks per call to claims (1: sent alone)")
        self._tasks: set[asyncio.Task[None]] = set()

    async def analyze(self, request: claims_pb2.AnalyzeRequest, deadline: float,
                      nul_checked: bool = False) -> claims_pb2.AnalyzeResponse:
        if not nul_checked:
            national.refuse_nul(request)
        if self.in_flight < self.in_flight_limit and not self.waiting:
            self.in_flight += 1
            try:
                self.batch_size.record(1)
                reply = await self._alone(request, deadline)
            finally:
                started = self._give_back_place()
            if started:
                await _next_call_first()
            return reply
        waiting = Waiting(request, deadline, sum(len(e.lines) for c in request.cases for e in c.encounters),
                          otel_context.get_current(), trace.get_current_span().get_span_context(),
                          telemetry.current_traceparent(), asyncio.get_running_loop().create_future())
        self.waiting.append(waiting)
        self._dispatch()
        try:
            # Waiting counts against the request's deadline too; the check, left in the
            # queue with its answer cancelled, is skipped when its turn comes.
            return await asyncio.wait_for(waiting.answer, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise DeadlinePassed() from None

    async def _alone(self, request: claims_pb2.AnalyzeRequest, deadline: float) -> claims_pb2.AnalyzeResponse:
        return await call(self.claims().Analyze, request, deadline, "ClaimsService/Analyze", nul_checked=True)

    def _give_back_place(self) -> bool:
        """A call has ended: its place goes to the checks that wait; True if a call was started."""
        self.in_flight -= 1
        return self._dispatch()

    def _dispatch(self) -> bool:
        """Fill the free places with the checks that wait, oldest first; True if a call was
        started."""
        started = False
        while self.waiting and self.in_flight < self.in_flight_limit:
            batch = self._take()
            if not batch:
                continue
            self.in_flight += 1
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started = True
        return started

    def _take(self) -> list[Waiting]:
        batch: list[Waiting] = []
        lines = 0
        while self.waiting and len(batch) < self.max_items:
            w = self.waiting[0]
            if batch and lines + w.lines > self.max_lines:
                break
            self.waiting.popleft()
            if w.answer.done():  # the caller gave up (disconnected)
                continue
            if w.deadline <= time.monotonic():  # the clock of upstreams.remaining
                w.answer.set_exception(DeadlinePassed())
                continue
            batch.append(w)
            lines += w.lines
        return batch

    async def _send(self, batch: list[Waiting]) -> None:
        self.batch_size.record(len(batch))
        placed = True  # this call's place, until given back
        try:
            if len(batch) == 1 or not self.batches_supported:
                await asyncio.gather(*(self._send_alone(w) for w in batch))
                return
            try:
                replies = await self._send_together(batch)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                    raise
                # A claims replica older than AnalyzeBatch (a rolling upgrade): one by one.
                log.warning("claims has no AnalyzeBatch; sending real-time checks one by one")
                self.batches_supported = False
                await asyncio.gather(*(self._send_alone(w) for w in batch))
                return
            self.sent_together += len(batch)
            placed = False
            if self._give_back_place():
                await _next_call_first()
            for w, outcome in zip(batch, replies.outcomes, strict=True):
                if w.answer.done():
                    continue
                if outcome.HasField("response"):
                    w.answer.set_result(outcome.response)
                else:
                    w.answer.set_exception(StatusError(outcome.error, "ClaimsService/Analyze"))
        except Exception as exc:  # every waiting caller gets an answer, whatever went wrong
            for w in batch:
                if not w.answer.done():
                    w.answer.set_exception(exc)
        finally:
            for w in batch:  # cancelled (the gateway stopping): no caller waits forever
                if not w.answer.done():
                    w.answer.cancel()
            if placed:
                self._give_back_place()

    async def _send_alone(self, w: Waiting) -> None:
        token = otel_context.attach(w.context)
        try:
            reply = await self._alone(w.request, w.deadline)
        except (grpc.RpcError, DeadlinePassed) as exc:
            if not w.answer.done():
                w.answer.set_exception(exc)
            return
        finally:
            otel_context.detach(token)
        if not w.answer.done():
            w.answer.set_result(reply)

    async def _send_together(self, batch: list[Waiting]) -> claims_pb2.AnalyzeBatchResponse:
        request = claims_pb2.AnalyzeBatchRequest(items=[
            claims_pb2.AnalyzeBatchItem(request=w.request, traceparent=w.traceparent) for w in batch])
        # The batch's own trace, linked to each request's: each check's claims join its
        # request's trace on the claims side (the item's traceparent).
        with tracer.start_as_current_span(
                "gateway.analyze_batch", context=otel_context.Context(),
                links=[Link(w.span) for w in batch if w.span.is_valid],
                attributes={"fundguard.batch_size": len(batch)}):
            return await call(self.claims().AnalyzeBatch, request, min(w.deadline for w in batch),
                              "ClaimsService/AnalyzeBatch", nul_checked=True)
