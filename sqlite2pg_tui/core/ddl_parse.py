"""What PRAGMAs do not tell: CHECKs, collations, generated expressions, DEFERRABLE.

Read from the CREATE TABLE text with sqlglot. A statement sqlglot cannot parse gives
empty results rather than an error: the PRAGMAs still describe the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from sqlite2pg_tui.core import sql_translate  # noqa: F401 - quiets sqlglot's logger


@dataclass
class ColumnExtras:
    collation: str | None = None
    generated: str | None = None


@dataclass
class ParsedTable:
    columns: dict[str, ColumnExtras] = field(default_factory=dict)  # keyed by lower-case name
    checks: list[str] = field(default_factory=list)
    deferrable_refs: set[str] = field(default_factory=set)  # lower-case parent table names
    pk_desc: bool = False


def parse_create_table(sql: str) -> ParsedTable:
    out = ParsedTable()
    if not sql:
        return out
    # sqlglot does not know the table options; they change nothing it reads here.
    text = re.sub(r"\)\s*((WITHOUT\s+ROWID|STRICT)\s*,?\s*)+;?\s*$", ")", sql, flags=re.I)
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception:  # sqlglot raises several error types; any means "unknown"
        return out
    schema = tree.this if isinstance(tree, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        return out
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            extras = ColumnExtras()
            for cons in item.args.get("constraints") or []:
                kind = cons.args.get("kind")
                if isinstance(kind, exp.CollateColumnConstraint):
                    extras.collation = kind.this.name.upper()
                elif isinstance(kind, exp.ComputedColumnConstraint):
                    extras.generated = kind.this.sql(dialect="sqlite")
                elif isinstance(kind, exp.CheckColumnConstraint):
                    out.checks.append(kind.this.sql(dialect="sqlite"))
                elif isinstance(kind, exp.Reference):
                    _note_deferrable(kind, out)
                elif isinstance(kind, exp.PrimaryKeyColumnConstraint) and kind.args.get("desc"):
                    out.pk_desc = True
            out.columns[item.name.lower()] = extras
        elif isinstance(item, exp.CheckColumnConstraint):
            out.checks.append(item.this.sql(dialect="sqlite"))
        elif isinstance(item, exp.ForeignKey):
            ref = item.args.get("reference")
            if isinstance(ref, exp.Reference):
                _note_deferrable(ref, out)
    return out


def _note_deferrable(ref: exp.Reference, out: ParsedTable) -> None:
    options = " ".join(str(o) for o in ref.args.get("options") or []).upper()
    if "DEFERRABLE" in options and "NOT DEFERRABLE" not in options:
        target = ref.this.this if isinstance(ref.this, exp.Schema) else ref.this
        out.deferrable_refs.add(target.name.lower())
