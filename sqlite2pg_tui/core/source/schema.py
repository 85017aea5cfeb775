"""Plain objects describing a SQLite database's schema, as read from the file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Column:
    name: str
    declared_type: str  # exactly as written; "" when no type was given
    notnull: bool = False
    default: str | None = None  # the SQL text of the DEFAULT clause, untranslated
    pk: int = 0  # 1-based position in the primary key, 0 when not part of it
    hidden: int = 0  # PRAGMA table_xinfo: 2 = generated virtual, 3 = generated stored
    collation: str | None = None  # e.g. "NOCASE" when declared on the column
    generated_expr: str | None = None

    @property
    def generated(self) -> bool:
        return self.hidden in (2, 3)


@dataclass
class Index:
    name: str
    table: str
    unique: bool
    columns: list[str | None]  # None where the key part is an expression
    descending: list[bool] = field(default_factory=list)
    collations: list[str | None] = field(default_factory=list)  # per key part; None = BINARY
    origin: str = "c"  # c = CREATE INDEX, u = UNIQUE constraint, pk = PRIMARY KEY
    partial: bool = False
    sql: str | None = None  # the CREATE INDEX statement for origin "c"
    constraint_name: str | None = None  # CONSTRAINT name UNIQUE (…) behind an origin "u" index


@dataclass
class ForeignKey:
    id: int
    table: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]  # empty in SQLite means "the parent's primary key"; resolved on read
    on_update: str = "NO ACTION"
    on_delete: str = "NO ACTION"
    deferrable: bool = False
    name: str | None = None  # CONSTRAINT name FOREIGN KEY …, when it was named


@dataclass
class Table:
    name: str
    columns: list[Column]
    sql: str = ""
    without_rowid: bool = False
    autoincrement: bool = False
    rowid_alias: str | None = None  # the INTEGER PRIMARY KEY column, if any
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # CHECK expressions as written
    check_names: list[str | None] = field(default_factory=list)  # aligned with checks
    pk_name: str | None = None  # CONSTRAINT name PRIMARY KEY …, when it was named
    unreadable: str = ""  # why its CREATE TABLE could not be parsed (CHECKs then unknown)
    conflict_clauses: list[str] = field(default_factory=list)  # ON CONFLICT actions, e.g. REPLACE
    row_count: int = 0
    sequence: int | None = None  # sqlite_sequence high-water mark (AUTOINCREMENT tables)

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in sorted((c for c in self.columns if c.pk), key=lambda c: c.pk)]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass
class View:
    name: str
    sql: str


@dataclass
class Trigger:
    name: str
    table: str
    sql: str


@dataclass
class Skipped:
    """Something in the file that is deliberately not copied as data."""

    kind: str  # "virtual table", "shadow table", "internal"
    name: str
    reason: str


@dataclass
class SourceSchema:
    path: str
    tables: list[Table]
    views: list[View] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    size_bytes: int = 0
    sqlite_version: str = ""

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def total_rows(self) -> int:
        return sum(t.row_count for t in self.tables)
