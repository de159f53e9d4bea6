"""Query ids kept whole (text, not 128 characters), and the last snapshot of each cumulative
statement (pg_stat_statements) so that ingestion bills differences between snapshots.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queries") as batch:
        batch.alter_column("query_id", type_=sa.Text, existing_type=sa.String(128), existing_nullable=False)
    op.create_table(
        "query_baselines",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("statement", sa.Text, primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("total_ms", sa.Float, nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stats_since", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("query_baselines")
    with op.batch_alter_table("queries") as batch:
        batch.alter_column("query_id", type_=sa.String(128), existing_type=sa.Text, existing_nullable=False)
