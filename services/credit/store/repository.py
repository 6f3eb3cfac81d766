"""Credit storage: the idempotent inbox and the append-only ledgers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from services.credit.store.tables import inbox, ledger_entries


class CreditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def receive(self, events: Sequence[dict[str, Any]]) -> int:
        """Store events not seen before; return how many were new."""
        if not events:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(inbox).values(list(events)).on_conflict_do_nothing(index_elements=[inbox.c.event_id])
                .returning(inbox.c.event_id)
            )
            return len(result.all())

    def ledger(self, subject: str, year: int | None, limit: int, after: int) -> list[dict[str, Any]]:
        q = sa.select(ledger_entries).where(ledger_entries.c.subject == subject, ledger_entries.c.entry_id > after)
        if year is not None:
            q = q.where(ledger_entries.c.year == year)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(ledger_entries.c.entry_id).limit(limit)).mappings()]

    def total_points(self, subject: str, year: int | None) -> int:
        q = sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(ledger_entries.c.subject == subject)
        if year is not None:
            q = q.where(ledger_entries.c.year == year)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
