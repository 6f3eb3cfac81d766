"""no index on order lines by patient and date

Nothing reads order lines by patient: the look-back history of real-time checks reads
billed fee lines (decision 0020), and GetClaim reads a claim's orders by its primary key.
The index cost every 3101/3102 write one more index entry per fee line (decision 0021).

Revision ID: 3b9f0c2d8e41
Revises: e7d78b8ff95e
Create Date: 2026-12-06 20:15:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '3b9f0c2d8e41'
down_revision: str | None = 'e7d78b8ff95e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_order_lines_patient_date', table_name='order_lines', schema='claims')


def downgrade() -> None:
    op.create_index('ix_order_lines_patient_date', 'order_lines', ['patient_id', 'service_date'], unique=False,
                    schema='claims')
