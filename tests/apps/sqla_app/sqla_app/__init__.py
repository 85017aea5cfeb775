"""A small SQLAlchemy 2.0 + Alembic application, as ordinary as possible, for issue 10's proof."""
