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
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
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
    # Which ledger (institution agreement points or staff payment-qualification points), the
    # finding behind it, the business date it counts on, and for a reversal the entry it undoes.
    sa.Column("ledger", sa.String(16), nullable=False, server_default="institution"),
    sa.Column("finding_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("on_date", sa.Date, nullable=True),
    sa.Column("reverses_entry_id", sa.BigInteger, nullable=True),
    sa.Column("person", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("reverses_entry_id", name="uq_ledger_entries_reverses_entry_id"),
)

# --- added by the credit service's second revision ---------------------------------------

# Decisions are append-only: a withdrawal is a new row naming (withdraws) the one it ends.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("decision_id", sa.String(64), primary_key=True),
    sa.Column("subject_kind", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(32), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("start_date", sa.Date, nullable=True),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("cause", sa.Text, nullable=False, server_default=""),
    sa.Column("decided_by", sa.Text, nullable=False, server_default=""),
    sa.Column("withdraws", sa.String(64), nullable=True, unique=True),
    sa.Column("entry_id", sa.BigInteger, nullable=True),
    sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_decisions_subject_year", "subject", "year"),
)

# Calls to physician_codes, written in the same transaction as the decision (an outbox):
# a call is retried until acknowledged, in the order written.
sanction_calls = sa.Table(
    "sanction_calls",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("call_id", sa.String(64), nullable=False, unique=True),
    sa.Column("decision_id", sa.String(64), nullable=False, index=True),
    sa.Column("staff_code", sa.String(32), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),   # suspend, terminate, lift
    sa.Column("request", JSONB, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),  # pending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("finding_id", sa.String(64), primary_key=True),
    sa.Column("institution_code", sa.String(16), nullable=False, index=True),
    sa.Column("doctor_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("patient_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("rule_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("amount", sa.Numeric(18, 4), nullable=False, server_default="0"),
    sa.Column("fraud", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("state", sa.String(16), nullable=False),   # confirmed, overturned
    sa.Column("confirmed_on", sa.Date, nullable=True),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(40), primary_key=True),
    sa.Column("request_id", sa.String(128), nullable=True, unique=True),
    sa.Column("origin", sa.String(16), nullable=False),   # auto (fraud findings) or auditor
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("opened_by", sa.Text, nullable=False, server_default=""),
    sa.Column("fraud", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("extra_amount", sa.Numeric(18, 4), nullable=False, server_default="0"),
    sa.Column("evidence", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

case_subjects = sa.Table(
    "case_subjects",
    metadata,
    sa.Column("case_id", sa.String(40), sa.ForeignKey(cases.c.case_id), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("id_sealed", sa.Text, nullable=False, server_default=""),   # AES-GCM, FUNDGUARD_PII_KEY
    sa.Column("id_masked", sa.Text, nullable=False, server_default=""),
)

case_findings = sa.Table(
    "case_findings",
    metadata,
    sa.Column("case_id", sa.String(40), sa.ForeignKey(cases.c.case_id), primary_key=True),
    sa.Column("finding_id", sa.String(64), primary_key=True),
)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", sa.String(40), sa.ForeignKey(cases.c.case_id), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("by", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("case_id", sa.String(40), sa.ForeignKey(cases.c.case_id), primary_key=True),
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("referred_by", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Each agency's feed: a dense position per agency, assigned under a per-agency lock so a
# reader resuming after position N can never miss an event committed later with a lower one.
feed_events = sa.Table(
    "feed_events",
    metadata,
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("case_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("snapshot", JSONB, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# How far each agency has read its feed (the furthest position any of its reads reached),
# so feed lag per agency can be watched across replicas.
feed_cursors = sa.Table(
    "feed_cursors",
    metadata,
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("reader", sa.Text, nullable=False),
    sa.Column("agency", sa.String(32), nullable=False, server_default=""),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("case_ids", sa.Text, nullable=False, server_default=""),
    sa.Column("unmasked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

indicator_rows = sa.Table(
    "indicator_rows",
    metadata,
    sa.Column("institution_code", sa.String(16), primary_key=True),
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("level", sa.String(8), nullable=False, server_default=""),
    sa.Column("type", sa.String(32), nullable=False, server_default=""),
    sa.Column("region", sa.String(16), nullable=False, server_default=""),
    sa.Column("settlements", sa.BigInteger, nullable=False),
    sa.Column("patients", sa.BigInteger, nullable=False),
    sa.Column("total_cost", sa.Numeric(18, 4), nullable=False),
    sa.Column("fund_paid", sa.Numeric(18, 4), nullable=False),
    sa.Column("cost_by_kind", JSONB, nullable=False),
    sa.Column("discharges", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("hospital_infections", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("readmissions_31d", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("doctors", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

indicator_items = sa.Table(
    "indicator_items",
    metadata,
    sa.Column("institution_code", sa.String(16), primary_key=True),
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("item_code", sa.String(64), primary_key=True),
    sa.Column("item_name", sa.Text, nullable=False, server_default=""),
    sa.Column("item_kind", sa.String(16), nullable=False, server_default="other"),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.Numeric(18, 4), nullable=False),
    sa.Column("patients", sa.BigInteger, nullable=False, server_default="0"),
)

# Idempotency of writes that carry a request_id: the first answer is kept and repeated.
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("request_id", sa.String(128), primary_key=True),
    sa.Column("method", sa.String(64), nullable=False),
    sa.Column("result", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
