"""Alembic environment: runs the migrations on the connection lorebase.db.engine hands over,
inside the transaction that holds the start-up turn (lorebase.db.engine.prepared_schema)."""

from __future__ import annotations

from alembic import context

from lorebase.db.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
