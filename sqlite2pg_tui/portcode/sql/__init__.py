"""The SQL side of the code-port assistant: an application's own SQL, ported with core.sql's rulebook.

- :mod:`.rewrite`: one SQL string, edited in place token by token (:func:`rewrite_sql`), with
  its parts :mod:`.calls` (functions, CAST), :mod:`.inserts` (booleans, upserts, RETURNING),
  :mod:`.names` (identifiers) and :mod:`.ddl` (CREATE TABLE, PRAGMA) over :mod:`.tokens`;
- :mod:`.styles`: SQL written for a framework (SQLAlchemy's ``:name``, Django's ``%s``);
- :mod:`.framework`: where Django and SQLAlchemy code hands SQL to the framework;
- :mod:`.schema` and :mod:`.files`: the application's .sql files.

What SQLite's SQL means in PostgreSQL (dates, LIKE/GLOB, functions) is not decided here but
in :mod:`sqlite2pg_tui.core.sql.rules`, shared with the migration's own translators.
"""

from sqlite2pg_tui.portcode.sql.base import SqlNote, SqlResult
from sqlite2pg_tui.portcode.sql.rewrite import rewrite_sql
from sqlite2pg_tui.portcode.sql.tokens import looks_like_sql

__all__ = ["SqlNote", "SqlResult", "looks_like_sql", "rewrite_sql"]
