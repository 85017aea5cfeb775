"""Moved to :mod:`sqlite2pg_tui.portcode.sql.styles`; kept for python_rewrite's imports until it moves too."""

from sqlite2pg_tui.portcode.sql.styles import port_sql

__all__ = ["port_sql"]
