"""Ranked search: each asset's search terms and evidence, indexed for substring matches.

``assets`` gains ``search_text`` (owner names; DAG ids, task ids and tags of the tasks that write it),
``search_related`` (the same of the tasks that read it), ``producer_count``, ``consumer_count``,
``last_materialized``, ``query_count`` and ``search_rank`` (the evidence as one number, indexed with
``consumer_count`` and ``key`` in search's tie order) (see ``overlay.catalog.search_docs``, which fills them here for
existing rows and then at each scan, run record and query ingest). ``queries.asset_key`` gets an index, and
``dags``/``tasks`` one on (dag_id, source) for the DAG pages.
SQLite: an FTS5 trigram table ``assets_search_terms`` over key, search_text and search_related (external
content, kept in step by triggers). PostgreSQL: pg_trgm GIN indexes on the two texts (as 0007, skipped
when the extension cannot be created).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

COLUMNS = ("key", "search_text", "search_related")
SQLITE_TERMS = [
    "CREATE VIRTUAL TABLE assets_search_terms USING fts5(key, search_text, search_related, content='assets', content_rowid='id', "
    "tokenize='trigram')",
    """CREATE TRIGGER assets_search_terms_insert AFTER INSERT ON assets BEGIN
         INSERT INTO assets_search_terms(rowid, key, search_text, search_related) VALUES (new.id, new.key, new.search_text, new.search_related);
       END""",
    """CREATE TRIGGER assets_search_terms_delete AFTER DELETE ON assets BEGIN
         INSERT INTO assets_search_terms(assets_search_terms, rowid, key, search_text, search_related)
           VALUES ('delete', old.id, old.key, old.search_text, old.search_related);
       END""",
    """CREATE TRIGGER assets_search_terms_update AFTER UPDATE OF key, search_text, search_related ON assets BEGIN
         INSERT INTO assets_search_terms(assets_search_terms, rowid, key, search_text, search_related)
           VALUES ('delete', old.id, old.key, old.search_text, old.search_related);
         INSERT INTO assets_search_terms(rowid, key, search_text, search_related) VALUES (new.id, new.key, new.search_text, new.search_related);
       END""",
    "INSERT INTO assets_search_terms(assets_search_terms) VALUES ('rebuild')",
]
POSTGRES_TERMS = [
    "CREATE INDEX ix_assets_search_text_trgm ON assets USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX ix_assets_search_related_trgm ON assets USING gin (search_related gin_trgm_ops)",
]


def create_sqlite_terms() -> None:
    """The FTS5 table and its triggers (a later migration that rebuilds ``assets`` must call this again)."""
    for statement in SQLITE_TERMS:
        op.execute(statement)


def upgrade() -> None:
    from overlay.catalog.search_docs import refresh_assets

    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("search_related", sa.Text(), nullable=True))
        batch.add_column(sa.Column("producer_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("consumer_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_materialized", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("query_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("search_rank", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_queries_asset_key", "queries", ["asset_key"])
    op.create_index("ix_assets_search_order", "assets", [sa.text("search_rank DESC"), sa.text("consumer_count DESC"), "key"])
    op.create_index("ix_dags_dag_id_source", "dags", ["dag_id", "source"])  # /api/v1/dags pages in this order
    op.create_index("ix_tasks_dag_id_source", "tasks", ["dag_id", "source"])  # and counts each DAG's tasks
    bind = op.get_bind()
    refresh_assets(bind)
    if bind.dialect.name == "sqlite":
        create_sqlite_terms()
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            for statement in POSTGRES_TERMS:
                bind.execute(sa.text(statement))
            savepoint.commit()
        except sa.exc.DBAPIError as e:
            savepoint.rollback()
            log.warning("no trigram indexes for search terms (pg_trgm unavailable: %s); search scans the assets",
                        str(e).splitlines()[0])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS assets_search_terms_{name}")
        op.execute("DROP TABLE IF EXISTS assets_search_terms")
    elif bind.dialect.name == "postgresql":
        for name in ("ix_assets_search_text_trgm", "ix_assets_search_related_trgm"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_queries_asset_key", "queries")
    op.drop_index("ix_assets_search_order", "assets")
    op.drop_index("ix_dags_dag_id_source", "dags")
    op.drop_index("ix_tasks_dag_id_source", "tasks")
    with op.batch_alter_table("assets") as batch:
        for column in ("search_rank", "query_count", "last_materialized", "consumer_count", "producer_count", "search_related", "search_text"):
            batch.drop_column(column)
