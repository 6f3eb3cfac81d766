"""The claims service's tables, in its own schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB

SCHEMA = "claims"
metadata = sa.MetaData(schema=SCHEMA)

MONEY = sa.Numeric(14, 2)

patients = sa.Table(
    "patients",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("gender", sa.String(2), nullable=False, server_default=""),
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("death_date", sa.Date, nullable=True),
    sa.Column("insurance_type", sa.String(8), nullable=False, server_default=""),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("claim_id", sa.String(96), primary_key=True),
    sa.Column("encounter_id", sa.String(64), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False, index=True),
    sa.Column("institution_level", sa.String(4), nullable=False, server_default=""),
    sa.Column("patient_id", sa.String(64), nullable=False, index=True),
    sa.Column("care_setting", sa.String(2), nullable=False, server_default=""),
    sa.Column("med_type", sa.String(8), nullable=False, server_default=""),
    sa.Column("admission_date", sa.Date, nullable=True),
    sa.Column("discharge_date", sa.Date, nullable=True),
    sa.Column("doctor_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("dept_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("insurance_type", sa.String(8), nullable=False, server_default=""),
    sa.Column("total_amount", MONEY, nullable=True),
    sa.Column("diagnoses", JSONB, nullable=False, server_default="[]"),
    sa.Column("procedures", JSONB, nullable=False, server_default="[]"),
    # The trace context the claim first arrived with; later steps link back to it.
    sa.Column("trace_id", sa.String(32), nullable=False, server_default=""),
    sa.Column("traceparent", sa.String(64), nullable=False, server_default=""),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("invoice_no", sa.Text, nullable=False, server_default=""),
)

# Fee lines are partitioned by month of service (RANGE on service_date); a partition is
# created on demand when the first line of a month arrives (see repository.ensure_partitions).
# The key includes the partition column, as PostgreSQL requires: a line is identified by its
# claim, its feedetl_sn and its service date. No foreign key to claims: bulk ingestion
# upserts the claim rows itself, set-based, and a per-row FK check would halve its speed.
fee_lines = sa.Table(
    "fee_lines",
    metadata,
    sa.Column("claim_id", sa.String(96), primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("service_date", sa.Date, primary_key=True),
    sa.Column("patient_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("institution_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("item_name", sa.Text, nullable=False, server_default=""),
    sa.Column("item_type", sa.Text, nullable=False, server_default=""),
    sa.Column("item_class", sa.Text, nullable=False, server_default=""),
    sa.Column("quantity", sa.Numeric(14, 4), nullable=False),
    sa.Column("unit_price", sa.Numeric(16, 4), nullable=True),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("dept_code", sa.Text, nullable=False, server_default=""),
    sa.Column("doctor_code", sa.Text, nullable=False, server_default=""),
    sa.Column("doctor_name", sa.Text, nullable=False, server_default=""),
    sa.Column("original_line_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("extra", JSONB, nullable=False, server_default="{}"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_fee_lines_patient_date", "patient_id", "service_date"),
    # A doctor's profile sums one doctor's (and the peers') lines in a period (GetDoctorVolumes).
    sa.Index("ix_fee_lines_doctor_date", "doctor_code", "service_date"),
    postgresql_partition_by="RANGE (service_date)",
)

# Orders seen by pre/in-event analysis (3101/3102). Kept apart from the billed fee details:
# the monthly audit and the deductions judge only what was billed (2204/2301), so a hospital
# that checks its orders in real time and then uploads its fee details is not judged twice.
# One row per claim, its order lines one JSON array (decision 0025): a 50-line check writes
# one row and one index entry instead of fifty (0.17 against 0.85-1.1 ms of PostgreSQL's CPU,
# 2.4 against 21 kB of WAL a check at 200/s). The view ``order_lines`` shows them one row per
# line, typed.
claim_orders = sa.Table(
    "claim_orders",
    metadata,
    sa.Column("claim_id", sa.String(96), primary_key=True),
    sa.Column("patient_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("institution_code", sa.String(16), nullable=False, server_default=""),
    # [[line_id, item_code, item_name, item_type, item_class, quantity, unit_price, amount,
    #   service_date, dept_code, doctor_code, doctor_name, original_line_id], ...]: ORDER_LINE_FIELDS,
    # values as text (decimals exactly as sent, dates ISO), unit_price null when not given.
    sa.Column("lines", JSON, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
ORDER_LINE_FIELDS = ("line_id", "item_code", "item_name", "item_type", "item_class", "quantity", "unit_price",
                     "amount", "service_date", "dept_code", "doctor_code", "doctor_name", "original_line_id")

# The view over claim_orders (migration a4c81f0d9b27), in metadata of its own so that
# autogenerate never takes it for a table to create. Its numeric types are what a stored
# order line's numbers must fit; its line ids are as long as fee_lines' (String(64)).
views = sa.MetaData(schema=SCHEMA)
order_lines = sa.Table(
    "order_lines",
    views,
    sa.Column("claim_id", sa.String(96)),
    sa.Column("line_id", sa.Text),  # rx_id
    sa.Column("service_date", sa.Date),
    sa.Column("patient_id", sa.String(64)),
    sa.Column("institution_code", sa.String(16)),
    sa.Column("item_code", sa.Text),
    sa.Column("item_name", sa.Text),
    sa.Column("item_type", sa.Text),
    sa.Column("item_class", sa.Text),
    sa.Column("quantity", sa.Numeric(14, 4)),
    sa.Column("unit_price", sa.Numeric(16, 4)),
    sa.Column("amount", MONEY),
    sa.Column("dept_code", sa.Text),
    sa.Column("doctor_code", sa.Text),
    sa.Column("doctor_name", sa.Text),
    sa.Column("original_line_id", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True)),
)

analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),  # msgid of 3101/3102
    sa.Column("moment", sa.String(8), nullable=False),
    sa.Column("trigger_scene", sa.String(4), nullable=False, server_default=""),
    sa.Column("task_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("claim_ids", ARRAY(sa.String(96)), nullable=False),
    sa.Column("finding_ids", ARRAY(sa.String(32)), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("finding_id", sa.String(32), primary_key=True),
    sa.Column("claim_id", sa.String(96), sa.ForeignKey(claims.c.claim_id), nullable=False, index=True),
    sa.Column("encounter_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False, index=True),
    sa.Column("doctor_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("rule_version", sa.Integer, nullable=False),
    sa.Column("national_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("rule_name", sa.Text, nullable=False),
    sa.Column("tier", sa.String(1), nullable=False),
    sa.Column("result_type", sa.String(16), nullable=False),
    sa.Column("line_ids", ARRAY(sa.String(64)), nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("basis", sa.Text, nullable=False),
    sa.Column("evidence", JSONB, nullable=False),
    sa.Column("service_date", sa.Date, nullable=True),
    sa.Column("moment", sa.String(8), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="found"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # The audit run that produced it (post-event); null for pre/in-event warnings.
    sa.Column("run_id", sa.String(40), nullable=True, index=True),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("appeal_deadline", sa.Date, nullable=True),
    # 3103: the doctor continued past this warning (evidence for auditors later).
    sa.Column("continued", sa.Boolean, nullable=False, server_default=sa.false()),
    # ConfirmDueFindings reads published findings by deadline, a batch at a time.
    sa.Index("ix_findings_due", "appeal_deadline", "institution_code", "finding_id",
             postgresql_where=sa.text("state = 'published'")),
)


requests = sa.Table(
    "requests",
    metadata,
    # Every write's request_id (msgid) with the answer it got, so a retry gets the same answer.
    sa.Column("request_id", sa.String(96), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("response", sa.LargeBinary, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("settlement_id", sa.String(64), primary_key=True),  # setl_id
    sa.Column("claim_id", sa.String(96), nullable=False, index=True),
    sa.Column("encounter_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False),
    sa.Column("total_amount", MONEY, nullable=False),
    sa.Column("fund_paid", MONEY, nullable=True),
    sa.Column("cash_paid", MONEY, nullable=True),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("invoice_no", sa.Text, nullable=False, server_default=""),
    sa.Column("extra", JSONB, nullable=False, server_default="{}"),
    sa.Column("state", sa.String(16), nullable=False, server_default="settled"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

settlement_events = sa.Table(
    "settlement_events",
    metadata,
    # Settled, then perhaps reversed: a reversal is an appended event, never a delete.
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("settlement_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(96), nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("extra", JSONB, nullable=False, server_default="{}"),  # the request's province fields
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

finding_events = sa.Table(
    "finding_events",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(40), nullable=False, unique=True),
    sa.Column("finding_id", sa.String(32), nullable=False, index=True),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

warning_feedback = sa.Table(
    "warning_feedback",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("request_id", sa.String(96), nullable=False),
    sa.Column("finding_id", sa.String(32), nullable=False, index=True),
    sa.Column("disposal", sa.String(2), nullable=False),  # 1 continue, 2 go back and change
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

audit_runs = sa.Table(
    "audit_runs",
    metadata,
    sa.Column("run_id", sa.String(40), primary_key=True),
    sa.Column("request_id", sa.String(96), nullable=True, unique=True),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("rule_pack_version", sa.Text, nullable=False, server_default=""),
    sa.Column("partition", sa.Integer, nullable=False, server_default="0"),
    sa.Column("partitions", sa.Integer, nullable=False, server_default="1"),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("lines_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("lines_done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("findings", sa.BigInteger, nullable=False, server_default="0"),
    # The checkpoint: every patient up to and including this id has been judged and stored.
    sa.Column("last_patient_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("chunks_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("busy_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)

deductions = sa.Table(
    "deductions",
    metadata,
    # Append-only: each change of what a finding deducts is a new row (the latest one counts).
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("finding_id", sa.String(32), nullable=False, index=True),
    sa.Column("claim_id", sa.String(96), nullable=False, index=True),
    sa.Column("institution_code", sa.String(16), nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

outbox = sa.Table(
    "outbox",
    metadata,
    # Events for credit, written in the same transaction as the state change they report.
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("institution_code", sa.String(16), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),  # a serialised credit.v1.Event
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_outbox_pending", "seq", postgresql_where=sa.text("delivered_at IS NULL")),
)


def fill_in(table: sa.Table, excluded: Any, columns: Iterable[str]) -> dict[str, Any]:
    """ON CONFLICT assignments that take a new value only where the upload carries one: an
    empty string, a null or an empty list keeps what was stored (a 2204 upload that names a
    patient without their sex or birth date must not erase them)."""
    out: dict[str, Any] = {}
    for name in columns:
        new, old = excluded[name], table.c[name]
        if isinstance(old.type, JSONB):
            out[name] = sa.case((new == sa.cast(sa.literal("[]"), JSONB), old), else_=new)
        elif isinstance(old.type, sa.String | sa.Text):
            out[name] = sa.func.coalesce(sa.func.nullif(new, ""), old)
        else:
            out[name] = sa.func.coalesce(new, old)
    return out
