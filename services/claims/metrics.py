"""Claims' OpenTelemetry metrics: findings by rule and tier, audit-run throughput and lag,
outbox backlog. Ids are never labels (cardinality): rules and tiers are a bounded set."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy.engine import Engine

from fundguard.runtime import telemetry

_meter = telemetry.meter("fundguard.claims")
findings_recorded = _meter.create_counter(
    "fundguard.findings", unit="{finding}", description="findings recorded, by rule, tier and supervision moment")
audit_lines = _meter.create_counter(
    "fundguard.audit.lines", unit="{line}", description="fee lines judged by audit runs (rate = throughput)")


def count_findings(found: Iterable[Any], moment: str) -> None:
    counts: dict[tuple[str, str], int] = {}
    for f in found:
        counts[(f.rule_id, f.tier)] = counts.get((f.rule_id, f.tier), 0) + 1
    for (rule_id, tier), n in counts.items():
        findings_recorded.add(n, {"rule_id": rule_id, "tier": tier, "moment": moment})


def register_gauges(engine: Engine) -> None:
    """Backlog and lag, read from the database when Prometheus scrapes."""

    def outbox(_: CallbackOptions) -> Iterator[Observation]:
        with engine.connect() as conn:
            pending, oldest = conn.execute(sa.text(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                "FROM claims.outbox WHERE delivered_at IS NULL")).one()
        yield Observation(int(pending), {"measure": "events"})
        yield Observation(float(oldest), {"measure": "oldest_seconds"})

    def audit(_: CallbackOptions) -> Iterator[Observation]:
        with engine.connect() as conn:
            remaining, running, oldest = conn.execute(sa.text(
                "SELECT coalesce(sum(greatest(lines_total - lines_done, 0)), 0), count(*), "
                "coalesce(extract(epoch FROM now() - min(started_at)), 0) "
                "FROM claims.audit_runs WHERE state = 'running'")).one()
        yield Observation(int(remaining), {"measure": "lines_remaining"})
        yield Observation(int(running), {"measure": "runs_running"})
        yield Observation(float(oldest), {"measure": "oldest_running_seconds"})

    _meter.create_observable_gauge("fundguard.outbox.backlog", [outbox],
                                   description="events waiting for credit, and the age of the oldest")
    _meter.create_observable_gauge("fundguard.audit.lag", [audit],
                                   description="audit runs in progress: lines still to judge, runs, oldest age")
