"""Alembic environment: the application's engine and metadata; batch mode on SQLite."""

from alembic import context
from sqla_app.db import engine
from sqla_app.models import Base

with engine().connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
