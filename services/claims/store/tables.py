"""The claims service's tables, in its own schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

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
)

fee_lines = sa.Table(
    "fee_lines",
    metadata,
    sa.Column("claim_id", sa.String(96), sa.ForeignKey(claims.c.claim_id), primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("item_name", sa.Text, nullable=False, server_default=""),
    sa.Column("item_type", sa.String(4), nullable=False, server_default=""),
    sa.Column("item_class", sa.String(4), nullable=False, server_default=""),
    sa.Column("quantity", sa.Numeric(14, 4), nullable=False),
    sa.Column("unit_price", sa.Numeric(16, 4), nullable=True),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("dept_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("doctor_code", sa.String(16), nullable=False, server_default="", index=True),
    sa.Column("doctor_name", sa.Text, nullable=False, server_default=""),
    sa.Column("original_line_id", sa.String(64), nullable=False, server_default=""),
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
)
