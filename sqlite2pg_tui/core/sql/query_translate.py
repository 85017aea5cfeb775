"""A SQLite check query in PostgreSQL's dialect, meaning the same after the migration.

sqlglot does the dialect (IFNULL → COALESCE, GROUP_CONCAT → STRING_AGG, iif → CASE, …).
This module adds what sqlglot cannot know from the text, because it depends on the
mapping and on SQLite's loose typing:

* names: tables and columns renamed by the mapping, quoted;
* types the migration changed: 0/1 columns that became boolean (``flag = 1`` → ``flag =
  TRUE``; ``SUM(flag)`` → ``SUM(flag::int)``), epoch/Julian numbers that became timestamps
  (compared and summed as numbers again), ISO texts that became timestamps (``substr(ts, 1,
  4)`` reads the text form ``ts::text``, the same 'YYYY-MM-DD HH:MM:SS' SQLite stored);
* what SQLite means and PostgreSQL spells differently (dates and their modifiers, LIKE,
  GLOB, LIMIT -1, total(), max(a, b) with NULL, round()): the rulebook, :mod:`.rules`, for
  the CHECK_QUERY target (SQLite's exact text answers), shared with every other translator;
* integer division of what SQLite still held as integers;
* text order: SQLite compares text byte-wise, so ORDER BY / MIN / MAX / ``<`` on text get
  ``COLLATE "C"``.

What cannot be carried over (``typeof()``, ``printf``, 'localtime'…) raises
:class:`Untranslatable` with the reason: write the PostgreSQL version by hand in the
mapping's ``postgres`` field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.sql.rules import CHECK_QUERY, Untranslatable
from sqlite2pg_tui.core.sql.rules.tree import TYPED, TreeRules, literal_int, rewrite_tree, string
from sqlite2pg_tui.core.sql.rules.tree import cast as _cast
from sqlite2pg_tui.core.sql.rules.tree import wrap as _wrap
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.pgtype import PgType

__all__ = ["Untranslatable", "Translation", "translate", "OutputHint"]


@dataclass
class OutputHint:
    """What the checks comparison should know about one output column of the SQLite query."""

    column: ColumnMapping | None = None  # a bare mapped column (or MIN/MAX of one): convert
    separator: str | None = None  # GROUP_CONCAT: compare the parts as a multiset


@dataclass
class Translation:
    sql: str
    ordered: bool  # the query has a top-level ORDER BY: row order is part of the answer
    hints: list[OutputHint] = field(default_factory=list)


@dataclass
class _Col:
    tm: TableMapping
    cm: ColumnMapping

    @property
    def pg(self) -> PgType:
        return PgType.of(self.cm.pg_type)

    @property
    def base(self) -> str:
        return self.pg.name

    @property
    def sql(self) -> converters.SqlForm:
        """How SQLite SQL sees the column's values: its converter says."""
        conv = converters.REGISTRY.get(self.cm.converter)
        return conv.sql if conv is not None else converters.SqlForm()

    @property
    def is_bool(self) -> bool:
        return self.pg.is_bool

    @property
    def is_text(self) -> bool:
        return self.pg.is_text

    @property
    def is_time(self) -> bool:
        return self.pg.is_time and self.number_stored is None

    @property
    def number_stored(self) -> converters.StoredNumber | None:
        """How SQLite held the timestamp when it held it as a number (Unix time, Julian day)."""
        return self.sql.number


def _parse(text: str) -> exp.Expression:
    try:
        trees = sqlglot.parse(text, read="sqlite")
    except Exception as e:  # sqlglot raises several error types
        raise Untranslatable(f"cannot parse: {str(e).splitlines()[0]}") from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise Untranslatable("a check is one SELECT statement")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise Untranslatable("a check must be a SELECT query")
    return tree


class _Translator:
    def __init__(self, mapping: Mapping) -> None:
        self.tables = {t.source.lower(): t for t in mapping.tables if t.include}
        self.cols: dict[int, _Col] = {}  # id(Column node) → what it is

    # --- names ---

    def resolve(self, tree: exp.Expression) -> None:
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for select in tree.find_all(exp.Select):
            scope: dict[str, TableMapping] = {}
            for t in select.find_all(exp.Table):
                if t.find_ancestor(exp.Select) is not select:
                    continue
                tm = self.tables.get(t.name.lower())
                if tm is None or t.name.lower() in ctes:
                    continue
                scope[(t.alias or t.name).lower()] = tm
            for c in select.find_all(exp.Column):
                if c.find_ancestor(exp.Select) is not select or id(c) in self.cols:
                    continue
                found = self._lookup(c, scope)
                if found is not None:
                    self.cols[id(c)] = found
        for t in tree.find_all(exp.Table):
            tm = self.tables.get(t.name.lower())
            if tm is not None and t.name.lower() not in ctes:
                alias = t.args.get("alias")
                t.set("this", exp.to_identifier(tm.target, quoted=True))
                if alias is None and tm.target != t.name:
                    # Qualified references keep working under the old name.
                    t.set("alias", exp.TableAlias(this=exp.to_identifier(t.name)))

    def _lookup(self, c: exp.Column, scope: dict[str, TableMapping]) -> _Col | None:
        name = c.name.lower()
        candidates = [scope[c.table.lower()]] if c.table and c.table.lower() in scope else \
            ([] if c.table else list(scope.values()))
        for tm in candidates:
            for cm in tm.columns:
                if cm.source.lower() == name:
                    return _Col(tm, cm)
        return None

    def inline_aliases(self, tree: exp.Expression) -> None:
        """SQLite lets WHERE and HAVING name a select-list alias; PostgreSQL does not: the
        aliased expression is written in its place (when no column has that name)."""
        for select in list(tree.find_all(exp.Select)):
            aliases = {e.alias.lower(): e.this for e in select.expressions
                       if isinstance(e, exp.Alias) and e.alias}
            if not aliases:
                continue
            for clause in (select.args.get("where"), select.args.get("having")):
                if clause is None:
                    continue
                for c in list(clause.find_all(exp.Column)):
                    if c.table or id(c) in self.cols or c.name.lower() not in aliases:
                        continue
                    if c.find_ancestor(exp.Select) is not select:
                        continue
                    copy = aliases[c.name.lower()].copy()
                    # What the original columns were found to be holds for their copies.
                    for a, b in zip(aliases[c.name.lower()].walk(), copy.walk(), strict=True):
                        if id(a) in self.cols:
                            self.cols[id(b)] = self.cols[id(a)]
                    c.replace(exp.Paren(this=copy))

    def rename_columns(self, tree: exp.Expression) -> None:
        for c in list(tree.find_all(exp.Column)):
            info = self.cols.get(id(c))
            if info is not None:
                c.set("this", exp.to_identifier(info.cm.target, quoted=True))

    def col(self, node: exp.Expression | None) -> _Col | None:
        while isinstance(node, exp.Paren):
            node = node.this
        return self.cols.get(id(node)) if isinstance(node, exp.Column) else None


# --- the pass ---------------------------------------------------------------------------

class _Rewriter:
    def __init__(self, tr: _Translator) -> None:
        self.tr = tr
        self.rules = TreeRules(CHECK_QUERY, self.column_info, self.as_text)

    def column_info(self, node: exp.Expression) -> tuple[str, str | None] | None:
        c = self.tr.col(node)
        if c is None:
            return None
        stored = c.number_stored
        return c.cm.pg_type, stored.modifier if stored is not None else None

    def visit(self, node: exp.Expression) -> exp.Expression | None:
        tr = self.tr
        if isinstance(node, exp.Anonymous) and node.name.lower() == "total":
            return self.total(node)
        if isinstance(node, exp.EQ | exp.NEQ | exp.NullSafeEQ | exp.NullSafeNEQ):
            self.booleans_compared(node)
            return self.time_compared(node)
        if isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE):
            self.numeric_operands(node)
            self.collate_text(node)
            return self.time_compared(node)
        if isinstance(node, exp.Between):
            for part in (node.this, node.args.get("low"), node.args.get("high")):
                self.number_stored(part)
            c = tr.col(node.this)
            if c is not None and c.is_text:
                node.set("this", exp.Collate(this=node.this, expression=exp.to_identifier("C", quoted=True)))
            return None
        if isinstance(node, exp.In):
            c = tr.col(node.this)
            if c is not None and c.is_bool:
                for e in node.expressions:
                    b = literal_int(e)
                    if b in (0, 1):
                        e.replace(exp.Boolean(this=b == 1))
            self.number_stored(node.this)
            return None
        if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Mod):
            self.numeric_operands(node)
            return None
        if isinstance(node, exp.Div):
            self.numeric_operands(node)
            return self.division(node)
        if isinstance(node, exp.Sum | exp.Avg):
            self.numeric_operands(node)
            return None
        if isinstance(node, exp.Min | exp.Max):
            return self.min_max(node)
        if isinstance(node, exp.Coalesce):
            args = [node.this, *node.expressions]
            if any((c := tr.col(a)) is not None and c.is_bool for a in args):
                for a in args:
                    b = literal_int(a)
                    if b in (0, 1):
                        a.replace(exp.Boolean(this=b == 1))
            return None
        if isinstance(node, exp.DPipe):
            for side in ("this", "expression"):
                node.set(side, self.as_text(node.args[side]))
            node.set("safe", None)
            return None
        if isinstance(node, exp.Length | exp.Upper | exp.Lower | exp.StrPosition | exp.Substring
                      | exp.Trim):
            return self.string_function(node)
        if isinstance(node, exp.Cast):
            c = tr.col(node.this)
            if c is not None and c.is_bool:
                node.set("this", _cast(node.this, "int"))
            return self.rules.visit(node)
        if isinstance(node, exp.Ordered):
            c = tr.col(node.this)
            if c is not None and c.is_text:
                node.set("this", exp.Collate(this=node.this, expression=exp.to_identifier("C", quoted=True)))
            return None
        return self.rules.visit(node)

    # --- rules ---

    def booleans_compared(self, node: exp.Binary) -> None:
        for col, lit in ((node.this, node.expression), (node.expression, node.this)):
            c = self.tr.col(col)
            if c is not None and c.is_bool:
                b = literal_int(lit)
                if b in (0, 1):
                    lit.replace(exp.Boolean(this=b == 1))
                elif (other := self.tr.col(lit)) is None or not other.is_bool:
                    _wrap(col, lambda n: _cast(n, "int"))
        self.number_stored(node.this)
        self.number_stored(node.expression)

    def numeric_operands(self, node: exp.Expression) -> None:
        for key in ("this", "expression"):
            arg = node.args.get(key)
            if not isinstance(arg, exp.Expression):
                continue
            c = self.tr.col(arg)
            if c is not None and c.is_bool:
                _wrap(arg, lambda n: _cast(n, "int"))
            else:
                self.number_stored(arg)

    def number_stored(self, node: exp.Expression | None) -> None:
        """An epoch/Julian column used as a number (compared, summed): the number again."""
        c = self.tr.col(node)
        if c is None or c.number_stored is None or node is None:
            return
        stored = c.number_stored

        def number(n: exp.Expression) -> exp.Expression:
            epoch = exp.Extract(this=exp.var("EPOCH"), expression=n)
            if stored.divisor:
                return exp.Paren(this=exp.Add(
                    this=exp.Div(this=epoch, expression=exp.Literal.number(stored.divisor)),
                    expression=exp.Literal.number(repr(stored.offset))))
            div = stored.multiplier(c.cm.options)
            return exp.Paren(this=exp.Mul(this=epoch, expression=exp.Literal.number(div))) \
                if div != 1 else epoch

        _wrap(node, number)

    def collate_text(self, node: exp.Binary) -> None:
        for key in ("this", "expression"):
            c = self.tr.col(node.args.get(key))
            if c is not None and c.is_text:
                node.set(key, exp.Collate(this=node.args[key], expression=exp.to_identifier("C", quoted=True)))

    def time_compared(self, node: exp.Binary) -> exp.Expression | None:
        """A date function compared with a timestamp column: compare as timestamps."""
        for mine, other in (("this", "expression"), ("expression", "this")):
            arg = node.args.get(mine)
            c = self.tr.col(node.args.get(other))
            if arg is not None and arg.meta.get(TYPED) is not None and c is not None and c.is_time:
                node.set(mine, arg.meta[TYPED])
        return None

    def min_max(self, node: exp.Expression) -> exp.Expression | None:
        c = self.tr.col(node.this)
        if c is not None and c.is_bool:
            node.set("this", _cast(node.this, "int"))
        elif c is not None and c.is_text:
            node.set("this", exp.Collate(this=node.this, expression=exp.to_identifier("C", quoted=True)))
        return None

    def division(self, node: exp.Div) -> exp.Expression | None:
        left, right = node.this, node.expression
        # sqlglot writes b as NULLIF(b, 0): SQLite gives NULL on a division by zero.
        inner_right = right.this if isinstance(right, exp.Nullif) else right
        if self.sqlite_integer(left) and self.sqlite_integer(inner_right) and not (
                self.pg_integer(left) and self.pg_integer(inner_right)):
            # SQLite divides integers as integers; the columns are not integers any more.
            node.set("this", _cast(left, "numeric"))
            _wrap(node, lambda n: exp.Anonymous(this="TRUNC", expressions=[n]))
            return None
        lc = self.tr.col(left)
        if lc is not None and lc.sql.numeric_affinity and \
                literal_int(inner_right) is not None:
            # NUMERIC affinity stores whole values as integers, which SQLite divides as such.
            whole = exp.EQ(this=left.copy(), expression=exp.Anonymous(this="TRUNC", expressions=[left.copy()]))
            truncated = exp.Anonymous(this="TRUNC", expressions=[node.copy()])
            _wrap(node, lambda n: exp.Case(ifs=[exp.If(this=whole, true=truncated)], default=n))
            return None
        if (not self.sqlite_integer(left) or not self.sqlite_integer(inner_right)) and \
                self.pg_integer(left) and self.pg_integer(inner_right) and \
                (self.tr.col(left) is not None or self.tr.col(inner_right) is not None):
            node.set("this", _cast(left, "double precision"))
        return None

    def sqlite_integer(self, node: exp.Expression) -> bool:
        if literal_int(node) is not None:
            return True
        c = self.tr.col(node)
        return c is not None and c.sql.integer

    def pg_integer(self, node: exp.Expression) -> bool:
        if literal_int(node) is not None:
            return True
        c = self.tr.col(node)
        return c is not None and c.pg.is_integer

    def as_text(self, node: exp.Expression) -> exp.Expression:
        """The text SQLite would have had for this operand."""
        c = self.tr.col(node)
        if c is not None:
            if c.is_bool:
                return _cast(_cast(node, "int"), "text")
            if c.base == "timestamptz":
                return _cast(_cast(node, "timestamp"), "text")
            if not c.is_text:
                return _cast(node, "text")
            return node
        if isinstance(node, exp.Literal) and not node.is_string:
            return _cast(node, "text")
        if node.meta.get(TYPED) is not None:
            return node
        if isinstance(node, exp.Binary | exp.Func | exp.Var) and not isinstance(
                node, exp.DPipe | exp.Concat | exp.Substring | exp.Upper | exp.Lower | exp.Trim
                | exp.Coalesce | exp.GroupConcat | exp.Case):
            return _cast(node, "text")
        return node

    def string_function(self, node: exp.Expression) -> exp.Expression | None:
        arg = node.this
        c = self.tr.col(arg)
        if isinstance(node, exp.Length) and c is not None and c.base == "bytea":
            return None  # octet length, as SQLite's length() of a blob
        text = self.as_text(arg)
        if text is not arg:
            node.set("this", text)
        return self.rules.visit(node) if isinstance(node, exp.Substring) else None

    def total(self, node: exp.Anonymous) -> exp.Expression | None:
        """total(): SUM over booleans as integers and epoch/Julian columns as numbers."""
        if len(node.expressions) != 1:
            raise Untranslatable("total() takes one argument")
        arg = node.expressions[0]
        c = self.tr.col(arg)
        if c is not None and c.is_bool:
            _wrap(arg, lambda n: _cast(n, "int"))
        else:
            self.number_stored(arg)
        return self.rules.call("total", list(node.expressions))


def _hints(tree: exp.Expression, tr: _Translator) -> list[OutputHint]:
    """Per output column of the outermost SELECT: a bare mapped column (whose SQLite values
    are compared after its converter) or a GROUP_CONCAT (compared part by part)."""
    select = tree
    while isinstance(select, exp.Union | exp.Subquery):
        select = select.this  # the first branch names the columns
    if not isinstance(select, exp.Select):
        return []
    hints: list[OutputHint] = []
    for e in select.expressions:
        if isinstance(e, exp.Star):
            tables = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
            if len(tables) == 1 and tables[0].name.lower() in tr.tables:
                tm = tr.tables[tables[0].name.lower()]
                hints += [OutputHint(column=cm) for cm in tm.columns]
                continue
            return []  # unknown width: no hints at all rather than misplaced ones
        inner = e.this if isinstance(e, exp.Alias) else e
        if isinstance(inner, exp.Min | exp.Max):
            inner = inner.this
        c = tr.col(inner)
        if c is not None:
            hints.append(OutputHint(column=c.cm))
        elif isinstance(inner, exp.GroupConcat):
            sep = inner.args.get("separator")
            hints.append(OutputHint(separator=string(sep) if sep is not None else ","))
        else:
            hints.append(OutputHint())
    return hints


def translate(sqlite_sql: str, mapping: Mapping) -> Translation:
    """The PostgreSQL text of a SQLite check query, with what the comparison needs to know."""
    tree = _parse(sqlite_sql)
    tr = _Translator(mapping)
    tr.resolve(tree)
    hints = _hints(tree, tr)
    ordered = tree.args.get("order") is not None
    tr.inline_aliases(tree)
    tr.rename_columns(tree)  # in place: the rules below still find columns by identity
    tree = rewrite_tree(tree, _Rewriter(tr).visit)
    try:
        text = tree.sql(dialect="postgres")
    except Exception as e:  # sqlglot's generator refuses some nodes for PostgreSQL
        raise Untranslatable(f"cannot write it for PostgreSQL: {str(e).splitlines()[0]}") from None
    return Translation(text, ordered, hints)


def tables_read(sqlite_sql: str) -> set[str]:
    """The tables a query names (lower-cased; its own CTE names left out); empty when it
    cannot be parsed."""
    try:
        tree = _parse(sqlite_sql)
    except Untranslatable:
        return set()
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name.lower() not in ctes}


def is_ordered(sqlite_sql: str) -> bool:
    try:
        return _parse(sqlite_sql).args.get("order") is not None
    except Untranslatable:
        return bool(re.search(r"\border\s+by\b", sqlite_sql, re.I))


def output_hints(sqlite_sql: str, mapping: Mapping) -> list[OutputHint]:
    """Hints for a query whose PostgreSQL text was written by hand."""
    try:
        tree = _parse(sqlite_sql)
    except Untranslatable:
        return []
    tr = _Translator(mapping)
    tr.resolve(tree)
    return _hints(tree, tr)
