"""What the rewriter may know about the database: names, keys, and the types the mapping chose.

Everything is optional. Without a schema, INSERT OR REPLACE has no conflict target and
``lastrowid`` assumes a key called ``id``; without a mapping, nothing is known to have
become boolean. Keys are SQLite names, lower-cased, because SQLite matches names
without regard to case and the application's SQL is written against SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.source.schema import SourceSchema
from sqlite2pg_tui.core.sql.rules.identifiers import PG_RESERVED, quote_ident

__all__ = ["DEFAULT_DSN_ENV", "PG_RESERVED", "SqlContext", "TableInfo", "load_context", "quote_ident"]

DEFAULT_DSN_ENV = "DATABASE_URL"

@dataclass
class TableInfo:
    name: str  # the SQLite name
    target: str  # the PostgreSQL name
    columns: list[str] = field(default_factory=list)  # SQLite names, in order
    column_targets: dict[str, str] = field(default_factory=dict)  # lower SQLite name → PG name
    pg_types: dict[str, str] = field(default_factory=dict)  # lower SQLite name → PG type
    unique_keys: list[list[str]] = field(default_factory=list)  # primary key first
    id_column: str | None = None  # the rowid alias / identity column (SQLite name)

    def has(self, column: str) -> bool:
        return column.lower() in self.column_targets

    def is_boolean(self, column: str) -> bool:
        return self.pg_types.get(column.lower(), "") == "boolean"

    def pg_type(self, column: str) -> str:
        return self.pg_types.get(column.lower(), "")

    def target_of(self, column: str) -> str:
        return self.column_targets.get(column.lower(), column)


@dataclass
class SqlContext:
    tables: dict[str, TableInfo] = field(default_factory=dict)  # lower SQLite name → info
    dsn_env: str = DEFAULT_DSN_ENV
    has_schema: bool = False
    has_mapping: bool = False
    # The frameworks of an application none of whose scanned files imports sqlite3: its
    # modules that only receive a `conn` or `session` also hold the framework's objects.
    app_frameworks: set[str] = field(default_factory=set)

    def table(self, name: str | None) -> TableInfo | None:
        return self.tables.get(name.lower()) if name else None

    @classmethod
    def build(cls, mapping: Mapping | None = None, schema: SourceSchema | None = None,
              dsn_env: str = DEFAULT_DSN_ENV) -> SqlContext:
        ctx = cls(dsn_env=dsn_env, has_schema=schema is not None, has_mapping=mapping is not None)
        if schema is not None:
            for t in schema.tables:
                info = TableInfo(name=t.name, target=t.name,
                                 columns=[c.name for c in t.columns if not c.generated])
                info.column_targets = {c.name.lower(): c.name for c in t.columns}
                if t.primary_key:
                    info.unique_keys.append(list(t.primary_key))
                for idx in t.indexes:
                    cols = [c for c in idx.columns if c is not None]
                    if (idx.unique and not idx.partial and len(cols) == len(idx.columns)
                            and cols not in info.unique_keys):
                        info.unique_keys.append(cols)
                pk = t.primary_key
                if t.rowid_alias:
                    info.id_column = t.rowid_alias
                elif len(pk) == 1 and "INT" in t.column(pk[0]).declared_type.upper():
                    info.id_column = pk[0]
                ctx.tables[t.name.lower()] = info
        if mapping is not None:
            for tm in mapping.tables:
                info = ctx.tables.get(tm.source.lower())
                if info is None:
                    info = TableInfo(name=tm.source, target=tm.source,
                                     columns=[c.source for c in tm.columns])
                    ctx.tables[tm.source.lower()] = info
                info.target = tm.target
                for cm in tm.columns:
                    info.column_targets[cm.source.lower()] = cm.target
                    info.pg_types[cm.source.lower()] = cm.pg_type.strip().lower()
                    if cm.identity:
                        info.id_column = cm.source
        return ctx


def load_context(mapping_path: str | Path | None = None, schema_path: str | Path | None = None,
                 dsn_env: str = DEFAULT_DSN_ENV) -> SqlContext:
    """Read a mapping file and/or a SQLite file's schema (read-only). Raises MigrationError."""
    mapping = Mapping.load(mapping_path) if mapping_path else None
    schema = None
    if schema_path:
        from sqlite2pg_tui.core.source.reader import open_readonly, read_schema

        conn = open_readonly(schema_path)
        try:
            schema = read_schema(conn, str(schema_path), count_rows=False)
        finally:
            conn.close()
    return SqlContext.build(mapping, schema, dsn_env)
