"""Initial catalog: scans, files, DAGs, tasks, assets, task I/O, asset edges, scan errors, materializations.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("folders", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("overlay_version", sa.String(32), nullable=False),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.String(1024), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_table(
        "dags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dag_id", sa.String(250), nullable=False, unique=True),
        sa.Column("file", sa.String(1024), nullable=False),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("owners", sa.JSON, nullable=False),
        sa.Column("owner_links", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("schedule", sa.String(250), nullable=True),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dag_id", sa.String(250), nullable=False, index=True),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("operator", sa.String(250), nullable=False),
        sa.Column("file", sa.String(1024), nullable=False),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("owner", sa.String(250), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("sql", sa.JSON, nullable=False),
        sa.Column("sql_files", sa.JSON, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("upstream", sa.JSON, nullable=False),
        sa.UniqueConstraint("dag_id", "task_id", name="uq_tasks_dag_task"),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(1024), nullable=False, unique=True),
        sa.Column("namespace", sa.String(512), nullable=False, index=True),
        sa.Column("name", sa.String(1024), nullable=False, index=True),
        sa.Column("short_name", sa.String(512), nullable=False, index=True),
        sa.Column("owners", sa.JSON, nullable=False),
        sa.Column("owner_conflict", sa.Boolean, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
    )
    op.create_table(
        "task_io",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("task_pk", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.UniqueConstraint("task_pk", "asset_id", "mode", name="uq_task_io"),
    )
    op.create_table(
        "asset_edges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("from_asset", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("to_asset", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("task_pk", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("from_asset", "to_asset", "task_pk", name="uq_asset_edges"),
    )
    op.create_table(
        "scan_errors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("file", sa.String(1024), nullable=False),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_table(
        "materializations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("asset_id", "dag_id", "task_id", "run_id", "try_number", name="uq_materializations"),
    )
    op.create_index("ix_materializations_asset_end", "materializations", ["asset_id", "end_date"])


def downgrade() -> None:
    for table in ("materializations", "scan_errors", "asset_edges", "task_io", "assets", "tasks", "dags", "files", "scans"):
        op.drop_table(table)
