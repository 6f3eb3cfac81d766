"""Credit's OpenTelemetry metrics: feed lag per agency (events on its feed it has not read)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy.engine import Engine

from fundguard.runtime import telemetry


def register_gauges(engine: Engine) -> None:
    def feed_lag(_: CallbackOptions) -> Iterator[Observation]:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT f.agency, max(f.position) - coalesce(max(c.position), 0), "
                "coalesce(extract(epoch FROM now() - min(f.occurred_at) FILTER "
                "(WHERE f.position > coalesce(c.position, 0))), 0) "
                "FROM credit.feed_events f LEFT JOIN credit.feed_cursors c ON c.agency = f.agency "
                "GROUP BY f.agency")).all()
        for agency, unread, oldest in rows:
            yield Observation(int(unread), {"agency": agency, "measure": "events_unread"})
            yield Observation(float(oldest), {"agency": agency, "measure": "oldest_unread_seconds"})

    telemetry.meter("fundguard.credit").create_observable_gauge(
        "fundguard.feed.lag", [feed_lag], description="per agency: feed events not yet read, and the oldest's age")
