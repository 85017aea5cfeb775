"""SQLite SQL expressions and statements in PostgreSQL's dialect: CHECK constraints, generated
columns, index keys and views.

sqlglot does the dialect work; the rulebook (:mod:`.rules`) adds what SQLite means and
sqlglot does not carry over (dates, GLOB, LIKE's case, max/min with NULL…), for the target
at hand (an index key must not read the clock); this adds the mapping: renamed
tables/columns, 0/1 columns that became boolean.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from sqlite2pg_tui.core.sql.rules import CONSTRAINT, INDEX, VIEW, Target, Untranslatable, literals
from sqlite2pg_tui.core.sql.rules.tree import TreeRules

__all__ = ["Untranslatable", "expression", "parse", "rewrite", "statement", "table_names"]


def parse(text: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception as e:  # sqlglot raises several error types
        raise Untranslatable(f"cannot parse: {str(e).splitlines()[0]}") from None
    if isinstance(tree, exp.Command):
        raise Untranslatable("uses syntax the translator does not know")
    return tree


def rewrite(tree: exp.Expression, columns: dict[str, str] | None = None,
            tables: dict[str, str] | None = None, booleans: set[str] | None = None,
            target: Target = INDEX) -> exp.Expression:
    """The rulebook's rules for ``target``, then columns/tables renamed (quoted) and `flag = 1`
    turned into `flag = TRUE` for boolean columns."""
    columns = columns or {}
    tables = tables or {}
    booleans = {b.lower() for b in (booleans or set())}
    tree = TreeRules(target).run(tree)
    for node in list(tree.find_all(exp.EQ, exp.NEQ)):
        for col, lit in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(col, exp.Column) and col.name.lower() in booleans and \
                    isinstance(lit, exp.Literal) and not lit.is_string:
                b = literals.boolean(lit.this)
                if b is not None:
                    lit.replace(exp.Boolean(this=b == "TRUE"))
    for col in tree.find_all(exp.Column):
        col.set("this", exp.to_identifier(columns.get(col.name, col.name), quoted=True))
    for tbl in tree.find_all(exp.Table):
        tbl.set("this", exp.to_identifier(tables.get(tbl.name, tbl.name), quoted=True))
    return tree


def expression(text: str, columns: dict[str, str] | None = None,
               booleans: set[str] | None = None, target: Target = CONSTRAINT) -> str:
    """One SQLite expression (a CHECK, a generated column) as PostgreSQL text."""
    tree = parse(f"SELECT {text}")
    select = tree if isinstance(tree, exp.Select) else None
    if select is None or len(select.expressions) != 1:
        raise Untranslatable("not a single expression")
    node = rewrite(select, columns, None, booleans, target).expressions[0]
    return node.sql(dialect="postgres")


def statement(text: str, columns: dict[str, str] | None = None, tables: dict[str, str] | None = None,
              booleans: set[str] | None = None) -> str:
    """A view's CREATE VIEW statement as PostgreSQL text."""
    tree = rewrite(parse(text), columns, tables, booleans, VIEW)
    return tree.sql(dialect="postgres")


def table_names(text: str) -> set[str]:
    """Lower-cased names of the tables a statement reads (empty when it cannot be parsed)."""
    try:
        tree = parse(text)
    except Untranslatable:
        return set()
    return {t.name.lower() for t in tree.find_all(exp.Table)}
