"""The credit service's tables, in its own schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "credit"
metadata = sa.MetaData(schema=SCHEMA)

# Every event received from claims' outbox, once: the event id makes delivery idempotent.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False),
    sa.Column("doctor_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("claim_id", sa.Text, nullable=False, server_default=""),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("subject", sa.String(16), nullable=False, index=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("cause", sa.Text, nullable=False),
    sa.Column("event_id", sa.String(64), sa.ForeignKey(inbox.c.event_id), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
