"""Alembic environment: migrations run on the connection overlay hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from overlay.catalog.schema import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - overlay always passes its connection
    raise RuntimeError("overlay migrations must be run through overlay.catalog.migrate()")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
