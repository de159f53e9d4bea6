"""Engines and migrations: one place that knows how to connect and upgrade."""

from __future__ import annotations

import json
from functools import partial
from json.encoder import encode_basestring_ascii
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text

DEFAULT_DB_URL = "sqlite:///overlay.db"
MIGRATIONS = Path(__file__).parent / "migrations"
# search indexes the migrations create per dialect outside the models (FTS5 table and its shadow tables, pg_trgm indexes)
SEARCH_OBJECTS = ("assets_search", "ix_assets_key_trgm", "ix_assets_owner_names", "ix_assets_search_")


def owner_names_text(claims: list[dict] | None) -> str:
    """``assets.owner_names``: the owner and team names of the claims, each on its own line (the owner filter matches
    a line, never a rule or a source)."""
    names = sorted({str(c[field]) for c in claims or [] for field in ("owner", "team") if c.get(field)})
    return "\n" + "".join(f"{name}\n" for name in names)


def in_models(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:  # noqa: ANN001 - alembic's hook
    """Alembic ``include_object``: leave the search indexes out of schema comparisons."""
    return not (name and name.startswith(SEARCH_OBJECTS))


def resolve_db_url(cli_value: str | None = None) -> str:
    """The catalog's URL by the one location rule of ``overlay.catalog.location``."""
    from overlay.catalog.location import resolve_db_url as resolve

    return resolve(cli_value)


def json_text(value: object) -> str:
    """The catalog's JSON columns as ``json.dumps`` writes them, the same text, without its per-call overhead for the
    most common values: empty lists and dicts, lists of strings (a scan stores about 100,000 JSON values)."""
    kind = type(value)
    if kind is list:
        if not value:
            return "[]"
        if all(type(item) is str for item in value):
            return "[" + ", ".join(map(encode_basestring_ascii, value)) + "]"  # type: ignore[arg-type]
    elif kind is dict and not value:
        return "{}"
    return json.dumps(value)


PAGE_CACHE_KIB = 65536  # SQLite's page cache per connection: large query histories keep their indexes in memory


def make_engine(url: str, page_cache_mib: int | None = None) -> Engine:
    """An engine on the catalog; ``page_cache_mib``: SQLite's page cache per pooled connection (default 64 MiB; each
    connection fills its own, so a server with a connection per concurrent request asks for less)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs = {"future": True, "pool_pre_ping": True,  # a pooled connection the server dropped is replaced, not used
              "json_serializer": json_text}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, page_cache_kib=page_cache_mib * 1024 if page_cache_mib else PAGE_CACHE_KIB))
    return engine


def _exclusive_sqlite_engine(engine: Engine) -> Engine:
    """A second engine on the same SQLite file whose transactions are real and exclusive, DDL included.

    Python's sqlite3 runs DDL outside any transaction by default, so two processes migrating a new catalog
    both create ``scans``; here ``BEGIN EXCLUSIVE`` makes the second wait until the first has committed.
    Foreign keys are off on this engine (SQLite's advice for table rebuilds).
    """
    exclusive = create_engine(engine.url, future=True, connect_args={"timeout": 60})

    @event.listens_for(exclusive, "connect")
    def _connect(dbapi_connection, record) -> None:  # noqa: ANN001
        _sqlite_pragmas(dbapi_connection, record)
        # batch migrations rebuild tables (copy, DROP, rename): with foreign keys on, the DROP deletes every row
        # that references the table through ON DELETE CASCADE (task_io, asset_edges when tasks is rebuilt)
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.isolation_level = None  # the driver stops issuing BEGIN itself

    @event.listens_for(exclusive, "begin")
    def _begin(connection) -> None:  # noqa: ANN001
        connection.exec_driver_sql("BEGIN EXCLUSIVE")

    return exclusive


def _sqlite_pragmas(dbapi_connection, _record, page_cache_kib: int = PAGE_CACHE_KIB) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{int(page_cache_kib)}")
    cursor.close()


def alembic_config():  # noqa: ANN201 - alembic.config.Config, imported lazily
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """Latest migration: revision files are named ``NNNN_description.py`` after their revision id."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


MIGRATION_LOCK = 0x6F7665726C6179  # pg_advisory_xact_lock key: "overlay"


def migrate(engine: Engine) -> None:
    """Upgrade the catalog to the latest schema; a current catalog is checked without loading Alembic.

    Migrations are serialized across processes (two first scans of a new catalog at once): PostgreSQL takes
    a transaction-scoped advisory lock, SQLite an exclusive transaction. The one that waited finds the
    schema current and does nothing.
    """
    if current_revision(engine) == head_revision():
        return
    in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    target = _exclusive_sqlite_engine(engine) if engine.dialect.name == "sqlite" and not in_memory else engine
    try:
        with target.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            _upgrade(connection)
    finally:
        if target is not engine:
            target.dispose()


def _upgrade(connection) -> None:  # noqa: ANN001 - a Connection in a transaction (and holding the lock)
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
