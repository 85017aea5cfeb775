"""SQLite SQL expressions and statements in PostgreSQL's dialect.

sqlglot does the dialect work; this adds what it cannot know from the text alone: the
mapping (renamed tables/columns, 0/1 columns that became boolean).
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp

# sqlglot logs a warning for each statement it cannot fully parse; we report those ourselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class Untranslatable(ValueError):
    pass


def _parse(text: str, statement: bool) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception as e:  # sqlglot raises several error types
        raise Untranslatable(f"cannot parse: {str(e).splitlines()[0]}") from None
    if isinstance(tree, exp.Command):
        raise Untranslatable("uses syntax the translator does not know")
    return tree


def _bool_literal(node: exp.Expression) -> exp.Boolean | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this in ("0", "1"):
        return exp.Boolean(this=node.this == "1")
    return None


def rewrite(tree: exp.Expression, columns: dict[str, str] | None = None,
            tables: dict[str, str] | None = None, booleans: set[str] | None = None) -> exp.Expression:
    """Rename columns/tables (quoted) and turn `flag = 1` into `flag = TRUE` for boolean columns."""
    columns = columns or {}
    tables = tables or {}
    booleans = {b.lower() for b in (booleans or set())}
    for node in list(tree.find_all(exp.EQ, exp.NEQ)):
        left, right = node.this, node.expression
        for col, lit in ((left, right), (right, left)):
            if isinstance(col, exp.Column) and col.name.lower() in booleans:
                b = _bool_literal(lit)
                if b is not None:
                    lit.replace(b)
    for col in tree.find_all(exp.Column):
        col.set("this", exp.to_identifier(columns.get(col.name, col.name), quoted=True))
    for tbl in tree.find_all(exp.Table):
        tbl.set("this", exp.to_identifier(tables.get(tbl.name, tbl.name), quoted=True))
    return tree


def expression(text: str, columns: dict[str, str] | None = None,
               booleans: set[str] | None = None) -> str:
    """One SQLite expression (a CHECK, an index key or WHERE) as PostgreSQL text."""
    tree = _parse(f"SELECT {text}", statement=False)
    select = tree if isinstance(tree, exp.Select) else None
    if select is None or len(select.expressions) != 1:
        raise Untranslatable("not a single expression")
    node = rewrite(select.expressions[0], columns, None, booleans)
    return node.sql(dialect="postgres")


def statement(text: str, columns: dict[str, str] | None = None, tables: dict[str, str] | None = None,
              booleans: set[str] | None = None) -> str:
    tree = rewrite(_parse(text, statement=True), columns, tables, booleans)
    return tree.sql(dialect="postgres")


def parse(text: str) -> exp.Expression:
    return _parse(text, statement=True)


def table_names(text: str) -> set[str]:
    """Lower-cased names of the tables a statement reads (empty when it cannot be parsed)."""
    try:
        tree = _parse(text, statement=True)
    except Untranslatable:
        return set()
    return {t.name.lower() for t in tree.find_all(exp.Table)}
