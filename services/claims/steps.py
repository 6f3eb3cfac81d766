"""Spans for later steps in a claim's life (publication, appeal, review, confirmation,
deduction, reversal): the shared ``telemetry.claim_step``, fed from a claim or finding row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.engine import Connection

from fundguard.runtime import telemetry
from services.claims.store.tables import claims


def traceparents(conn: Connection, claim_ids: Sequence[str]) -> dict[str, str]:
    """The trace context each claim first arrived with, to link later steps to."""
    rows = conn.execute(sa.select(claims.c.claim_id, claims.c.traceparent)
                        .where(claims.c.claim_id.in_(list(set(claim_ids))))).all()
    return {r.claim_id: r.traceparent for r in rows}


@contextmanager
def claim_step(name: str, row: Mapping[str, Any], traceparent: str,
               attributes: Mapping[str, Any] | None = None) -> Iterator[trace.Span]:
    """``row`` is a finding or claim row (claim_id, institution_code, and rule_id if a finding)."""
    attrs = {telemetry.INSTITUTION_CODE: row.get("institution_code", ""), telemetry.RULE_ID: row.get("rule_id", ""),
             telemetry.FINDING_ID: row.get("finding_id", ""), telemetry.DOCTOR_CODE: row.get("doctor_code", ""),
             **(attributes or {})}
    with telemetry.claim_step(name, row["claim_id"], traceparent, attrs) as span:
        yield span


def mark_claims(claim_ids: set[str]) -> None:
    """Name the claims an RPC is about on its own server span: one claim by id (so the trace of
    its arrival is found by ``fundguard.claim_id``), a bulk upload by count only."""
    span = trace.get_current_span()
    if len(claim_ids) == 1:
        span.set_attribute(telemetry.CLAIM_ID, next(iter(claim_ids)))
    elif claim_ids:
        span.set_attribute(telemetry.CLAIM_COUNT, len(claim_ids))
