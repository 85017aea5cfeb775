"""One SQLite SQL string → the same SQL for PostgreSQL through psycopg2, with reasons.

sqlglot tokenizes and parses the SQL (so string literals, comments and quoted names are
never mistaken for placeholders or functions) but does not print it back: every change is
an edit at a token's position, so the rest of the author's SQL keeps its layout, case and
comments. Calls to SQLite-only functions are rebuilt around their arguments as written
(with the edits inside those already applied), innermost first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.tokens import Token, TokenType

from sqlite2pg_tui.portcode import sql_functions as fn
from sqlite2pg_tui.portcode.context import PG_RESERVED, SqlContext, TableInfo, quote_ident
from sqlite2pg_tui.portcode.textedit import Edit, EditBuffer

# sqlglot logs a warning for each statement it can only keep as a "Command"; we report those.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class _Tokenizer(SQLite.Tokenizer):
    # sqlglot swallows the rest of a "command" (REPLACE INTO ... among them) as one string;
    # every token of every statement is wanted here.
    COMMANDS: set[TokenType] = set()


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


_STATEMENT_WORDS = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "PRAGMA",
    "WITH", "BEGIN", "COMMIT", "ROLLBACK", "END", "VACUUM", "ANALYZE", "ATTACH", "DETACH",
    "SAVEPOINT", "RELEASE", "EXPLAIN", "REINDEX", "VALUES",
}

_NOW_KEYWORDS = {
    TokenType.CURRENT_TIMESTAMP: fn.NOW_UTC,
    TokenType.CURRENT_DATE: f"CAST({fn.NOW_UTC} AS DATE)",
    TokenType.CURRENT_TIME: f"CAST({fn.NOW_UTC} AS TIME(0))",
}

_NAME_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CATALOG_TABLES = ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_sequence")


def looks_like_sql(text: str) -> bool:
    m = re.match(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z]+)", text, re.S)
    return bool(m) and m.group(1).upper() in _STATEMENT_WORDS


def _tokenize(sql: str) -> list[Token]:
    return list(_Tokenizer().tokenize(sql))


def _split(tokens: list[Token]) -> list[list[Token]]:
    """Statements at top-level semicolons; a trigger's BEGIN ... END body stays whole."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    for t in tokens:
        if t.token_type == TokenType.SEMICOLON:
            head = [x.text.upper() for x in cur[:5]]
            in_trigger = bool(head) and head[0] == "CREATE" and "TRIGGER" in head
            if in_trigger and (not cur or cur[-1].text.upper() != "END"):
                cur.append(t)
                continue
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        out.append(cur)
    return out


def _pyformat(tokens: list[Token]) -> bool:
    for a, b in zip(tokens, tokens[1:], strict=False):
        if a.token_type == TokenType.MOD and b.start == a.end + 1 and (
                b.text == "s" or b.token_type == TokenType.L_PAREN):
            return True
    return False


def _match_paren(toks: list[Token], i: int) -> int | None:
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif toks[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    return None


def _split_args(toks: list[Token], i: int, j: int) -> list[tuple[int, int]]:
    """Token index ranges (inclusive) of the arguments between parentheses i and j."""
    args: list[tuple[int, int]] = []
    depth = 0
    start = i + 1
    for k in range(i + 1, j):
        tt = toks[k].token_type
        if tt in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif tt in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif tt == TokenType.COMMA and depth == 0:
            if k > start:
                args.append((start, k - 1))
            start = k + 1
    if j > start:
        args.append((start, j - 1))
    return args


def _word(t: Token) -> str:
    """The first word of a token, upper-cased ("PRIMARY KEY" is one token in sqlglot)."""
    return t.text.split()[0].upper() if t.text.strip() else ""


_TABLE_OPTIONS = re.compile(r"\)(\s*(?:WITHOUT\s+ROWID|STRICT)\s*(?:,\s*(?:WITHOUT\s+ROWID|STRICT)\s*)*)$",
                            re.I)


def _without_table_options(text: str) -> str:
    """CREATE TABLE text with SQLite's table options blanked out (same length), for sqlglot."""
    m = _TABLE_OPTIONS.search(text)
    if m is None:
        return text
    return text[:m.start(1)] + " " * len(m.group(1))


def _parse(text: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception:  # sqlglot raises several error types; any means "not understood"
        return None
    return tree


@dataclass
class _Scope:
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


class _Rewriter:
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

    # --- the statement ---------------------------------------------------------------

    def statement(self, toks: list[Token], want_returning: bool, script: bool) -> None:
        s, e = toks[0].start, toks[-1].end + 1
        self.statement_start = s
        text = self.sql[s:e]
        head = [_word(t) for t in toks[:5]]
        kind = head[0]
        if not self.result.first_keyword:
            self.result.first_keyword = kind
        if kind == "PRAGMA":
            self.pragma(toks, s, e, script)
            return
        if kind == "CREATE" and "TRIGGER" in head:
            self.note("trigger", s, text.split("\n")[0], "",
                      "PostgreSQL triggers call a trigger function (CREATE FUNCTION ... RETURNS "
                      "trigger, then CREATE TRIGGER ... EXECUTE FUNCTION): rewrite it by hand",
                      needs_look=True, applied=False)
            return
        if kind == "CREATE" and "VIRTUAL" in head:
            self.note("virtual-table", s, text.split("\n")[0], "",
                      "virtual tables (FTS, R*Tree) do not exist in PostgreSQL: full-text search "
                      "is a tsvector column with a GIN index", needs_look=True, applied=False)
            return
        if kind in ("ATTACH", "DETACH"):
            self.note("attach", s, text, "", "PostgreSQL has no ATTACH: use another schema in "
                      "the same database, or postgres_fdw", needs_look=True, applied=False)
            return
        if kind == "VACUUM":
            self.note("vacuum", s, text, text, "VACUUM cannot run inside a transaction block: "
                      "set conn.autocommit = True around it (or leave it to autovacuum)",
                      needs_look=True)
        if kind == "DROP" and script and len(toks) > 2 and head[1] == "TABLE" \
                and _word(toks[-1]) not in ("CASCADE", "RESTRICT"):
            self.edit(toks[-1].end + 1, toks[-1].end + 1, " " + fn.cased("CASCADE", toks[0].text))
            self.note("drop-table", s, text, text + " CASCADE",
                      "SQLite drops a table that other tables still reference; PostgreSQL refuses "
                      "unless CASCADE, which drops those foreign-key constraints (and views on the "
                      "table) with it. A script that recreates every table puts them back")
        if kind == "BEGIN" and len(toks) > 1 and head[1] in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            self.edit(toks[0].end + 1, toks[1].end + 1, "")
            self.note("begin", s, self.span_text(toks, 0, 1), toks[0].text,
                      f"PostgreSQL's BEGIN has no {head[1]}; psycopg2 also opens transactions "
                      "by itself, so an explicit BEGIN is rarely needed")

        tree = _parse(_without_table_options(text)) if kind != "REPLACE" else _parse("INSERT OR " + text)
        if tree is None or isinstance(tree, exp.Command):
            self.note("sql-unparsed", s, text, "", "sqlglot could not parse this statement: only "
                      "placeholders, % signs and known functions were converted", needs_look=True,
                      applied=False)
            self.all_parsed = False
            tree = None
        scope = self.scope(tree)
        spans = self.functions(toks, scope)
        self.placeholders(toks)
        self.keywords(toks)
        if kind == "CREATE" and len(head) > 1 and "TABLE" in head[1:3]:
            self.create_table(toks)
        if tree is not None:
            self.booleans(tree, s, scope)
            self.identifiers(tree, s, scope)
            if tree.find(exp.DPipe) is not None:
                self.note("concat", s, "||", "||",
                          "PostgreSQL's || is NULL when either side is NULL, as in SQLite, but "
                          "it needs a text operand: cast numbers (x::text) or use concat(), "
                          "which also treats NULL as ''")
        if kind in ("INSERT", "REPLACE"):
            self.insert(toks, tree, want_returning)
        self.percent(s, e)
        for i, j in sorted(spans, key=lambda p: p[1] - p[0]):
            self.structured(toks, i, j, scope)

    # --- scope -----------------------------------------------------------------------

    def scope(self, tree: exp.Expression | None) -> _Scope:
        sc = _Scope()
        if tree is None:
            return sc
        for cte in tree.find_all(exp.CTE):
            if cte.alias:
                sc.ctes.add(cte.alias.lower())
        for t in tree.find_all(exp.Table):
            name = t.name
            if not name or name.lower() in sc.ctes:
                continue
            if name.lower() in _CATALOG_TABLES:
                self.note("catalog", self.statement_start, name, "",
                          f"{name} is SQLite's own catalog: in PostgreSQL ask information_schema "
                          "(tables, columns) or pg_catalog (pg_indexes, pg_sequences)",
                          needs_look=True, applied=False)
            info = self.ctx.table(name)
            sc.by_name[name.lower()] = info
            if t.alias:
                sc.by_name[t.alias.lower()] = info
            if info is not None and info not in sc.tables:
                sc.tables.append(info)
        for a in tree.find_all(exp.Alias):
            ident = a.args.get("alias")
            if isinstance(ident, exp.Identifier) and ident.this:
                sc.aliases.setdefault(ident.this.lower(), ident.this)
        return sc

    # --- placeholders and % --------------------------------------------------------------

    def placeholders(self, toks: list[Token]) -> None:
        if self.keep_placeholders:
            return
        positional = 0
        named: list[str] = []
        first = None
        i = 0
        while i < len(toks):
            t = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            adjacent = nxt is not None and nxt.start == t.end + 1
            if t.token_type == TokenType.PLACEHOLDER and t.text == "?":
                if adjacent and nxt is not None and nxt.token_type == TokenType.NUMBER:
                    self.note("placeholders", t.start, f"?{nxt.text}", "",
                              "numbered ?NNN placeholders have no psycopg2 form: use %(name)s "
                              "with a dict, or %s in order", needs_look=True, applied=False)
                    i += 2
                    continue
                if self.edit(t.start, t.end + 1, "%s"):
                    positional += 1
                    first = t.start if first is None else first
            elif (t.token_type in (TokenType.COLON, TokenType.PARAMETER) and t.text in (":", "@")
                  and adjacent and nxt is not None and _NAME_TOKEN.match(nxt.text)):
                if self.edit(t.start, nxt.end + 1, f"%({nxt.text})s"):
                    named.append(nxt.text)
                    first = t.start if first is None else first
                i += 2
                continue
            elif (t.token_type == TokenType.VAR and t.text.startswith("$") and _NAME_TOKEN.match(t.text[1:])
                  and self.edit(t.start, t.end + 1, f"%({t.text[1:]})s")):
                named.append(t.text[1:])
                first = t.start if first is None else first
            i += 1
        if positional or named:
            orig = ", ".join(x for x in ("?" if positional else "",
                                         ", ".join(f":{n}" for n in dict.fromkeys(named))) if x)
            repl = ", ".join(x for x in ("%s" if positional else "",
                                         ", ".join(f"%({n})s" for n in dict.fromkeys(named))) if x)
            count = positional + len(named)
            self.note("placeholders", first or 0, orig, repl,
                      f"psycopg2 uses %s and %(name)s placeholders; {count} placeholder(s) "
                      "converted (the parameters stay as they are: a tuple/list, or a dict for names)")

    def percent(self, start: int, end: int) -> None:
        if not self.has_params or self.percent_done:
            return
        count = 0
        for i in range(start, end):
            if self.sql[i] == "%" and not self.buf.covered(i) and self.edit(i, i + 1, "%%"):
                count += 1
        if count:
            first = self.sql.index("%", start)
            self.note("percent", first, "%", "%%",
                      "with parameters, psycopg2 reads every % in the SQL (even inside quotes "
                      "and comments) as a placeholder: a literal % must be written %%")

    # --- operators, LIKE, GLOB, LIMIT, CURRENT_TIMESTAMP ---------------------------------

    def keywords(self, toks: list[Token]) -> None:
        ddl = _word(toks[0]) in ("CREATE", "ALTER")
        for i, t in enumerate(toks):
            tt = t.token_type
            if tt in _NOW_KEYWORDS and not (i + 1 < len(toks) and toks[i + 1].token_type == TokenType.L_PAREN):
                new = _NOW_KEYWORDS[tt]
                if self.edit(t.start, t.end + 1, new):
                    self.note("date-function", t.start, t.text, new,
                              f"SQLite's {t.text.upper()} is UTC; PostgreSQL's follows the session's "
                              "time zone, so the UTC value is spelled out")
            elif tt == TokenType.EQ and t.text == "==":
                if self.edit(t.start, t.end + 1, "="):
                    self.note("operator", t.start, "==", "=",
                              "== is SQLite's spelling of =; PostgreSQL only knows =")
            elif (tt == TokenType.NOT and not ddl and i + 1 < len(toks)
                  and toks[i + 1].token_type == TokenType.NULL
                  and (i == 0 or toks[i - 1].token_type != TokenType.IS)):
                if self.edit(t.start, t.start, fn.cased("IS ", t.text)):
                    self.note("operator", t.start, "x NOT NULL", "x IS NOT NULL",
                              "SQLite accepts `x NOT NULL` as a test; PostgreSQL needs IS NOT NULL")
            elif tt == TokenType.LIKE:
                if self.edit(t.start, t.end + 1, fn.cased("ILIKE", t.text)):
                    self.note("like", t.start, t.text, fn.cased("ILIKE", t.text),
                              "SQLite's LIKE ignores ASCII case, PostgreSQL's does not: ILIKE "
                              "keeps the match case-insensitive (it also folds non-ASCII letters, "
                              "and \\ escapes wildcards by default). Keep LIKE where case must count")
            elif tt == TokenType.HEX_STRING:
                self.blob(toks, i)
            elif tt == TokenType.GLOB:
                self.glob(toks, i)
            elif tt == TokenType.LIMIT:
                self.limit(toks, i)

    def blob(self, toks: list[Token], i: int) -> None:
        t = toks[i]
        literal = "'\\x" + t.text + "'"
        joined = any(0 <= k < len(toks) and toks[k].token_type == TokenType.DPIPE for k in (i - 1, i + 1))
        if joined:
            # Next to || the bytes were meant as text (SQLite concatenates them as such):
            # bytea || text would give bytea in PostgreSQL.
            new = f"convert_from({literal}, 'UTF8')"
            why = ("x'...' is a blob literal; joined to text with || SQLite reads its bytes as "
                   "text, so PostgreSQL decodes them as UTF-8 (a bytea would stay bytes)")
        else:
            new = f"{literal}::bytea"
            why = "x'...' blob literals are written '\\x...'::bytea in PostgreSQL"
        if self.edit(t.start, t.end + 1, new):
            self.note("blob", t.start, self.sql[t.start:t.end + 1], new, why)

    def glob(self, toks: list[Token], i: int) -> None:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.token_type == TokenType.STRING and not re.search(r"[\[%_\\]", nxt.text):
            pattern = nxt.text.replace("*", "%").replace("?", "_")
            new_lit = self.pct(fn.sql_string(pattern))
            if self.edit(t.start, t.end + 1, fn.cased("LIKE", t.text)) and \
                    self.edit(nxt.start, nxt.end + 1, new_lit):
                self.note("glob", t.start, self.span_text(toks, i, i + 1),
                          f"{fn.cased('LIKE', t.text)} {new_lit}",
                          "GLOB is SQLite's case-sensitive match with * and ?: LIKE with "
                          "% and _ is the same in PostgreSQL")
            return
        self.note("glob", t.start, t.text, "",
                  "GLOB does not exist in PostgreSQL: use LIKE (% and _) or a regular "
                  "expression (~)", needs_look=True, applied=False)

    def limit(self, toks: list[Token], i: int) -> None:
        rest = toks[i + 1:i + 5]
        if len(rest) >= 2 and rest[0].token_type == TokenType.DASH and rest[1].token_type == TokenType.NUMBER:
            if self.edit(rest[0].start, rest[1].end + 1, fn.cased("ALL", toks[i].text)):
                self.note("limit", toks[i].start, self.span_text(toks, i, i + 2),
                          f"{toks[i].text} {fn.cased('ALL', toks[i].text)}",
                          "a negative LIMIT means no limit in SQLite; PostgreSQL rejects it and "
                          "spells it LIMIT ALL")
            return
        # LIMIT offset, count: PostgreSQL accepts OFFSET before LIMIT, so the parameters
        # keep their order when the clause is turned around.
        if (len(rest) >= 3 and rest[1].token_type == TokenType.COMMA
                and all(r.token_type in (TokenType.NUMBER, TokenType.PLACEHOLDER) for r in (rest[0], rest[2]))
                and not (len(rest) > 3 and rest[3].start == rest[2].end + 1)):
            a = self.buf.render(rest[0].start, rest[0].end + 1)
            b = self.buf.render(rest[2].start, rest[2].end + 1)
            start, end = toks[i].start, rest[2].end + 1
            new = f"{fn.cased('OFFSET', toks[i].text)} {a} {toks[i].text} {b}"
            if not self.buf.overlaps(start, rest[0].start) and not self.buf.overlaps(rest[0].end + 1, rest[2].start):
                self.buf.collapse(start, end, new)
                self.note("limit", start, self.sql[start:end], new,
                          "LIMIT offset, count is SQLite (and MySQL) only; OFFSET before LIMIT "
                          "keeps the parameters in the same order")

    # --- functions -------------------------------------------------------------------

    _RENAMES = {"ifnull": "COALESCE", "instr": "STRPOS"}
    _STRUCTURED = fn.DATE_FUNCTIONS | {"group_concat", "iif", "round", "total", "json_extract",
                                       "cast", "sum", "avg"}

    def functions(self, toks: list[Token], scope: _Scope) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for i, t in enumerate(toks):
            if t.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER):
                continue
            if i + 1 >= len(toks) or toks[i + 1].token_type != TokenType.L_PAREN:
                continue
            if i > 0 and toks[i - 1].token_type == TokenType.DOT:
                continue
            name = t.text.lower()
            j = _match_paren(toks, i + 1)
            if j is None:
                continue
            if name in self._RENAMES:
                new = fn.cased(self._RENAMES[name], t.text)
                if self.edit(t.start, t.end + 1, new):
                    why = ("no IFNULL in PostgreSQL: COALESCE is the standard spelling" if name == "ifnull"
                           else "no INSTR in PostgreSQL: STRPOS(string, substring) takes the same arguments")
                    self.note(name, t.start, self.span_text(toks, i, j), new + "(...)", why)
            elif name in ("max", "min") and len(_split_args(toks, i + 1, j)) >= 2:
                new = fn.cased("GREATEST" if name == "max" else "LEAST", t.text)
                if self.edit(t.start, t.end + 1, new):
                    self.note("max-min", t.start, self.span_text(toks, i, j), new + "(...)",
                              f"{name}() with several arguments is {new} in PostgreSQL; note that "
                              f"{new} ignores NULL arguments where SQLite returns NULL")
            elif name in fn.NEEDS_LOOK_FUNCTIONS:
                self.note(name, t.start, self.span_text(toks, i, j), "",
                          f"{name}() has no PostgreSQL equivalent of the same meaning: "
                          f"{fn.NEEDS_LOOK_FUNCTIONS[name]}", needs_look=True, applied=False)
            elif name in self._STRUCTURED:
                spans.append((i, j))
        return spans

    def _arg(self, toks: list[Token], a: int, b: int, scope: _Scope) -> fn.Arg:
        distinct = toks[a].token_type == TokenType.DISTINCT and a < b
        first = a + 1 if distinct else a
        raw = self.span_text(toks, first, b)
        text = self.buf.render(toks[first].start, toks[b].end + 1)
        arg = fn.Arg(raw=raw, text=text, distinct=distinct)
        if first == b and toks[first].token_type == TokenType.STRING:
            arg.literal = toks[first].text
        elif first == b and toks[first].token_type == TokenType.NUMBER:
            arg.number = True
        parts = toks[first:b + 1]
        is_ref = len(parts) in (1, 3) and (len(parts) == 1 or parts[1].token_type == TokenType.DOT)
        if is_ref and all(p.token_type in (TokenType.VAR, TokenType.IDENTIFIER) or _NAME_TOKEN.match(p.text)
                          for p in parts[::2]):
            qualifier = parts[0].text if len(parts) == 3 else None
            column = parts[-1].text
            info = scope.resolve(qualifier, column)
            if info is not None:
                arg.pg_type = info.pg_type(column)
        return arg

    def structured(self, toks: list[Token], i: int, j: int, scope: _Scope) -> None:
        name = toks[i].text.lower()
        start, end = toks[i].start, toks[j].end + 1
        ranges = _split_args(toks, i + 1, j)
        original = self.sql[start:end]
        try:
            if name == "cast":
                self.cast(toks, i, j)
                return
            args = [self._arg(toks, a, b, scope) for a, b in ranges]
            if name in ("sum", "avg"):
                if len(args) == 1 and not args[0].distinct and args[0].pg_type == "boolean":
                    a, b = ranges[0]
                    inner = f"CAST({args[0].text} AS INTEGER)"
                    self.buf.collapse(toks[a].start, toks[b].end + 1, inner)
                    self.note("boolean", start, original, self.buf.render(start, end),
                              f"{args[0].raw} became boolean and PostgreSQL cannot {name.upper()} "
                              "booleans: cast to integer to count the true ones")
                return
            rewritten: fn.Rewritten | None
            if name in fn.DATE_FUNCTIONS:
                rewritten = fn.date_function(name, args, self.pct)
                kind = "date-function"
            elif name == "group_concat":
                rewritten = fn.group_concat(toks[i].text, args, self.pct)
                kind = "group_concat"
            elif name == "iif":
                rewritten, kind = fn.iif(args), "iif"
            elif name == "round":
                rewritten, kind = fn.round2(args), "round"
            elif name == "total":
                rewritten, kind = fn.total(args), "total"
            elif name == "json_extract":
                rewritten, kind = fn.json_extract(args, self.pct), "json"
            else:
                return
        except fn.CannotTranslate as e:
            self.note(name, start, original, "", f"{e}: port this call by hand", needs_look=True,
                      applied=False)
            return
        if rewritten is None:
            return
        self.buf.collapse(start, end, rewritten.text)
        self.note(kind, start, original, rewritten.text, rewritten.why, rewritten.needs_look)

    def cast(self, toks: list[Token], i: int, j: int) -> None:
        as_at = None
        depth = 0
        for k in range(i + 2, j):
            tt = toks[k].token_type
            if tt == TokenType.L_PAREN:
                depth += 1
            elif tt == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and toks[k].text.upper() == "AS":
                as_at = k
        if as_at is None or as_at + 1 > j - 1 or as_at - 1 < i + 2:
            return
        type_text = self.span_text(toks, as_at + 1, j - 1)
        t = type_text.upper().strip()
        operand = self.buf.render(toks[i + 2].start, toks[as_at - 1].end + 1)
        raw_operand = self.span_text(toks, i + 2, as_at - 1)
        if t in ("INTEGER", "INT"):
            # SQLite truncates towards zero; PostgreSQL rounds: TRUNC where a fraction is likely.
            fractional = re.search(r"julianday|avg\s*\(|/|\d\.\d|total\s*\(|real", raw_operand, re.I)
            new_operand = f"TRUNC({operand})" if fractional else operand
            new_type = fn.cased("BIGINT", type_text)
            why = ("SQLite integers are 64-bit (PostgreSQL's INTEGER is 32-bit)"
                   + ("; SQLite truncates fractions when casting to an integer, PostgreSQL rounds, "
                      "so TRUNC keeps SQLite's result" if fractional else
                      "; note that PostgreSQL rounds fractions (SQLite truncates) and rejects text "
                      "such as '12abc' that SQLite reads as 12"))
        elif t in ("REAL", "FLOAT", "DOUBLE"):
            new_operand, new_type = operand, fn.cased("DOUBLE PRECISION", type_text)
            why = "SQLite's REAL is 8 bytes; PostgreSQL's REAL is 4 bytes (DOUBLE PRECISION is 8)"
        elif t == "BLOB":
            new_operand, new_type = operand, fn.cased("BYTEA", type_text)
            why = "BLOB is BYTEA in PostgreSQL"
        else:
            return
        start, end = toks[i].start, toks[j].end + 1
        new = f"{toks[i].text}({new_operand} {toks[as_at].text} {new_type})"
        self.buf.collapse(start, end, new)
        self.note("cast", start, self.sql[start:end], new, why)

    # --- booleans and keys in VALUES -------------------------------------------------------

    def _literal_span(self, node: exp.Expression, base: int) -> tuple[int, int] | None:
        meta = node.meta
        if "start" not in meta or "end" not in meta:
            return None
        s, e = base + meta["start"], base + meta["end"] + 1
        if self.sql[s:e] != str(node.this):
            return None
        return s, e

    def _bool_column(self, node: exp.Expression, scope: _Scope) -> str | None:
        if isinstance(node, exp.Column):
            info = scope.resolve(node.table or None, node.name)
            if info is not None and info.is_boolean(node.name):
                return node.name
        return None

    def _set_bool(self, lit: exp.Expression, base: int, column: str) -> None:
        span = self._literal_span(lit, base)
        if span is None:
            return
        new = "TRUE" if lit.this == "1" else "FALSE"
        if self.edit(span[0], span[1], new):
            self.note("boolean", span[0], str(lit.this), new,
                      f"{column} became a boolean column: PostgreSQL does not compare or assign "
                      "booleans with 1/0")

    def booleans(self, tree: exp.Expression, base: int, scope: _Scope) -> None:
        def is01(n: exp.Expression) -> bool:
            return isinstance(n, exp.Literal) and not n.is_string and n.this in ("0", "1")

        for node in tree.find_all(exp.EQ, exp.NEQ, exp.Is):
            for col, other in ((node.this, node.expression), (node.expression, node.this)):
                name = self._bool_column(col, scope)
                if name is None:
                    continue
                if is01(other):
                    self._set_bool(other, base, name)
                elif isinstance(other, exp.Placeholder):
                    self.note("boolean", base, f"{name} = ?", f"{name} = %s",
                              f"{name} became a boolean column: pass True/False (not 1/0) for "
                              "this parameter, or PostgreSQL reports boolean = integer",
                              needs_look=True, applied=False)
        if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema | exp.Table):
            table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            info = self.ctx.table(table.name if isinstance(table, exp.Table) else None)
            values = tree.expression
            if info is None or not isinstance(values, exp.Values):
                return
            cols = ([c.name for c in tree.this.expressions] if isinstance(tree.this, exp.Schema)
                    else list(info.columns))
            for row in values.expressions:
                for col, val in zip(cols, row.expressions, strict=False):
                    if not info.is_boolean(col):
                        continue
                    if is01(val):
                        self._set_bool(val, base, col)
                    elif isinstance(val, exp.Placeholder):
                        self.note("boolean", base, col, col,
                                  f"{col} became a boolean column: pass True/False (not 1/0) for it",
                                  needs_look=True, applied=False)

    def null_keys(self, toks: list[Token], table: str | None, columns: list[str] | None) -> None:
        """NULL for the INTEGER PRIMARY KEY asks SQLite for a new id; PostgreSQL wants DEFAULT."""
        values_at = next((k for k, t in enumerate(toks) if t.token_type == TokenType.VALUES), None)
        if values_at is None:
            return
        info = self.ctx.table(table)
        key_pos = None
        if info is not None and info.id_column and columns is not None:
            lowered = [c.lower() for c in columns]
            if info.id_column.lower() in lowered:
                key_pos = lowered.index(info.id_column.lower())
        k = values_at + 1
        while k < len(toks) and toks[k].token_type == TokenType.L_PAREN:
            close = _match_paren(toks, k)
            if close is None:
                return
            args = _split_args(toks, k, close)
            for pos, (a, b) in enumerate(args):
                if a != b or toks[a].token_type != TokenType.NULL:
                    continue
                if pos == key_pos:
                    new = fn.cased("DEFAULT", toks[a].text)
                    if self.edit(toks[a].start, toks[a].end + 1, new):
                        self.note("identity", toks[a].start, toks[a].text, new,
                                  f"NULL for {info.id_column if info else 'the key'} makes SQLite "
                                  "pick the next id; PostgreSQL's identity column takes DEFAULT "
                                  "(NULL would break NOT NULL)")
                elif pos == 0 and key_pos is None and info is None:
                    self.note("identity", toks[a].start, toks[a].text, "DEFAULT",
                              "if this NULL is for an INTEGER PRIMARY KEY (SQLite then picks the "
                              "next id), PostgreSQL needs DEFAULT instead (give --schema-from to "
                              "have this done)", needs_look=True, applied=False)
            k = close + 1
            if k < len(toks) and toks[k].token_type == TokenType.COMMA:
                k += 1

    # --- names -----------------------------------------------------------------------

    def identifiers(self, tree: exp.Expression, base: int, scope: _Scope) -> None:
        have_ctx = bool(self.ctx.tables)
        mixed_unknown = False
        for ident in tree.find_all(exp.Identifier):
            meta = ident.meta
            if "start" not in meta or "end" not in meta:
                continue
            s, e = base + meta["start"], base + meta["end"] + 1
            name = ident.this
            parent = ident.parent
            target: str | None = None
            if isinstance(parent, exp.Table) and parent.this is ident:
                info = self.ctx.table(name) if name.lower() not in scope.ctes else None
                target = info.target if info else None
            elif isinstance(parent, exp.Column) and parent.this is ident:
                info = scope.resolve(parent.table or None, name)
                if info is not None and info.has(name):
                    target = info.target_of(name)
                elif name.lower() in scope.aliases and not parent.table:
                    target = scope.aliases[name.lower()]
                elif ident.quoted and have_ctx and scope.tables and not any(t.has(name) for t in scope.tables) \
                        and not parent.table:
                    # SQLite takes a double-quoted name it cannot find as a string literal.
                    new = self.pct(fn.sql_string(name))
                    if self.edit(s, e, new):
                        self.note("string-literal", s, self.sql[s:e], new,
                                  f'no column is called {name!r}: SQLite read "{name}" as a string, '
                                  "PostgreSQL always reads double quotes as a name", needs_look=True)
                    continue
            elif isinstance(parent, exp.Column) and parent.args.get("table") is ident:
                info = scope.by_name.get(name.lower())
                if info is not None and name.lower() == info.name.lower():
                    target = info.target
            elif isinstance(parent, exp.Schema) and isinstance(parent.parent, exp.Insert):
                tbl = parent.this
                info = self.ctx.table(tbl.name) if isinstance(tbl, exp.Table) else None
                if info is not None and info.has(name):
                    target = info.target_of(name)
            elif isinstance(parent, exp.Alias):
                target = scope.aliases.get(name.lower(), name)
            elif isinstance(parent, exp.ColumnDef):
                create = parent.find_ancestor(exp.Create)
                schema = create.this if create is not None else None
                tbl = schema.this if isinstance(schema, exp.Schema) else None
                info = self.ctx.table(tbl.name) if isinstance(tbl, exp.Table) else None
                if info is not None and info.has(name):
                    target = info.target_of(name)
            if (isinstance(parent, exp.Column) and name.upper() == "ALL"
                    and isinstance(parent.parent, exp.Limit | exp.Offset)):
                continue  # LIMIT ALL, which sqlglot's SQLite parser reads as a column
            pg_reads = name if ident.quoted else name.lower()
            if target is None:
                if not ident.quoted and name.lower() in PG_RESERVED:
                    target = name.lower()
                elif not ident.quoted and name != name.lower():
                    mixed_unknown = True
                    continue
                else:
                    continue
            new = quote_ident(target)
            if pg_reads == target and (ident.quoted or target.lower() not in PG_RESERVED):
                continue
            if self.sql[s:e] == new:
                continue
            if self.edit(s, e, new):
                why = (f"{name} is a reserved word in PostgreSQL and must be quoted"
                       if target.lower() in PG_RESERVED and pg_reads == target.lower()
                       else f"PostgreSQL folds unquoted names to lower case; the name is {target!r} there")
                self.note("identifier", s, self.sql[s:e], new, why)
        if mixed_unknown and not have_ctx:
            self.note("identifier", base, "MixedCase names", "",
                      "PostgreSQL folds unquoted names to lower case: if the migrated table or "
                      "column kept its capitals, quote it here (give --schema-from or --mapping "
                      "to have this done)", needs_look=True, applied=False)

    # --- INSERT OR ... / REPLACE / RETURNING -------------------------------------------

    def insert(self, toks: list[Token], tree: exp.Expression | None, want_returning: bool) -> None:
        first = toks[0]
        alt = None
        alt_span: tuple[int, int, str] | None = None
        if first.text.upper() == "REPLACE":
            alt = "replace"
            alt_span = (first.start, first.end + 1, fn.cased("INSERT", first.text))
        elif len(toks) > 2 and toks[1].text.upper() == "OR":
            alt = toks[2].text.lower()
            alt_span = (toks[1].start, toks[3].start if len(toks) > 3 else toks[2].end + 1, "")
        table = None
        columns: list[str] | None = None
        listed = False
        if isinstance(tree, exp.Insert):
            target = tree.this
            if isinstance(target, exp.Schema):
                table = target.this.name if isinstance(target.this, exp.Table) else None
                columns = [c.name for c in target.expressions]
                listed = True
            elif isinstance(target, exp.Table):
                table = target.name
        self.result.insert_table = table
        info = self.ctx.table(table)
        if columns is None and info is not None:
            columns = list(info.columns)
        if tree is not None:
            self.null_keys(toks, table, columns if (listed or info is not None) else None)
        depth = 0
        returning_tok = None
        has_conflict = False
        for k, t in enumerate(toks):
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and t.text.upper() == "RETURNING":
                returning_tok = t
            elif depth == 0 and t.text.upper() == "ON" and k + 1 < len(toks) and toks[k + 1].text.upper() == "CONFLICT":
                has_conflict = True
        at = returning_tok.start if returning_tok else toks[-1].end + 1

        def place(clause: str, order: int) -> None:
            if returning_tok:
                self.edit(at, at, clause.strip() + " ", order)
            else:
                self.edit(at, at, clause, order)

        original = self.span_text(toks, 0, 2 if alt and alt_span and alt_span[2] == "" else 0)
        if alt == "ignore" and alt_span and not has_conflict:
            self.edit(*alt_span)
            place(" ON CONFLICT DO NOTHING", 0)
            self.result.conflict_ignored = True
            self.note("upsert", first.start, original, "INSERT ... ON CONFLICT DO NOTHING",
                      "INSERT OR IGNORE skips rows that would break a unique key; ON CONFLICT DO "
                      "NOTHING (no target: any unique key) does the same. Unlike SQLite, NOT NULL "
                      "and CHECK violations still raise errors")
        elif alt == "replace" and alt_span and not has_conflict:
            self.replace(first, original, alt_span, info, columns, place)
        elif alt in ("abort", "fail", "rollback") and alt_span:
            self.edit(*alt_span)
            self.note("upsert", first.start, original, "INSERT",
                      f"INSERT OR {alt.upper()} has no PostgreSQL form; a failing statement is "
                      "rolled back and the transaction must be rolled back too")
        if want_returning:
            if returning_tok is not None:
                self.result.returning = True
            elif first.text.upper() in ("INSERT", "REPLACE"):
                column = info.id_column if info else None
                needs = column is None
                col_sql = quote_ident(info.target_of(column)) if info and column else "id"
                self.edit(at, at, f" RETURNING {col_sql}", 1)
                self.result.returning = True
                why = ("psycopg2's cursor.lastrowid is an OID, not the new key: the INSERT returns "
                       "the key and the code fetches it")
                if needs:
                    why += "; the key column is assumed to be called id (give --schema-from to know it)"
                self.note("lastrowid", at, "", f"RETURNING {col_sql}", why, needs)

    def replace(self, first: Token, original: str, alt_span: tuple[int, int, str], info: TableInfo | None,
                columns: list[str] | None, place: Callable[[str, int], None]) -> None:
        key = self._conflict_key(info, columns)
        if key is None or info is None or columns is None:
            why = ("INSERT OR REPLACE becomes INSERT ... ON CONFLICT (key) DO UPDATE, and the "
                   "key must be named: " + ("give --schema-from SRC.db so the unique keys are known"
                                            if info is None or not info.unique_keys else
                                            "no unique key of the table is fully in the column list"))
            self.note("upsert", first.start, original, "INSERT ... ON CONFLICT (...) DO UPDATE SET ...",
                      why, needs_look=True, applied=False)
            return
        keyset = {k.lower() for k in key}
        updates = [c for c in columns if c.lower() not in keyset]
        target = ", ".join(quote_ident(info.target_of(k)) for k in key)
        if updates:
            sets = ", ".join(f"{quote_ident(info.target_of(c))} = EXCLUDED.{quote_ident(info.target_of(c))}"
                             for c in updates)
            clause = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            clause = f" ON CONFLICT ({target}) DO NOTHING"
        self.edit(*alt_span)
        place(clause, 0)
        others = [k for k in info.unique_keys if k != key]
        why = (f"INSERT OR REPLACE becomes an upsert on the unique key ({', '.join(key)}). "
               "SQLite deletes the old row and inserts a new one (columns not listed go back "
               "to their defaults, ON DELETE actions fire); DO UPDATE changes the listed "
               "columns in place")
        needs = False
        if others:
            why += (f"; SQLite would also replace rows clashing on ({'), ('.join(', '.join(k) for k in others)}),"
                    " which PostgreSQL reports as an error")
            have = {x.lower() for x in columns}
            needs = any(all(c.lower() in have for c in k) for k in others)
        self.note("upsert", first.start, original, "INSERT ..." + clause, why, needs)

    @staticmethod
    def _conflict_key(info: TableInfo | None, columns: list[str] | None) -> list[str] | None:
        if info is None or columns is None:
            return None
        have = {c.lower() for c in columns}
        for key in info.unique_keys:
            if all(k.lower() in have for k in key):
                return key
        return None

    # --- CREATE TABLE ------------------------------------------------------------------

    _CONSTRAINT_WORDS = {"PRIMARY", "NOT", "NULL", "DEFAULT", "UNIQUE", "CHECK", "REFERENCES",
                         "COLLATE", "CONSTRAINT", "GENERATED", "AS", "ON", "AUTOINCREMENT"}
    _TYPES = {"INTEGER": "BIGINT", "INT": "BIGINT", "TINYINT": "SMALLINT", "MEDIUMINT": "INTEGER",
              "REAL": "DOUBLE PRECISION", "DOUBLE": "DOUBLE PRECISION", "FLOAT": "DOUBLE PRECISION",
              "BLOB": "BYTEA", "DATETIME": "TIMESTAMP", "CLOB": "TEXT", "NVARCHAR": "VARCHAR",
              "BOOL": "BOOLEAN", "STRING": "TEXT", "LONGTEXT": "TEXT", "MEDIUMTEXT": "TEXT",
              "TINYTEXT": "TEXT", "LONGBLOB": "BYTEA", "MEDIUMBLOB": "BYTEA", "TINYBLOB": "BYTEA",
              "NCHAR": "CHAR", "SMALLDATETIME": "TIMESTAMP"}
    # What SQLite ignores after a type name (MySQL's lengths and flags) but PostgreSQL
    # rejects: INT(11) UNSIGNED → BIGINT.
    _TYPE_SUFFIX = re.compile(r"^(\s*\(\s*\d+\s*(,\s*\d+\s*)?\))?(\s+(UNSIGNED|ZEROFILL))*\s*$", re.I)

    def create_table(self, toks: list[Token]) -> None:
        open_at = next((k for k, t in enumerate(toks) if t.token_type == TokenType.L_PAREN), None)
        if open_at is None:
            return  # CREATE TABLE ... AS SELECT: the select is handled like any other
        close_at = _match_paren(toks, open_at)
        if close_at is None:
            return
        name_tok = toks[open_at - 1]
        info = self.ctx.table(name_tok.text.strip('"`[]'))
        changes: list[str] = []
        for a, b in _split_args(toks, open_at, close_at):
            if _word(toks[a]) in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"):
                continue
            col = toks[a].text.strip('"`[]')
            k = a + 1
            type_end = a
            while k <= b and _word(toks[k]) not in self._CONSTRAINT_WORDS:
                if toks[k].token_type == TokenType.L_PAREN:
                    m = _match_paren(toks, k)
                    k = (m if m is not None else b) + 1
                    type_end = k - 1
                    continue
                type_end = k
                k += 1
            words = [_word(t) for t in toks[a + 1:b + 1]]
            declared = self.span_text(toks, a + 1, type_end) if type_end > a else ""
            is_pk_int = (declared.upper() == "INTEGER" and "PRIMARY" in words
                         and "DESC" not in words)
            new_type = None
            mapped = info.pg_type(col) if info else ""
            if is_pk_int:
                new_type = fn.cased("BIGINT GENERATED BY DEFAULT AS IDENTITY", declared)
            elif mapped:
                new_type = mapped if declared.islower() else mapped.upper()
            elif declared:
                base_word = re.match(r"[A-Za-z]+", declared)
                if (base_word and base_word.group(0).upper() in self._TYPES
                        and not declared.upper().startswith(self._TYPES[base_word.group(0).upper()])):
                    target = self._TYPES[base_word.group(0).upper()]
                    suffix = declared[base_word.end():]
                    if target not in ("VARCHAR", "CHAR") and self._TYPE_SUFFIX.match(suffix):
                        suffix = ""
                    new_type = fn.cased(target, declared) + suffix
            if (new_type is not None and new_type.lower() != declared.lower() and type_end > a
                    and self.edit(toks[a + 1].start, toks[type_end].end + 1, new_type)):
                changes.append(f"{col}: {declared} → {new_type}")
            elif not declared and mapped and self.edit(toks[a].end + 1, toks[a].end + 1, " " + mapped):
                changes.append(f"{col}: (no type) → {mapped}")
            elif not declared:
                self.note("create-table", toks[a].start, col, "",
                          f"{col} has no type: SQLite allows that, PostgreSQL does not (give "
                          "--mapping to use the migration's type)", needs_look=True, applied=False)
            for k in range(a + 1, b + 1):
                t = toks[k]
                up = _word(t)
                if up == "AUTOINCREMENT":
                    self.edit(toks[k - 1].end + 1, t.end + 1, "")
                elif up == "COLLATE" and k + 1 <= b and toks[k + 1].text.upper() == "NOCASE":
                    self.note("collate", t.start, f"{col} COLLATE NOCASE", "",
                              "PostgreSQL has no NOCASE collation: use the citext type, a "
                              "nondeterministic ICU collation, or compare lower(...)", needs_look=True,
                              applied=False)
                elif up == "DEFAULT" and k + 1 <= b and (mapped == "boolean" or "BOOL" in declared.upper()):
                    v = toks[k + 1]
                    if v.token_type == TokenType.NUMBER and v.text in ("0", "1"):
                        self.edit(v.start, v.end + 1, "TRUE" if v.text == "1" else "FALSE")
                        changes.append(f"{col}: DEFAULT {v.text} → {'TRUE' if v.text == '1' else 'FALSE'}")
        options = toks[close_at + 1:]
        if options and all(_word(t) in ("WITHOUT", "ROWID", "STRICT", ",") for t in options):
            self.edit(toks[close_at].end + 1, toks[-1].end + 1, "")
            changes.append(" ".join(t.text for t in options) + " removed (SQLite table options)")
        if changes:
            self.note("create-table", toks[0].start, f"CREATE TABLE {name_tok.text} ...", "; ".join(changes),
                      "column types in PostgreSQL's names (64-bit integers, DOUBLE PRECISION, BYTEA, "
                      "TIMESTAMP; INTEGER PRIMARY KEY becomes an identity column). The migration "
                      "already created the table; this matters for fresh installs")

    # --- PRAGMA ------------------------------------------------------------------------

    _PRAGMA_REMOVE = {
        "journal_mode": "PostgreSQL always writes ahead (WAL); there is no journal mode to set",
        "synchronous": "PostgreSQL commits durably by default (synchronous_commit)",
        "cache_size": "PostgreSQL's cache is shared_buffers, a server setting",
        "temp_store": "temporary storage is a server setting (temp_buffers, temp_tablespaces)",
        "mmap_size": "no memory-mapped I/O setting in PostgreSQL",
        "page_size": "the page size is fixed when PostgreSQL is built",
        "auto_vacuum": "autovacuum is a server setting, on by default",
        "locking_mode": "PostgreSQL locks rows, not the database file",
        "optimize": "run ANALYZE (autovacuum does it too)",
        "wal_checkpoint": "checkpoints are managed by the server",
        "wal_autocheckpoint": "checkpoints are managed by the server",
        "secure_delete": "no equivalent setting",
        "recursive_triggers": "PostgreSQL triggers may always fire other triggers",
        "case_sensitive_like": "LIKE is case-sensitive in PostgreSQL; ILIKE is the insensitive one",
        "encoding": "the encoding is the database's (see client_encoding)",
        "foreign_keys": "PostgreSQL always enforces foreign keys",
        "cache_spill": "no equivalent setting",
        "threads": "no equivalent setting",
        "automatic_index": "no equivalent setting",
        "legacy_alter_table": "no equivalent setting",
        "trusted_schema": "no equivalent setting",
    }
    _PRAGMA_LOOK = {
        "table_info": "query information_schema.columns WHERE table_name = '...'",
        "table_xinfo": "query information_schema.columns WHERE table_name = '...'",
        "index_list": "query pg_indexes WHERE tablename = '...'",
        "index_info": "query pg_indexes / pg_index",
        "foreign_key_list": "query information_schema.table_constraints / key_column_usage",
        "user_version": "keep the schema version in a table of your own",
        "schema_version": "keep the schema version in a table of your own",
        "application_id": "no equivalent; a comment on the database or a settings table",
        "integrity_check": "the amcheck extension checks indexes; there is no whole-file check",
        "quick_check": "the amcheck extension checks indexes; there is no whole-file check",
        "database_list": "SELECT current_database() / pg_database",
        "table_list": "query information_schema.tables",
        "read_uncommitted": "PostgreSQL never reads uncommitted data",
    }

    def pragma(self, toks: list[Token], s: int, e: int, script: bool) -> None:
        text = self.sql[s:e]
        k = 1
        if len(toks) > 3 and toks[2].token_type == TokenType.DOT:
            k = 3
        name = toks[k].text.lower() if len(toks) > k else ""
        rest = toks[k + 1:]
        value = ""
        if rest and rest[0].token_type == TokenType.EQ:
            value = self.sql[rest[1].start:rest[-1].end + 1] if len(rest) > 1 else ""
        elif rest and rest[0].token_type == TokenType.L_PAREN:
            value = self.sql[rest[0].end + 1:rest[-1].start] if len(rest) > 1 else ""
        v = value.strip().strip("'\"").lower()
        replacement: str | None = None
        why = ""
        needs = False
        if name == "foreign_keys":
            if v in ("on", "1", "true", "yes"):
                replacement, why = "", self._PRAGMA_REMOVE["foreign_keys"]
            elif v in ("off", "0", "false", "no"):
                why = ("PostgreSQL cannot switch foreign keys off for a session: drop or defer the "
                       "constraint (DEFERRABLE + SET CONSTRAINTS ... DEFERRED) instead")
                needs = True
            else:
                why, needs = "foreign keys are always on in PostgreSQL", True
        elif name == "busy_timeout" and v.isdigit():
            replacement = f"SET lock_timeout = {v}"
            why = ("busy_timeout is how long to wait for a lock; PostgreSQL waits for row locks "
                   "forever unless lock_timeout (milliseconds) is set")
        elif name == "synchronous" and v in ("off", "0"):
            replacement = "SET synchronous_commit = off"
            why = "the closest PostgreSQL setting: commits return before the WAL is flushed"
        elif name == "query_only" and v in ("on", "1", "true", "yes"):
            replacement = "SET default_transaction_read_only = on"
            why = "read-only transactions for this session"
        elif name in self._PRAGMA_REMOVE and value:
            replacement, why = "", self._PRAGMA_REMOVE[name]
        elif name in self._PRAGMA_LOOK:
            why, needs = f"no PRAGMA in PostgreSQL: {self._PRAGMA_LOOK[name]}", True
        else:
            why, needs = "no PRAGMA in PostgreSQL; find the matching setting or catalog query", True
        if needs or replacement is None:
            self.note("pragma", s, text, "", why, needs_look=True, applied=False)
            return
        if replacement == "":
            start, end = s, e
            if script:
                # Take the statement's semicolon and the rest of its line with it.
                m = re.match(r"[ \t]*;?[ \t]*(\r\n|\n|\r)?", self.sql[e:])
                end = e + (m.end() if m else 0)
                line_start = self.sql.rfind("\n", 0, s) + 1
                if not self.sql[line_start:s].strip():
                    start = line_start
            self.buf.collapse(start, end, "")
            self.removed_statements += 1
            self.note("pragma", s, text, "", why + ": removed")
        else:
            self.buf.collapse(s, e, replacement)
            self.note("pragma", s, text, replacement, why)


def rewrite_sql(sql: str, *, has_params: bool = False, ctx: SqlContext | None = None,
                script: bool = False, returning: bool = False, keep_placeholders: bool = False,
                percent_done: bool = False) -> SqlResult:
    """Port one SQL string. ``has_params``: the call passes parameters (so % must be %%).

    ``keep_placeholders``: the SQL's placeholders already suit the target (a framework's
    own paramstyle); ``percent_done``: its % signs already follow psycopg2's rule.
    """
    ctx = ctx or SqlContext()
    try:
        tokens = _tokenize(sql)
    except Exception as e:  # sqlglot's TokenError and friends
        r = SqlResult(sql, sql)
        r.notes.append(SqlNote("sql-unparsed", 0, sql, "", f"the SQL could not be read ({e}); "
                               "port it by hand", needs_look=True, applied=False))
        return r
    # SQL already in psycopg2's style (a second run, or code already ported by hand) is
    # PostgreSQL SQL: its % signs are placeholders or doubled, its LIKE is meant.
    if not keep_placeholders and _pyformat(tokens) and not any(
            t.token_type in (TokenType.PLACEHOLDER, TokenType.PARAMETER) for t in tokens):
        return SqlResult(sql, sql)
    rw = _Rewriter(sql, ctx, has_params, keep_placeholders, percent_done)
    statements = _split(tokens)
    for n, toks in enumerate(statements):
        rw.statement(toks, returning and n == len(statements) - 1, script)
    res = rw.result
    res.sql = rw.buf.result()
    res.edits = sorted(rw.buf.edits, key=lambda e: (e.start, e.end != e.start, e.order))
    res.notes = rw.notes
    res.removed = bool(statements) and rw.removed_statements == len(statements)
    if res.changed and rw.all_parsed and res.sql.strip() and not _parses_as_postgres(res.sql, has_params):
        res.notes.append(SqlNote("check", 0, sql, res.sql, "the ported SQL is not understood by "
                                 "sqlglot's PostgreSQL parser: check it before running it",
                                 needs_look=True))
    return res


def _parses_as_postgres(sql: str, has_params: bool) -> bool:
    """A safety net over the edits: the result should at least parse as PostgreSQL."""
    text = sql.replace("%%", "%") if has_params else sql
    try:
        sqlglot.parse(text, read="postgres")
    except Exception:  # any sqlglot error means "not understood"
        return False
    return True
