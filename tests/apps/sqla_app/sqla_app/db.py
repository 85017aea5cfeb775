"""The engine: SQLite by default (SQLA_SQLITE_PATH), PostgreSQL when SQLA_PG_DSN is set."""

import os

from sqlalchemy import Engine, create_engine


def engine() -> Engine:
    dsn = os.environ.get("SQLA_PG_DSN")
    if dsn:
        import psycopg2

        # A libpq DSN as-is (the tests' server listens on a unix socket).
        return create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn))
    return create_engine("sqlite:///" + os.environ.get("SQLA_SQLITE_PATH", "app.db"))
