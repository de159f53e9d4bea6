"""Warehouse query history, attributed to tasks, assets and owners, with its cost.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("query_id", sa.String(128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("bytes_billed", sa.BigInteger, nullable=True),
        sa.Column("credits", sa.Float, nullable=True),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=True),
        sa.Column("dag_id", sa.String(250), nullable=True),
        sa.Column("task_id", sa.String(250), nullable=True),
        sa.Column("asset_key", sa.String(1024), nullable=True),
        sa.Column("owner", sa.String(250), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.UniqueConstraint("source", "query_id", name="uq_queries_source_id"),
    )
    op.create_index("ix_queries_started", "queries", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_queries_started", "queries")
    op.drop_table("queries")
