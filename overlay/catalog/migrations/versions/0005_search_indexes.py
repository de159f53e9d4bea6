"""Indexes for the API's filters: substring search on asset keys and owners without a full scan.

SQLite: an FTS5 trigram table ``assets_search`` over ``assets(key, owners)`` (external content, kept in
step by triggers). A later migration that rebuilds ``assets`` with ``batch_alter_table`` drops the
triggers: it must create them again (``create_sqlite_search``) and rebuild the table.
PostgreSQL: pg_trgm GIN indexes on ``key`` and ``lower(owners::text)``; where the extension cannot be
created (no privilege), the catalog works as before, only slower on large catalogs.

These objects are not in the models: ``overlay.catalog.engine.SEARCH_OBJECTS`` names them for the
schema comparisons.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE assets_search USING fts5(key, owners, content='assets', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER assets_search_insert AFTER INSERT ON assets BEGIN
         INSERT INTO assets_search(rowid, key, owners) VALUES (new.id, new.key, new.owners);
       END""",
    """CREATE TRIGGER assets_search_delete AFTER DELETE ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, key, owners) VALUES ('delete', old.id, old.key, old.owners);
       END""",
    """CREATE TRIGGER assets_search_update AFTER UPDATE OF key, owners ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, key, owners) VALUES ('delete', old.id, old.key, old.owners);
         INSERT INTO assets_search(rowid, key, owners) VALUES (new.id, new.key, new.owners);
       END""",
    "INSERT INTO assets_search(assets_search) VALUES ('rebuild')",
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_assets_key_trgm ON assets USING gin (key gin_trgm_ops)",
    "CREATE INDEX ix_assets_owners_trgm ON assets USING gin (lower(owners::text) gin_trgm_ops)",
]


def create_sqlite_search() -> None:
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def upgrade() -> None:
    bind = op.get_bind()
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
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assets_key_trgm")
        op.execute("DROP INDEX IF EXISTS ix_assets_owners_trgm")
