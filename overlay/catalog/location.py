"""Where the catalog is: one rule for the CLI, the API and the Airflow plugin.

``--db``, else ``$OVERLAY_DB``, else ``[overlay] db`` in airflow.cfg (or ``AIRFLOW__OVERLAY__DB``), else
``$AIRFLOW_HOME/overlay.db`` when an Airflow home exists, else ``./overlay.db``. A value without ``://``
is a SQLite file path (``--db /tmp/x.db``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, inspect

from overlay.airflow_config import airflow_home, airflow_setting


def resolve_db_url(cli_value: str | None = None) -> str:
    value = cli_value or os.environ.get("OVERLAY_DB") or airflow_setting("overlay", "db")
    if not value:
        home = airflow_home()
        value = str(home / "overlay.db") if home is not None and home.is_dir() else "overlay.db"
    return as_url(value)


def as_url(value: str) -> str:
    """A SQLAlchemy URL as given, or a file path as a SQLite URL."""
    value = value.strip()
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def catalog_exists(engine: Engine) -> bool:
    """True when the database holds a catalog; a SQLite file that is not there is not created to find out."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:") and not os.path.isfile(database):
            return False
    with engine.connect() as conn:
        return inspect(conn).has_table("alembic_version")
