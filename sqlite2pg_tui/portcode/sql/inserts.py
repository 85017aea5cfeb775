"""INSERT in the application's SQL: booleans given as 0/1, NULL for new keys, INSERT OR ... /
REPLACE as upserts, RETURNING for lastrowid."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from sqlite2pg_tui.core.sql.rules import cased, literals
from sqlite2pg_tui.core.sql.rules.identifiers import quote_ident
from sqlite2pg_tui.portcode.context import TableInfo
from sqlite2pg_tui.portcode.sql.base import RewriterBase, Scope
from sqlite2pg_tui.portcode.sql.tokens import match_paren, split_args


class Inserts(RewriterBase):

    def _literal_span(self, node: exp.Expression, base: int) -> tuple[int, int] | None:
        meta = node.meta
        if "start" not in meta or "end" not in meta:
            return None
        s, e = base + meta["start"], base + meta["end"] + 1
        if self.sql[s:e] != str(node.this):
            return None
        return s, e

    def _bool_column(self, node: exp.Expression, scope: Scope) -> str | None:
        if isinstance(node, exp.Column):
            info = scope.resolve(node.table or None, node.name)
            if info is not None and info.is_boolean(node.name):
                return node.name
        return None

    def _set_bool(self, lit: exp.Expression, base: int, column: str) -> None:
        span = self._literal_span(lit, base)
        if span is None:
            return
        new = literals.boolean(str(lit.this))
        if new is None:
            return
        if self.edit(span[0], span[1], new):
            self.note("boolean", span[0], str(lit.this), new,
                      f"{column} became a boolean column: PostgreSQL does not compare or assign "
                      "booleans with 1/0")

    def booleans(self, tree: exp.Expression, base: int, scope: Scope) -> None:
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
            close = match_paren(toks, k)
            if close is None:
                return
            args = split_args(toks, k, close)
            for pos, (a, b) in enumerate(args):
                if a != b or toks[a].token_type != TokenType.NULL:
                    continue
                if pos == key_pos:
                    new = cased("DEFAULT", toks[a].text)
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

    # --- INSERT OR ... / REPLACE / RETURNING -------------------------------------------

    def insert(self, toks: list[Token], tree: exp.Expression | None, want_returning: bool) -> None:
        first = toks[0]
        alt = None
        alt_span: tuple[int, int, str] | None = None
        if first.text.upper() == "REPLACE":
            alt = "replace"
            alt_span = (first.start, first.end + 1, cased("INSERT", first.text))
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
