"""What PRAGMAs do not tell: CHECKs, constraint names, collations, generated expressions,
DEFERRABLE.

Read from the CREATE TABLE text with sqlglot. A statement sqlglot cannot parse gives
empty results rather than an error: the PRAGMAs still describe the table. A statement
without any of the words these things are written with is not parsed at all (sqlglot is
then not even imported: a tenth of a second at start-up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

_CONFLICT = re.compile(r"\bON\s+CONFLICT\s+(ROLLBACK|ABORT|FAIL|IGNORE|REPLACE)\b", re.I)
# Every clause read below starts with or holds one of these words (a generated column's
# AS, PRIMARY KEY … DESC); a statement with none of them has nothing here to read (and,
# unread, is never ``unreadable``: that only matters to CHECKs and named constraints).
_WORTH_PARSING = re.compile(r"\b(CHECK|CONSTRAINT|COLLATE|AS|GENERATED|DEFERRABLE|DESC)\b", re.I)


@dataclass
class ColumnExtras:
    collation: str | None = None
    generated: str | None = None


@dataclass
class ParsedTable:
    columns: dict[str, ColumnExtras] = field(default_factory=dict)  # keyed by lower-case name
    checks: list[str] = field(default_factory=list)
    check_names: list[str | None] = field(default_factory=list)  # aligned with checks
    deferrable_refs: set[str] = field(default_factory=set)  # lower-case parent table names
    pk_desc: bool = False
    conflict_clauses: list[str] = field(default_factory=list)  # ON CONFLICT REPLACE …
    unreadable: str = ""  # why sqlglot could not read the statement: CHECKs and names unknown
    pk_name: str | None = None
    # (name, lower-case columns) of named UNIQUE and FOREIGN KEY constraints: SQLite keeps
    # the constraints but forgets their names, which the application's migrations use.
    unique_names: list[tuple[str, list[str]]] = field(default_factory=list)
    fk_names: list[tuple[str, list[str]]] = field(default_factory=list)

    def _check(self, expr: exp.Expression, name: str | None) -> None:
        self.checks.append(expr.sql(dialect="sqlite"))
        self.check_names.append(name)


def parse_create_table(sql: str) -> ParsedTable:
    out = ParsedTable()
    if not sql:
        return out
    # sqlglot does not know the table options; they change nothing it reads here.
    text = re.sub(r"\)\s*((WITHOUT\s+ROWID|STRICT)\s*,?\s*)+;?\s*$", ")", sql, flags=re.I)
    # Nor SQLite's conflict clauses, which PostgreSQL has no table-level form of: noted.
    out.conflict_clauses = [m.group(1).upper() for m in _CONFLICT.finditer(text)]
    text = _CONFLICT.sub(" ", text)
    if not _WORTH_PARSING.search(text):
        return out
    import sqlglot
    from sqlglot import exp

    from sqlite2pg_tui.core.sql import sql_translate  # noqa: F401 - quiets sqlglot's logger

    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception as e:  # sqlglot raises several error types; any means "unknown"
        out.unreadable = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        return out
    schema = tree.this if isinstance(tree, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        return out
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            extras = ColumnExtras()
            for cons in item.args.get("constraints") or []:
                kind = cons.args.get("kind")
                name = cons.this.name if isinstance(cons.this, exp.Identifier) else None
                if isinstance(kind, exp.CollateColumnConstraint):
                    extras.collation = kind.this.name.upper()
                elif isinstance(kind, exp.ComputedColumnConstraint):
                    extras.generated = kind.this.sql(dialect="sqlite")
                else:
                    _table_constraint(kind, name, [item.name], out)
            out.columns[item.name.lower()] = extras
        elif isinstance(item, exp.Constraint):
            for kind in item.expressions:
                _table_constraint(kind, item.name, [], out)
        else:
            _table_constraint(item, None, [], out)
    return out


def _table_constraint(kind: exp.Expression | None, name: str | None, column: list[str],
                      out: ParsedTable) -> None:
    """One constraint, written on a column (``column`` holds its name) or on the table."""
    from sqlglot import exp

    if isinstance(kind, exp.CheckColumnConstraint):
        out._check(kind.this, name)
    elif isinstance(kind, exp.Reference):
        _note_deferrable(kind, out)
        if name:
            out.fk_names.append((name, [c.lower() for c in column]))
    elif isinstance(kind, exp.ForeignKey):
        ref = kind.args.get("reference")
        if isinstance(ref, exp.Reference):
            _note_deferrable(ref, out)
        if name:
            out.fk_names.append((name, [e.name.lower() for e in kind.expressions]))
    elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
        out.pk_desc = out.pk_desc or bool(kind.args.get("desc"))
        out.pk_name = name or out.pk_name
    elif isinstance(kind, exp.PrimaryKey):
        out.pk_name = name or out.pk_name
    elif isinstance(kind, exp.UniqueColumnConstraint) and name:
        listed = kind.this.expressions if isinstance(kind.this, exp.Schema) else []
        cols = [c.lower() for c in ([e.name for e in listed] or column)]
        out.unique_names.append((name, cols))


def _note_deferrable(ref: exp.Reference, out: ParsedTable) -> None:
    from sqlglot import exp

    options = " ".join(str(o) for o in ref.args.get("options") or []).upper()
    if "DEFERRABLE" in options and "NOT DEFERRABLE" not in options:
        target = ref.this.this if isinstance(ref.this, exp.Schema) else ref.this
        out.deferrable_refs.add(target.name.lower())
