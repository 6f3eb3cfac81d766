"""The physician_codes service's tables, in its own schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

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
    sa.Column("agreement_effective_from", sa.Date, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
)

# Every agreement status an institution has had, appended, never rewritten.
institution_agreements = sa.Table(
    "institution_agreements",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("institution_code", sa.String(16), sa.ForeignKey(institutions.c.code), nullable=False, index=True),
    sa.Column("agreement_status", sa.String(16), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("changed_by", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("dept_code", sa.String(32), nullable=False, server_default=""),
    # The identity number: encrypted (AES via Fernet, key from FUNDGUARD_PII_KEY), a keyed
    # hash to find a person by it, and a masked form to show.
    sa.Column("id_number_hmac", sa.String(64), nullable=True, index=True),
    sa.Column("id_number_masked", sa.String(32), nullable=False, server_default=""),
    sa.Column("id_number_encrypted", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
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
    sa.Column("recorded_by", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
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
    # Concurrent identical requests race on this constraint; exactly one inserts.
    sa.Column("decision_id", sa.String(64), nullable=False, unique=True),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("ban_until", sa.Date, nullable=True),          # terminated: no registration before it
    sa.Column("lifts_decision_id", sa.String(64), nullable=True),  # lifted: the sanction withdrawn
    # A digest of the request, so a decision id reused for a different sanction is refused.
    sa.Column("fingerprint", sa.String(64), nullable=False, server_default=""),
)

# One row, bumped in the same transaction as any registry change: readers compare it to
# their snapshot's version (one indexed read) and reload only what changed since.
registry_version = sa.Table(
    "registry_version",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# Who changed what and why, for every write; also tells snapshots which staff to reload.
registry_changes = sa.Table(
    "registry_changes",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False, index=True),
    sa.Column("entity", sa.String(16), nullable=False),  # institution, staff, registration, sanction
    sa.Column("entity_key", sa.Text, nullable=False),
    sa.Column("staff_code", sa.String(16), nullable=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("request_id", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
