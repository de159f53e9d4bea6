"""Indexes for the API's filters: substring search on asset keys and owners without a full scan.

``assets.owner_names`` holds the claims' owner and team names one a line (filled here for existing rows,
then by each scan), so the owner filter is a LIKE on a short text instead of a JSON walk per row.
SQLite: an FTS5 trigram table ``assets_search`` over ``assets.key`` (external content, kept in
step by triggers), and an index on ``owner_names`` that the owner filter scans instead of the table.
A later migration that rebuilds ``assets`` with ``batch_alter_table`` drops the triggers: it must create them again (``create_sqlite_search``) and rebuild the table.
PostgreSQL: pg_trgm GIN indexes on ``key`` and ``lower(owner_names)``; where the extension cannot be
created (no privilege), the catalog works as before, only slower on large catalogs.

These objects are not in the models: ``overlay.catalog.engine.SEARCH_OBJECTS`` names them for the
schema comparisons.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE assets_search USING fts5(key, content='assets', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER assets_search_insert AFTER INSERT ON assets BEGIN
         INSERT INTO assets_search(rowid, key) VALUES (new.id, new.key);
       END""",
    """CREATE TRIGGER assets_search_delete AFTER DELETE ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, key) VALUES ('delete', old.id, old.key);
       END""",
    """CREATE TRIGGER assets_search_update AFTER UPDATE OF key ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, key) VALUES ('delete', old.id, old.key);
         INSERT INTO assets_search(rowid, key) VALUES (new.id, new.key);
       END""",
    "INSERT INTO assets_search(assets_search) VALUES ('rebuild')",
    "CREATE INDEX ix_assets_owner_names ON assets (owner_names)",  # the owner filter scans this index, not the wide rows
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_assets_key_trgm ON assets USING gin (key gin_trgm_ops)",
    "CREATE INDEX ix_assets_owner_names_trgm ON assets USING gin (lower(owner_names) gin_trgm_ops)",
]


def create_sqlite_search() -> None:
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def upgrade() -> None:
    from overlay.catalog.engine import owner_names_text

    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("owner_names", sa.Text(), nullable=True))
    bind = op.get_bind()
    assets = sa.table("assets", sa.column("id", sa.Integer), sa.column("owners", sa.JSON), sa.column("owner_names", sa.Text))
    rows = [{"b_id": i, "b_names": owner_names_text(claims)} for i, claims in bind.execute(sa.select(assets.c.id, assets.c.owners))]
    if rows:
        bind.execute(assets.update().where(assets.c.id == sa.bindparam("b_id")).values(owner_names=sa.bindparam("b_names")), rows)
    if bind.dialect.name == "sqlite":
        create_sqlite_search()
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            for statement in POSTGRES_SEARCH:
                bind.execute(sa.text(statement))
            savepoint.commit()
        except sa.exc.DBAPIError as e:
            savepoint.rollback()
            log.warning("no trigram indexes for search (pg_trgm unavailable: %s); search and owner filters scan the assets",
                        str(e).splitlines()[0])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("assets_search_insert", "assets_search_delete", "assets_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS assets_search")
        op.execute("DROP INDEX IF EXISTS ix_assets_owner_names")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assets_key_trgm")
        op.execute("DROP INDEX IF EXISTS ix_assets_owner_names_trgm")
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("owner_names")
