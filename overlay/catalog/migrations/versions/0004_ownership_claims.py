"""DAGs and tasks keep their ownership claims (owner and contacts, each with its source), for `overlay who`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("dags", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("ownership", sa.JSON, nullable=True))


def downgrade() -> None:
    for table in ("dags", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("ownership")
