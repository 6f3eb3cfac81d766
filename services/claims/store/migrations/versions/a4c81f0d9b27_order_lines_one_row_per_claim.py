"""order lines of real-time checks: one row per claim, and a view one row per line

A 3101/3102 check wrote one row per order line into claims.order_lines (fifty for a
50-line check): fifty primary-key entries, speculative inserts for ON CONFLICT, 21 kB of
WAL, and the autovacuum of a table growing by fifty rows a check. claims.claim_orders keeps
a claim's order lines as one JSON array of arrays (decision 0025); the view
claims.order_lines shows them as before, one typed row per line, for GetClaim and for SQL.

Revision ID: a4c81f0d9b27
Revises: 3b9f0c2d8e41
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'a4c81f0d9b27'
down_revision: str | None = '3b9f0c2d8e41'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Positions in each line's array; written here, not imported, so the migration stays as it was.
# Texts are not cast to varchar(n), which would cut them silently: claims refuses a line id
# over 64 characters, and a number that would not fit its column, before it is stored.
VIEW = """
CREATE VIEW claims.order_lines AS
SELECT o.claim_id, l ->> 0 AS line_id, (l ->> 8)::date AS service_date, o.patient_id,
       o.institution_code, l ->> 1 AS item_code, l ->> 2 AS item_name, l ->> 3 AS item_type,
       l ->> 4 AS item_class, (l ->> 5)::numeric(14, 4) AS quantity, (l ->> 6)::numeric(16, 4) AS unit_price,
       (l ->> 7)::numeric(14, 2) AS amount, l ->> 9 AS dept_code, l ->> 10 AS doctor_code,
       l ->> 11 AS doctor_name, l ->> 12 AS original_line_id, o.received_at
FROM claims.claim_orders AS o CROSS JOIN LATERAL json_array_elements(o.lines) AS l
"""


def upgrade() -> None:
    op.create_table(
        'claim_orders',
        sa.Column('claim_id', sa.String(length=96), nullable=False),
        sa.Column('patient_id', sa.String(length=64), server_default='', nullable=False),
        sa.Column('institution_code', sa.String(length=16), server_default='', nullable=False),
        sa.Column('lines', postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('claim_id'),
        schema='claims',
    )
    # No order line may be written between the copy and the drop (it would be dropped with
    # the table): writers wait for this transaction; readers go on.
    op.execute("LOCK TABLE claims.order_lines IN SHARE ROW EXCLUSIVE MODE")
    # A claim's lines ordered by line id; each line first received when its claim was.
    op.execute("""
        INSERT INTO claims.claim_orders (claim_id, patient_id, institution_code, lines, received_at)
        SELECT claim_id, min(patient_id), min(institution_code),
               json_agg(json_build_array(line_id, item_code, item_name, item_type, item_class, quantity::text,
                                         unit_price::text, amount::text, service_date::text, dept_code,
                                         doctor_code, doctor_name, original_line_id) ORDER BY line_id),
               min(received_at)
        FROM claims.order_lines GROUP BY claim_id
    """)
    op.drop_table('order_lines', schema='claims')
    op.execute(VIEW)


def downgrade() -> None:
    op.create_table(
        'order_lines_rows',
        sa.Column('claim_id', sa.String(length=96), nullable=False),
        sa.Column('line_id', sa.String(length=64), nullable=False),
        sa.Column('service_date', sa.Date(), nullable=False),
        sa.Column('patient_id', sa.String(length=64), server_default='', nullable=False),
        sa.Column('institution_code', sa.String(length=16), server_default='', nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('item_name', sa.Text(), server_default='', nullable=False),
        sa.Column('item_type', sa.Text(), server_default='', nullable=False),
        sa.Column('item_class', sa.Text(), server_default='', nullable=False),
        sa.Column('quantity', sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('dept_code', sa.Text(), server_default='', nullable=False),
        sa.Column('doctor_code', sa.Text(), server_default='', nullable=False),
        sa.Column('doctor_name', sa.Text(), server_default='', nullable=False),
        sa.Column('original_line_id', sa.String(length=64), server_default='', nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('claim_id', 'line_id', name='order_lines_pkey'),
        schema='claims',
    )
    op.execute("LOCK TABLE claims.claim_orders IN SHARE ROW EXCLUSIVE MODE")
    op.execute("INSERT INTO claims.order_lines_rows SELECT * FROM claims.order_lines")
    op.execute("DROP VIEW claims.order_lines")
    op.drop_table('claim_orders', schema='claims')
    op.rename_table('order_lines_rows', 'order_lines', schema='claims')
