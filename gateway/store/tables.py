"""The gateway's tables, in its own schema: who may call, and which nonces were used."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "gateway"
metadata = sa.MetaData(schema=SCHEMA)

# One row per caller (a platform gateway, an institution's system, an agency, a person's
# client). The token is stored encrypted, not hashed: the x-tif signature is computed from
# the token, so the server must be able to recompute it (see the decision record).
callers = sa.Table(
    "callers",
    metadata,
    sa.Column("caller_id", sa.String(64), primary_key=True),   # x-tif-paasid
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(64), nullable=False, server_default=""),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("token_enc", sa.LargeBinary, nullable=True),
    sa.Column("previous_token_enc", sa.LargeBinary, nullable=True),
    sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cert_subject", sa.Text, nullable=True, unique=True),  # mutual TLS alternative
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

# Each (caller, nonce) is accepted once. Rows outlive the timestamp window and are then
# deleted: after that a replay fails the timestamp check anyway. Shared by every replica.
nonces = sa.Table(
    "nonces",
    metadata,
    sa.Column("caller_id", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(128), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
