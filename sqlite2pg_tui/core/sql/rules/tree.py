"""The rulebook applied to a sqlglot tree: what the tree translators (check queries, DDL
expressions, views) share.

sqlglot reads SQLite and writes PostgreSQL; these rules replace the nodes whose meaning it
does not carry over (date functions, GLOB, LIKE's case, multi-argument max/min, round,
total, the SQLite-only functions). Each rule writes PostgreSQL text around its arguments'
text, which is parsed back into the tree.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from sqlite2pg_tui.core.sql.rules import dates, functions, literals, patterns
from sqlite2pg_tui.core.sql.rules.base import Arg, Rewritten, Target, Untranslatable, same

# What a translator knows of a column node: its PostgreSQL type and how SQLite stored it.
ColumnInfo = Callable[[exp.Expression], tuple[str, str | None] | None]
AsText = Callable[[exp.Expression], exp.Expression]

# sqlglot's own nodes for functions PostgreSQL has no equivalent of.
_SQLITE_ONLY_NODES = {exp.Typeof: "typeof", exp.Hex: "hex", exp.Chr: "char", exp.Unicode: "unicode",
                      exp.Format: "format", exp.JSONType: "json_type"}
_CURRENT = {exp.CurrentTimestamp: "timestamp", exp.CurrentDate: "date", exp.CurrentTime: "time"}
TYPED = "s2p_typed"  # meta key: the typed twin of a date function's text result


def _atomic(text: str) -> bool:
    """Safe to put an operator next to: one call, one parenthesised whole, or CASE ... END."""
    if text.startswith("CASE ") and text.endswith(" END"):
        return True
    opened = text.find("(")
    if opened < 0 or not text.endswith(")") or not (opened == 0 or text[:opened].replace("_", "").isalnum()):
        return False
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0 and i < len(text) - 1 and i >= opened:
                return False
    return True


def written(text: str) -> exp.Expression:
    """A rule's PostgreSQL text as a node of the tree, written out as it is: parsed back,
    sqlglot would read TO_CHAR's patterns as its own and write them differently."""
    return exp.Var(this=text if _atomic(text) else f"({text})")


def literal_int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    if isinstance(node, exp.Neg):
        inner = literal_int(node.this)
        return -inner if inner is not None else None
    return None


def string(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def cast(node: exp.Expression, to: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(to, dialect="postgres"))


def wrap(node: exp.Expression, build: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """Put ``build(node)`` where ``node`` was, keeping the node itself (no copy), so what is
    known about its columns (looked up by identity) still holds inside the new expression."""
    holder = exp.Null()
    node.replace(holder)
    new = build(node)
    holder.replace(new)
    return new


def rewrite_tree(tree: exp.Expression, visit: Callable[[exp.Expression], exp.Expression | None]) -> exp.Expression:
    """``visit`` over the tree, children before parents (a reversed pre-order), so each rule
    sees its arguments rewritten; a node it returns takes the visited node's place."""
    for node in reversed(list(tree.walk())):
        new = visit(node)
        if new is not None and new is not node:
            node.replace(new)
            if node is tree:
                tree = new
    return tree


class TreeRules:
    """Rules for one target; ``column`` and ``as_text`` say what the translator knows of columns."""

    def __init__(self, target: Target, column: ColumnInfo | None = None, as_text: AsText | None = None) -> None:
        self.target = target
        self.column = column or (lambda node: None)
        self.as_text = as_text or same

    def arg(self, node: exp.Expression) -> Arg:
        if isinstance(node, tuple(_CURRENT)):
            return Arg(raw="'now'", text="'now'", literal="now")
        known = self.column(node)
        a = Arg(raw=node.sql(dialect="sqlite"), text=node.sql(dialect="postgres"), literal=string(node),
                number=isinstance(node, exp.Literal) and not node.is_string)
        if known is not None:
            a.pg_type, a.stored = known
        return a

    def _written(self, r: Rewritten | None) -> exp.Expression | None:
        if r is None:
            return None
        new = written(r.text)
        if r.typed is not None:
            new.meta[TYPED] = written(r.typed)
        return new

    def call(self, name: str, args: list[exp.Expression]) -> exp.Expression | None:
        return self._written(functions.call(name, [self.arg(a) for a in args], self.target, same))

    def visit(self, node: exp.Expression) -> exp.Expression | None:
        """The node's replacement, or None when no rule applies (the node may be changed in place)."""
        if isinstance(node, exp.Anonymous):
            return self.call(node.name, list(node.expressions))
        if isinstance(node, tuple(_SQLITE_ONLY_NODES)):
            raise functions.sqlite_only(_SQLITE_ONLY_NODES[type(node)])
        if isinstance(node, exp.Date):
            return self.call("date", [node.this, *node.expressions])
        if isinstance(node, exp.TimeToStr):
            fmt = node.args.get("format")
            value = node.this
            if isinstance(value, exp.TsOrDsToTimestamp):
                value = value.this  # sqlglot's reading of SQLite's value, not written by anyone
            return self.call("strftime", [fmt if fmt is not None else exp.Null(), value])
        if isinstance(node, tuple(_CURRENT)):
            if self._time_value(node):
                return None  # the date function it is given to reads it as 'now'
            return written(dates.current(_CURRENT[type(node)], self.target))
        if isinstance(node, exp.Glob):
            m = patterns.glob(string(node.expression), False, self.target)
            value = self.as_text(node.this)
            pattern = exp.Literal.string(m.value or "")
            return exp.RegexpLike(this=value, expression=pattern) if m.regex else \
                exp.Like(this=value, expression=pattern)
        if isinstance(node, exp.Like | exp.ILike):
            esc = node.parent if isinstance(node.parent, exp.Escape) else None
            m = patterns.like(string(node.expression), esc is not None, False, self.target)
            new: exp.Expression = exp.ILike(this=self.as_text(node.this), expression=node.expression)
            if node.args.get("negate"):
                new = exp.Not(this=new)
            return exp.Escape(this=new, expression=exp.Literal.string("")) if m.escape else new
        if isinstance(node, exp.Greatest | exp.Least):
            return self.call("max" if isinstance(node, exp.Greatest) else "min", [node.this, *node.expressions])
        if isinstance(node, exp.Round):
            digits = node.args.get("decimals")
            return self.call("round", [node.this] + ([digits] if digits is not None else []))
        if isinstance(node, exp.Substring):
            start, length = node.args.get("start"), node.args.get("length")
            if start is None:
                return None
            given = [node.this, start] + ([length] if length is not None else [])
            return self._written(functions.substr([self.arg(a) for a in given], literal_int(start)))
        if isinstance(node, exp.Cast):
            a = self.arg(node.this)
            rule = functions.cast(a, node.to.sql(dialect="sqlite"))
            if rule is not None:
                operand, new_type, _ = rule
                if operand != a.text:
                    node.set("this", written(operand))
                node.set("to", exp.DataType.build(new_type, dialect="postgres"))
            return None
        if isinstance(node, exp.Collate):
            return self.collate(node)
        if isinstance(node, exp.JSONExtractScalar | exp.JSONExtract):
            return self.json(node)
        if isinstance(node, exp.DPipe):
            for side in ("this", "expression"):
                if literals.concat_operand(node.args[side].sql(dialect="sqlite")) is not None:
                    node.set(side, cast(node.args[side], "text"))
            return None
        if isinstance(node, exp.GroupConcat):
            # STRING_AGG takes text only: the text SQLite would have joined.
            value = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
            known = self.column(value)
            if known is None or not Arg("", "", pg_type=known[0]).is_text:
                wrap(value, self._text)
            return None
        if isinstance(node, exp.Limit):
            n = literal_int(node.expression)
            if n is not None and literals.no_limit(n):
                return exp.Limit(expression=exp.Null())  # LIMIT NULL: PostgreSQL's "no limit"
        return None

    @staticmethod
    def _time_value(node: exp.Expression) -> bool:
        """The node is the time value of a date function (sqlglot's strftime may wrap it)."""
        parent = node.parent
        if isinstance(parent, exp.TsOrDsToTimestamp):
            parent = parent.parent
        return isinstance(parent, exp.TimeToStr | exp.Date) or \
            isinstance(parent, exp.Anonymous) and parent.name.lower() in dates.DATE_FUNCTIONS

    def _text(self, node: exp.Expression) -> exp.Expression:
        new = self.as_text(node)
        if new is node and not (isinstance(node, exp.Cast) and node.to.is_type("text")):
            return cast(node, "text")
        return new

    def collate(self, node: exp.Collate) -> exp.Expression | None:
        """SQLite's collations: NOCASE folds ASCII case, RTRIM ignores trailing spaces, BINARY
        compares bytes (as "C" does)."""
        coll = node.expression.name.upper() if node.expression else ""
        inner = node.this
        if coll == "NOCASE":
            inner = exp.Lower(this=inner)
        elif coll == "RTRIM":
            inner = exp.Trim(this=inner, position="TRAILING")
        elif coll != "BINARY":
            return None
        return exp.Collate(this=inner, expression=exp.to_identifier("C", quoted=True))

    def json(self, node: exp.JSONExtractScalar | exp.JSONExtract) -> exp.Expression | None:
        """json_extract(doc, '$.a[0]') on a jsonb column: its path, as text or as jsonb."""
        known = self.column(node.this)
        if known is None or Arg("", "", pg_type=known[0]).pg_base != "jsonb":
            return None  # sqlglot's own JSON functions
        path = node.expression
        keys = [k.name if isinstance(k, exp.JSONPathKey) else str(k.this)
                for k in (path.expressions if isinstance(path, exp.JSONPath) else [])
                if isinstance(k, exp.JSONPathKey | exp.JSONPathSubscript)]
        fn = "jsonb_extract_path_text" if isinstance(node, exp.JSONExtractScalar) else "jsonb_extract_path"
        return exp.Anonymous(this=fn, expressions=[node.this, *[exp.Literal.string(k) for k in keys]])

    def run(self, tree: exp.Expression) -> exp.Expression:
        return rewrite_tree(tree, self.visit)


__all__ = ["TreeRules", "Untranslatable", "cast", "literal_int", "rewrite_tree", "string", "wrap"]
