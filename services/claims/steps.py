"""Spans for later steps in a claim's life (publication, appeal, review, confirmation,
deduction, reversal), carrying the claim id and linked to the trace the claim arrived with,
so one query by ``fundguard.claim_id`` shows the claim's whole life.

(The shared runtime gains the same helper as ``telemetry.claim_step``; this one keeps claims
independent of that change.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fundguard.runtime.telemetry import CLAIM_ID, INSTITUTION_CODE, RULE_ID

tracer = trace.get_tracer("fundguard.claims")


def _links(traceparent: str) -> list[Link]:
    if not traceparent:
        return []
    ctx = trace.get_current_span(TraceContextTextMapPropagator().extract({"traceparent": traceparent}))
    sc = ctx.get_span_context()
    return [Link(sc)] if sc.is_valid else []


@contextmanager
def claim_step(name: str, row: Mapping[str, Any], traceparent: str,
               attributes: Mapping[str, Any] | None = None) -> Iterator[trace.Span]:
    """``row`` is a finding or claim row (claim_id, institution_code, and rule_id if a finding)."""
    attrs = {CLAIM_ID: row["claim_id"], INSTITUTION_CODE: row.get("institution_code", ""),
             RULE_ID: row.get("rule_id", ""), "fundguard.finding_id": row.get("finding_id", ""),
             **(attributes or {})}
    with tracer.start_as_current_span(name, links=_links(traceparent),
                                      attributes={k: v for k, v in attrs.items() if v not in ("", None)}) as span:
        yield span
