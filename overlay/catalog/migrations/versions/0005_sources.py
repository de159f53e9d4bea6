"""Sources: every scan, DAG, task, file and run belongs to one Airflow deployment or DAG repository.

DAGs, tasks and files are unique per source (two deployments may both have a ``daily_revenue.load``
task); assets stay shared, so lineage crosses sources. Rows stored before this revision are carried
forward into the source ``default`` (a later scan of the same folders adopts them under its own name).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEFAULT = "default"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed UNIQUE constraints on reflection


def _old_unique(table: str, column: str) -> str:
    return f"uq_{table}_{column}" if op.get_bind().dialect.name == "sqlite" else f"{table}_{column}_key"


def upgrade() -> None:
    sources = op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(250), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_sync_from", sa.String(1024), nullable=True),
    )
    bind = op.get_bind()
    had_rows = any(bind.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in ("scans", "dags", "materializations"))
    if had_rows:
        op.bulk_insert(sources, [{"name": DEFAULT, "created_at": datetime.now(timezone.utc)}])

    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("source", sa.String(250), nullable=False, server_default=DEFAULT))
        batch.add_column(sa.Column("bundle_version", sa.String(250), nullable=True))
        batch.create_index("ix_scans_source", ["source"])
    with op.batch_alter_table("files", naming_convention=SQLITE_NAMES) as batch:
        batch.add_column(sa.Column("source", sa.String(250), nullable=False, server_default=DEFAULT))
        batch.drop_constraint(_old_unique("files", "path"), type_="unique")
        batch.create_unique_constraint("uq_files_source_path", ["source", "path"])
    with op.batch_alter_table("dags", naming_convention=SQLITE_NAMES) as batch:
        batch.add_column(sa.Column("source", sa.String(250), nullable=False, server_default=DEFAULT))
        batch.drop_constraint(_old_unique("dags", "dag_id"), type_="unique")
        batch.create_unique_constraint("uq_dags_source_dag", ["source", "dag_id"])
        batch.create_index("ix_dags_dag_id", ["dag_id"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("source", sa.String(250), nullable=False, server_default=DEFAULT))
        batch.drop_constraint("uq_tasks_dag_task", type_="unique")
        batch.create_unique_constraint("uq_tasks_source_dag_task", ["source", "dag_id", "task_id"])
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("owners_by_source", sa.JSON, nullable=True))
    with op.batch_alter_table("materializations") as batch:
        batch.add_column(sa.Column("source_name", sa.String(250), nullable=False, server_default=DEFAULT))
        batch.alter_column("source", type_=sa.String(1024), existing_type=sa.String(32), existing_nullable=False)
        batch.drop_constraint("uq_materializations", type_="unique")
        batch.create_unique_constraint("uq_materializations", ["source_name", "asset_id", "dag_id", "task_id", "run_id", "try_number"])

    # existing ownership becomes the default source's; later scans merge theirs beside it
    assets = sa.table("assets", sa.column("id", sa.Integer), sa.column("owners", sa.JSON), sa.column("owner_conflict", sa.Boolean),
                      sa.column("owners_by_source", sa.JSON))
    rows = bind.execute(sa.select(assets.c.id, assets.c.owners, assets.c.owner_conflict)).all()
    for asset_id, owners, conflict in rows:
        claims = [{**c, "source_name": DEFAULT} for c in owners or []]
        bind.execute(assets.update().where(assets.c.id == asset_id).values(
            owners=claims, owners_by_source={DEFAULT: {"owners": claims, "conflict": bool(conflict)}} if claims or conflict else {}))
    bind.execute(assets.update().where(assets.c.owners_by_source.is_(None)).values(owners_by_source={}))
    with op.batch_alter_table("assets") as batch:
        batch.alter_column("owners_by_source", existing_type=sa.JSON, nullable=False)

    # the defaults only carried existing rows forward: new rows always name their source
    for table, column in (("scans", "source"), ("files", "source"), ("dags", "source"), ("tasks", "source"),
                          ("materializations", "source_name")):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(250), existing_nullable=False, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("materializations") as batch:
        batch.drop_constraint("uq_materializations", type_="unique")
        batch.create_unique_constraint("uq_materializations", ["asset_id", "dag_id", "task_id", "run_id", "try_number"])
        batch.drop_column("source_name")
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("owners_by_source")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("uq_tasks_source_dag_task", type_="unique")
        batch.create_unique_constraint("uq_tasks_dag_task", ["dag_id", "task_id"])
        batch.drop_column("source")
    with op.batch_alter_table("dags") as batch:
        batch.drop_index("ix_dags_dag_id")
        batch.drop_constraint("uq_dags_source_dag", type_="unique")
        batch.create_unique_constraint("dags_dag_id_key", ["dag_id"])
        batch.drop_column("source")
    with op.batch_alter_table("files") as batch:
        batch.drop_constraint("uq_files_source_path", type_="unique")
        batch.create_unique_constraint("files_path_key", ["path"])
        batch.drop_column("source")
    with op.batch_alter_table("scans") as batch:
        batch.drop_index("ix_scans_source")
        batch.drop_column("bundle_version")
        batch.drop_column("source")
    op.drop_table("sources")
