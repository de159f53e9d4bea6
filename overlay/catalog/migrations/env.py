"""Alembic environment: migrations run on the connection overlay hands over (no alembic.ini).

``overlay.catalog.engine.migrate`` passes its connection in ``config.attributes["connection"]``;
an operator may instead set ``sqlalchemy.url`` on the Config (``alembic_config()`` then
``config.set_main_option("sqlalchemy.url", url)``) to upgrade a catalog by hand.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from overlay.catalog.engine import in_models
from overlay.catalog.schema import Base

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=in_models,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    from overlay.catalog.engine import make_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("overlay migrations need a connection (overlay.catalog.engine.migrate) or sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
