"""Alembic environment: runs migrations on the URL given by lorebase.db.engine.migrate."""

from __future__ import annotations

from alembic import context

from lorebase.db.engine import make_engine
from lorebase.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
engine = make_engine(url, pooled=False)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
