"""The physician_codes service's tables, in its own schema."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "physician_codes"
metadata = sa.MetaData(schema=SCHEMA)

institutions = sa.Table(
    "institutions",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(4), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("division", sa.String(6), nullable=False),
    sa.Column("agreement_status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("dept_code", sa.String(32), nullable=False, server_default=""),
    # The identity number is kept only as a keyed hash and a masked form.
    sa.Column("id_number_hmac", sa.String(64), nullable=True),
    sa.Column("id_number_masked", sa.String(32), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("staff_code", sa.String(16), sa.ForeignKey(staff.c.code), nullable=False, index=True),
    sa.Column("institution_code", sa.String(16), sa.ForeignKey(institutions.c.code), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("staff_code", "institution_code", "valid_from", name="uq_registration"),
)

status_events = sa.Table(
    "status_events",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("staff_code", sa.String(16), sa.ForeignKey(staff.c.code), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decision_id", sa.String(64), nullable=False, unique=True),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
