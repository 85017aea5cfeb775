"""One SQLite SQL string → the same SQL for PostgreSQL through psycopg2, with reasons.

sqlglot tokenizes and parses the SQL (so string literals, comments and quoted names are
never mistaken for placeholders or functions) but does not print it back: every change is
an edit at a token's position, so the rest of the author's SQL keeps its layout, case and
comments. Calls to SQLite-only functions are rebuilt around their arguments as written
(with the edits inside those already applied), innermost first.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from sqlite2pg_tui.core.sql.rules import APP, cased, literals, patterns
from sqlite2pg_tui.core.sql.rules.dates import current
from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.sql.base import Scope, SqlNote, SqlResult
from sqlite2pg_tui.portcode.sql.calls import Calls
from sqlite2pg_tui.portcode.sql.ddl import Ddl
from sqlite2pg_tui.portcode.sql.inserts import Inserts
from sqlite2pg_tui.portcode.sql.names import Names
from sqlite2pg_tui.portcode.sql.tokens import (
    CATALOG_TABLES,
    NAME_TOKEN,
    parse,
    pyformat,
    split_statements,
    tokenize,
    without_table_options,
    word,
)

_NOW_KEYWORDS = {TokenType.CURRENT_TIMESTAMP: "timestamp", TokenType.CURRENT_DATE: "date",
                 TokenType.CURRENT_TIME: "time"}


class _Rewriter(Calls, Inserts, Names, Ddl):
    # --- the statement ---------------------------------------------------------------

    def statement(self, toks: list[Token], want_returning: bool, script: bool) -> None:
        s, e = toks[0].start, toks[-1].end + 1
        self.statement_start = s
        text = self.sql[s:e]
        head = [word(t) for t in toks[:5]]
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
                and word(toks[-1]) not in ("CASCADE", "RESTRICT"):
            self.edit(toks[-1].end + 1, toks[-1].end + 1, " " + cased("CASCADE", toks[0].text))
            self.note("drop-table", s, text, text + " CASCADE",
                      "SQLite drops a table that other tables still reference; PostgreSQL refuses "
                      "unless CASCADE, which drops those foreign-key constraints (and views on the "
                      "table) with it. A script that recreates every table puts them back")
        if kind == "BEGIN" and len(toks) > 1 and head[1] in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            self.edit(toks[0].end + 1, toks[1].end + 1, "")
            self.note("begin", s, self.span_text(toks, 0, 1), toks[0].text,
                      f"PostgreSQL's BEGIN has no {head[1]}; psycopg2 also opens transactions "
                      "by itself, so an explicit BEGIN is rarely needed")

        tree = parse(without_table_options(text)) if kind != "REPLACE" else parse("INSERT OR " + text)
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

    def scope(self, tree: exp.Expression | None) -> Scope:
        sc = Scope()
        if tree is None:
            return sc
        for cte in tree.find_all(exp.CTE):
            if cte.alias:
                sc.ctes.add(cte.alias.lower())
        for t in tree.find_all(exp.Table):
            name = t.name
            if not name or name.lower() in sc.ctes:
                continue
            if name.lower() in CATALOG_TABLES:
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
                  and adjacent and nxt is not None and NAME_TOKEN.match(nxt.text)):
                if self.edit(t.start, nxt.end + 1, f"%({nxt.text})s"):
                    named.append(nxt.text)
                    first = t.start if first is None else first
                i += 2
                continue
            elif (t.token_type == TokenType.VAR and t.text.startswith("$") and NAME_TOKEN.match(t.text[1:])
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
        ddl = word(toks[0]) in ("CREATE", "ALTER")
        for i, t in enumerate(toks):
            tt = t.token_type
            if tt in _NOW_KEYWORDS and not (i + 1 < len(toks) and toks[i + 1].token_type == TokenType.L_PAREN):
                new = current(_NOW_KEYWORDS[tt], APP)
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
                if self.edit(t.start, t.start, cased("IS ", t.text)):
                    self.note("operator", t.start, "x NOT NULL", "x IS NOT NULL",
                              "SQLite accepts `x NOT NULL` as a test; PostgreSQL needs IS NOT NULL")
            elif tt == TokenType.LIKE:
                self.like(toks, i)
            elif tt == TokenType.HEX_STRING:
                self.blob(toks, i)
            elif tt == TokenType.NUMBER and self.joined(toks, i) and \
                    (i == 0 or toks[i - 1].token_type not in (TokenType.DASH, TokenType.PLUS)):
                new = literals.concat_operand(t.text)
                if new is not None and self.edit(t.start, t.end + 1, new):
                    self.note("concat", t.start, t.text, new, "PostgreSQL has no || for numbers: "
                              "the number is written as the text SQLite joins")
            elif (tt == TokenType.COLLATE and not ddl and i + 1 < len(toks)
                  and toks[i + 1].text.upper() == "NOCASE"):
                self.note("collate", t.start, self.span_text(toks, i, i + 1), "",
                          "PostgreSQL has no NOCASE collation: compare lower(...) COLLATE \"C\" "
                          "(or use citext)", needs_look=True, applied=False)
            elif tt == TokenType.GLOB:
                self.glob(toks, i)
            elif tt == TokenType.LIMIT:
                self.limit(toks, i)

    def like(self, toks: list[Token], i: int) -> None:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        pattern = nxt.text if nxt is not None and nxt.token_type == TokenType.STRING else None
        escaped = any(x.token_type == TokenType.ESCAPE for x in toks[i + 1:i + 4])
        m = patterns.like(pattern, escaped, False, APP)
        new = cased(m.operator, t.text)
        if self.edit(t.start, t.end + 1, new):
            if m.escape and nxt is not None:
                self.edit(nxt.end + 1, nxt.end + 1, " " + cased("ESCAPE ''", t.text))
            self.note("like", t.start, t.text, new, m.why)

    @staticmethod
    def joined(toks: list[Token], i: int) -> bool:
        """The token is an operand of ||."""
        return any(0 <= k < len(toks) and toks[k].token_type == TokenType.DPIPE for k in (i - 1, i + 1))

    def blob(self, toks: list[Token], i: int) -> None:
        t = toks[i]
        joined = self.joined(toks, i)
        new = literals.blob(t.text, as_text=joined)
        why = ("x'...' is a blob literal; joined to text with || SQLite reads its bytes as "
               "text, so PostgreSQL decodes them as UTF-8 (a bytea would stay bytes)" if joined else
               "x'...' blob literals are written '\\x...'::bytea in PostgreSQL")
        if self.edit(t.start, t.end + 1, new):
            self.note("blob", t.start, self.sql[t.start:t.end + 1], new, why)

    def glob(self, toks: list[Token], i: int) -> None:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        negate = i > 0 and toks[i - 1].token_type == TokenType.NOT
        pattern = nxt.text if nxt is not None and nxt.token_type == TokenType.STRING else None
        m = patterns.glob(pattern, negate, APP)
        if m.pattern is None or nxt is None:
            self.note("glob", t.start, t.text, "", m.why, needs_look=True, applied=False)
            return
        # NOT stays before LIKE; a regular expression has an operator of its own (!~).
        start = toks[i - 1].start if negate and m.regex else t.start
        op = m.operator if m.regex else cased("LIKE", t.text)
        new_lit = self.pct(m.pattern)
        if self.edit(start, t.end + 1, op) and self.edit(nxt.start, nxt.end + 1, new_lit):
            self.note("glob", t.start, self.span_text(toks, i, i + 1), f"{op} {new_lit}", m.why)

    def limit(self, toks: list[Token], i: int) -> None:
        rest = toks[i + 1:i + 5]
        if len(rest) >= 2 and rest[0].token_type == TokenType.DASH and rest[1].token_type == TokenType.NUMBER \
                and literals.no_limit(-int(float(rest[1].text))):
            if self.edit(rest[0].start, rest[1].end + 1, cased("ALL", toks[i].text)):
                self.note("limit", toks[i].start, self.span_text(toks, i, i + 2),
                          f"{toks[i].text} {cased('ALL', toks[i].text)}",
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
            new = f"{cased('OFFSET', toks[i].text)} {a} {toks[i].text} {b}"
            if not self.buf.overlaps(start, rest[0].start) and not self.buf.overlaps(rest[0].end + 1, rest[2].start):
                self.buf.collapse(start, end, new)
                self.note("limit", start, self.sql[start:end], new,
                          "LIMIT offset, count is SQLite (and MySQL) only; OFFSET before LIMIT "
                          "keeps the parameters in the same order")


def rewrite_sql(sql: str, *, has_params: bool = False, ctx: SqlContext | None = None,
                script: bool = False, returning: bool = False, keep_placeholders: bool = False,
                percent_done: bool = False) -> SqlResult:
    """Port one SQL string. ``has_params``: the call passes parameters (so % must be %%).

    ``keep_placeholders``: the SQL's placeholders already suit the target (a framework's
    own paramstyle); ``percent_done``: its % signs already follow psycopg2's rule.
    """
    ctx = ctx or SqlContext()
    try:
        tokens = tokenize(sql)
    except Exception as e:  # sqlglot's TokenError and friends
        r = SqlResult(sql, sql)
        r.notes.append(SqlNote("sql-unparsed", 0, sql, "", f"the SQL could not be read ({e}); "
                               "port it by hand", needs_look=True, applied=False))
        return r
    # SQL already in psycopg2's style (a second run, or code already ported by hand) is
    # PostgreSQL SQL: its % signs are placeholders or doubled, its LIKE is meant.
    if not keep_placeholders and pyformat(tokens) and not any(
            t.token_type in (TokenType.PLACEHOLDER, TokenType.PARAMETER) for t in tokens):
        return SqlResult(sql, sql)
    rw = _Rewriter(sql, ctx, has_params, keep_placeholders, percent_done)
    statements = split_statements(tokens)
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
