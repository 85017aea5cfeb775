"""The application's own schema, read from its .sql files when no database is given.

``port-code app/`` without ``--schema-from`` still finds ``schema.sql``: its CREATE
TABLE and CREATE INDEX statements are run in a private in-memory SQLite database (and
nothing else from the file: no ATTACH, no data) and read like a real database's schema.
That gives the key columns for ``lastrowid`` → ``RETURNING``, the unique keys for
``INSERT OR REPLACE`` → ``ON CONFLICT``, and ``NULL`` → ``DEFAULT`` for new ids.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sqlite2pg_tui.core.errors import MigrationError
from sqlite2pg_tui.core.source.reader import read_schema
from sqlite2pg_tui.core.source.schema import SourceSchema
from sqlite2pg_tui.portcode.context import SqlContext, TableInfo
from sqlite2pg_tui.portcode.sql.tokens import split_statements, tokenize, word

SQL_SUFFIXES = (".sql",)
# A .sql file bigger than this is a data dump, not the application's schema or seed: it is
# reported and left alone (the data moves with `run`, not through port-code).
MAX_SQL_BYTES = 4 * 1024 * 1024


def is_sql_file(name: str) -> bool:
    return name.lower().endswith(SQL_SUFFIXES)


def _definitions(text: str) -> list[str]:
    try:
        statements = split_statements(tokenize(text))
    except Exception:  # sqlglot's tokenizer errors: a file that is not SQL defines nothing
        return []
    out = []
    for toks in statements:
        words = [word(t) for t in toks[:4]]
        if words and words[0] == "CREATE" and ("TABLE" in words[1:3] or "INDEX" in words[1:3]) \
                and "VIRTUAL" not in words:
            out.append(text[toks[0].start:toks[-1].end + 1])
    return out


def schema_from_sql_files(paths: Iterable[Path]) -> SourceSchema | None:
    texts = []
    for path in paths:
        if is_sql_file(path.name):
            try:
                if path.stat().st_size > MAX_SQL_BYTES:
                    continue
                texts.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return schema_from_texts(texts)


def schema_from_texts(texts: Iterable[str]) -> SourceSchema | None:
    conn = sqlite3.connect(":memory:")
    try:
        made = 0
        for text in texts:
            for statement in _definitions(text):
                try:
                    conn.execute(statement)
                    made += 1
                except sqlite3.Error:
                    continue  # a table defined twice, an index on a table of another file
        if not made:
            return None
        try:
            return read_schema(conn, count_rows=False)
        except MigrationError:
            return None
    finally:
        conn.close()


def with_schema(ctx: SqlContext, schema: SourceSchema) -> SqlContext:
    """``ctx`` (from --mapping, maybe) completed with what the .sql files tell."""
    found = SqlContext.build(None, schema, ctx.dsn_env)
    merged = SqlContext(dict(ctx.tables), ctx.dsn_env, True, ctx.has_mapping)
    for table in schema.tables:
        # The declared type is the contract (a mapping, when given, already said so).
        info = found.tables[table.name.lower()]
        for col in table.columns:
            if col.declared_type.strip().upper() in ("BOOL", "BOOLEAN"):
                info.pg_types.setdefault(col.name.lower(), "boolean")
    for key, info in found.tables.items():
        have: TableInfo | None = merged.tables.get(key)
        if have is None:
            merged.tables[key] = info
            continue
        for col, pg_type in info.pg_types.items():
            have.pg_types.setdefault(col, pg_type)
        have.unique_keys = have.unique_keys or info.unique_keys
        have.id_column = have.id_column or info.id_column
        have.columns = have.columns or info.columns
    return merged


_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_][\w]*)", re.M)


def app_frameworks(paths: Iterable[Path]) -> set[str]:
    """Django/SQLAlchemy when some scanned file imports one and none imports sqlite3."""
    found: set[str] = set()
    for path in paths:
        if not path.name.endswith(".py"):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        tops = set(_IMPORT.findall(text))
        if "sqlite3" in tops:
            return set()
        if "django" in tops:
            found.add("django")
        if tops & {"sqlalchemy", "flask_sqlalchemy", "sqlmodel", "alembic"}:
            found.add("sqlalchemy")
    return found
