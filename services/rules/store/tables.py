"""The rules service's tables, in its own schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "rules"
metadata = sa.MetaData(schema=SCHEMA)

catalogue_versions = sa.Table(
    "catalogue_versions",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=True, unique=True),
    sa.Column("items", sa.Integer, nullable=False),
    # The files exactly as loaded: versions are immutable, and replay needs the original.
    sa.Column("files", JSONB, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Rule packs as versions: a draft may be replaced; a published version never changes.
rule_pack_versions = sa.Table(
    "rule_pack_versions",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # draft | published
    sa.Column("text", sa.Text, nullable=False),  # the TOML exactly as saved
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=True, unique=True),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("published_by", sa.String(64), nullable=True),
)
