"""What the SQL rewriter's parts share: its notes and result, the tables in scope, the edit buffer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot.tokens import Token

from sqlite2pg_tui.portcode.context import SqlContext, TableInfo
from sqlite2pg_tui.portcode.textedit import Edit, EditBuffer


@dataclass
class SqlNote:
    kind: str
    offset: int  # where in the original SQL, for line numbers
    original: str
    replacement: str
    why: str
    needs_look: bool = False
    applied: bool = True


@dataclass
class SqlResult:
    original: str
    sql: str
    edits: list[Edit] = field(default_factory=list)
    notes: list[SqlNote] = field(default_factory=list)
    removed: bool = False  # every statement is dropped (e.g. PRAGMA foreign_keys = ON)
    first_keyword: str = ""
    insert_table: str | None = None
    returning: bool = False  # the INSERT now returns its key
    conflict_ignored: bool = False  # ON CONFLICT DO NOTHING: RETURNING may give no row

    @property
    def changed(self) -> bool:
        return self.sql != self.original


@dataclass
class Scope:
    """The tables one statement reads or writes, by the names and aliases it uses."""

    by_name: dict[str, TableInfo | None] = field(default_factory=dict)
    tables: list[TableInfo] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # lower output alias → as written
    ctes: set[str] = field(default_factory=set)

    def resolve(self, qualifier: str | None, column: str) -> TableInfo | None:
        if qualifier:
            return self.by_name.get(qualifier.lower())
        for t in self.tables:
            if t.has(column):
                return t
        return None


class RewriterBase:
    """The state of one rewrite and the edits and notes every rule makes through it."""

    def __init__(self, sql: str, ctx: SqlContext, has_params: bool, keep_placeholders: bool = False,
                 percent_done: bool = False) -> None:
        self.sql = sql
        self.ctx = ctx
        self.has_params = has_params
        # The placeholders are already in the target's style (Django's %s, SQLAlchemy's :name).
        self.keep_placeholders = keep_placeholders
        # The author already doubled the % signs the target needs doubled (Django's SQL).
        self.percent_done = percent_done
        self.buf = EditBuffer(sql)
        self.notes: list[SqlNote] = []
        self.removed_statements = 0
        self.statement_start = 0
        self.all_parsed = True
        self.result = SqlResult(sql, sql)

    # --- helpers ---------------------------------------------------------------------

    def pct(self, text: str) -> str:
        return text.replace("%", "%%") if self.has_params else text

    def note(self, kind: str, offset: int, original: str, replacement: str, why: str,
             needs_look: bool = False, applied: bool = True) -> None:
        self.notes.append(SqlNote(kind, offset, original, replacement, why, needs_look, applied))

    def edit(self, start: int, end: int, text: str, order: int = 0) -> bool:
        return self.buf.try_add(start, end, text, order)

    def span_text(self, toks: list[Token], a: int, b: int) -> str:
        return self.sql[toks[a].start:toks[b].end + 1]
