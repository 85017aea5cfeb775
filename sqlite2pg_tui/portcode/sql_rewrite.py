"""Moved to :mod:`sqlite2pg_tui.portcode.sql`; kept for python_rewrite's imports until it moves too."""

from sqlite2pg_tui.portcode.sql import SqlResult, looks_like_sql, rewrite_sql

__all__ = ["SqlResult", "looks_like_sql", "rewrite_sql"]
