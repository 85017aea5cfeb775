"""Step 5, the statements: execute calls rewritten (RETURNING for lastrowid, a cursor for a
connection's execute, executescript split) and statements removed."""

from __future__ import annotations

import ast
import re

from sqlite2pg_tui.portcode.python.model import Exec
from sqlite2pg_tui.portcode.python.references import References
from sqlite2pg_tui.portcode.textedit import (
    EditConflict,
    dedent_continuation,
    indent_block,
    one_line,
)


class Statements(References):
    def plan_statements(self) -> None:
        per_stmt: dict[int, list[Exec]] = {}
        for ex in self.execs:
            per_stmt.setdefault(id(ex.stmt), []).append(ex)
        for ex in self.execs:
            res = ex.result
            if res is not None and res.removed and self._removable(ex):
                self.stmt_jobs.append((ex.stmt, "remove", ex))
                continue
            self.port_lastrowid(ex)
            if ex.kind == "framework":
                if ex.method in ("execute", "executemany") and ex.value_used and "django" in self.frameworks:
                    self.find(ex.call, "framework", self.text(ex.call)[:80], "",
                              "Django's cursor.execute() returns what the driver's does: the "
                              "cursor with sqlite3, None with psycopg2. Call execute(), then "
                              "read from the cursor", needs_look=True, applied=False)
                continue
            structural = ex.kind == "conn" or ex.method == "executescript" or (
                ex.kind == "cursor" and ex.value_used)
            if ex.kind == "unknown" or not structural:
                continue
            if len([e for e in per_stmt[id(ex.stmt)] if e.kind == "conn" or e.value_used]) > 1:
                self.find(ex.call, "conn-execute", self.text(ex.call)[:80], "",
                          "several execute() calls in one statement: split it, one cursor per query",
                          needs_look=True, applied=False)
                continue
            reason = self._cannot_hoist(ex)
            if reason:
                self.find(ex.call, "conn-execute", self.text(ex.call)[:80], "",
                          f"psycopg2 connections have no execute(): a cursor is needed, but {reason}; "
                          "rewrite it as `with conn.cursor() as cur: cur.execute(...)`",
                          needs_look=True, applied=False)
                continue
            self.stmt_jobs.append((ex.stmt, "exec", ex))

    def port_lastrowid(self, ex: Exec) -> None:
        if not ex.lastrowids:
            return
        res = ex.result
        if ex.method == "executemany" or res is None or not res.returning or not ex.sql_applied:
            for node in ex.lastrowids:
                self.find(node, "lastrowid", self.text(node), "",
                          "cursor.lastrowid is an OID in psycopg2, not the new key, and this "
                          "statement could not be given RETURNING: port it by hand",
                          needs_look=True, applied=False)
            return
        for n, node in enumerate(ex.lastrowids):
            _s, e = self.span(node)
            start = e - len("lastrowid")
            if n > 0 or self.src[start:e] != "lastrowid":
                self.find(node, "lastrowid", self.text(node), "",
                          "lastrowid is read again: the returned key can be fetched only once; "
                          "keep it in a variable", needs_look=True, applied=False)
                continue
            if self.buf.try_add(start, e, "fetchone()[0]"):
                why = ("the INSERT now ends in RETURNING <key>; the new key is the first column "
                       "of the row it returns")
                look = res.conflict_ignored
                if look:
                    why += ("; with ON CONFLICT DO NOTHING no row comes back when the insert was "
                            "skipped, so fetchone() is None there")
                self.find(node, "lastrowid", self.text(node), self.text(node)[:-len("lastrowid")] +
                          "fetchone()[0]", why, look)

    def _cannot_hoist(self, ex: Exec) -> str | None:
        stmt = ex.stmt
        s, e = self.span(stmt)
        if not self.index.starts_line(s):
            return "the statement shares its line with other code"
        if not isinstance(stmt, ast.For | ast.If | ast.With | ast.AsyncFor | ast.AsyncWith) \
                and not self.index.ends_line(e):
            return "the statement shares its line with other code"
        if isinstance(stmt, ast.While):
            return "it is in a while condition (evaluated on every pass)"
        if isinstance(stmt, ast.If):
            parent = self.parent(stmt)
            if isinstance(parent, ast.If) and parent.orelse == [stmt] and self.src[s:s + 4] == "elif":
                return "it is in an elif condition"
        if not isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return | ast.For
                          | ast.If | ast.With | ast.Assert | ast.Raise):
            return f"it is part of a {type(stmt).__name__} statement"
        child: ast.AST = ex.call
        cur = self.parent(child)
        while cur is not None and cur is not stmt:
            if isinstance(cur, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
                # Only the first `for ... in X` of a comprehension is evaluated once, up front.
                if not (isinstance(child, ast.comprehension) and child is cur.generators[0]):
                    return "it is inside a comprehension"
            elif isinstance(cur, ast.comprehension) and child is not cur.iter:
                return "it is inside a comprehension"
            if isinstance(cur, ast.Lambda):
                return "it is inside a lambda"
            if isinstance(cur, ast.BoolOp) and cur.values[0] is not child:
                return "it is evaluated only on some paths (and/or)"
            if isinstance(cur, ast.IfExp) and cur.test is not child:
                return "it is evaluated only on some paths (x if c else y)"
            child, cur = cur, self.parent(cur)
        if isinstance(stmt, ast.For) and child is not stmt.iter:
            return "it is in a loop target"
        if isinstance(stmt, ast.With) and not any(child is i.context_expr for i in stmt.items):
            return "it is in a with target"
        cursor_call = (isinstance(ex.recv, ast.Call) and isinstance(ex.recv.func, ast.Attribute)
                       and ex.recv.func.attr == "cursor" and not ex.recv.args)
        if (ex.kind == "cursor" and ex.value_used and not isinstance(ex.recv, ast.Name | ast.Attribute)
                and not cursor_call):
            return "its cursor is an expression that cannot be evaluated twice"
        return None

    def run_statement_jobs(self) -> None:
        jobs = sorted(self.stmt_jobs, key=lambda j: -self.depth(j[0]))
        active: list[tuple[int, int, str]] = []  # statement spans already given a cursor name
        for stmt, what, ex in jobs:
            try:
                if what == "remove":
                    self._remove_statement(stmt)
                elif ex is not None:
                    self._rewrite_exec(stmt, ex, active)
            except EditConflict:
                self.find(stmt, "conn-execute", self.text(stmt)[:80], "",
                          "overlapping changes in this statement: port it by hand", needs_look=True,
                          applied=False)

    def _remove_statement(self, stmt: ast.stmt) -> None:
        s, e = self.span(stmt)
        parent = self.parent(stmt)
        siblings: list[ast.stmt] = []
        if parent is not None:
            for fname in ("body", "orelse", "finalbody"):
                block = getattr(parent, fname, None)
                if isinstance(block, list) and stmt in block:
                    siblings = block
        if len(siblings) == 1:
            self.buf.collapse(s, e, "pass")
            return
        line_start = self.index.line_start(s)
        m = re.match(r"[^\r\n]*(\r\n|\n|\r)?", self.src[e:])
        end = e + (m.end() if m else 0)
        before = self.src[:line_start].rstrip(" \t")
        if before.endswith(("\n\n", "\r\n\r\n")) or not before.strip():
            # Blank lines on both sides would be left doubled: take those after it too.
            blank = re.match(r"(?:[ \t]*(?:\r\n|\n|\r))*", self.src[end:])
            end += blank.end() if blank else 0
        self.buf.collapse(line_start, end, "")

    def _cursor_name(self, ex: Exec, stmt: ast.stmt, active: list[tuple[int, int, str]]) -> str:
        s, e = self.span(stmt)
        taken = set(ex.scope.names) | {n for a, b, n in active if a <= s and e <= b or s <= a and b <= e}
        if self.module_scope is not None and ex.scope is self.module_scope:
            taken |= self.module_scope.names
        for cand in ("cur", "cursor", "cur2", "cur3", "cur4", "db_cur"):
            if cand not in taken:
                return cand
        n = 5
        while f"cur{n}" in taken:
            n += 1
        return f"cur{n}"

    def _rewrite_exec(self, stmt: ast.stmt, ex: Exec, active: list[tuple[int, int, str]]) -> None:
        call = ex.call
        s, e = self.span(stmt)
        ind = self.index.indent_at(s)
        nl = self.nl
        method = "execute" if ex.method == "executescript" else ex.method
        func_end = self.span(call.func)[1]
        call_s, call_e = self.span(call)
        args = dedent_continuation(self.buf.render(func_end, call_e), ind)
        conn_text: str | None = None
        if ex.kind == "conn":
            conn_text = self.rendered(ex.recv)
        elif isinstance(ex.recv, ast.Call):  # conn.cursor().execute(...)
            assert isinstance(ex.recv.func, ast.Attribute)
            conn_text = self.rendered(ex.recv.func.value)
        commit = ""
        if ex.method == "executescript":
            commit = (f"{nl}{ind}{conn_text}.commit()" if conn_text is not None
                      else f"{nl}{ind}{self.rendered(ex.recv)}.connection.commit()")
        original = self.text(stmt)
        if conn_text is None:
            # A cursor whose result is used: run execute() first, then use the cursor itself.
            recv = self.rendered(ex.recv)
            if not ex.value_used:
                new = f"{recv}.{method}{args}{commit}"
                self.buf.collapse(s, e, new)
            else:
                self.buf.collapse(call_s, call_e, recv)
                rest = self._tidy(stmt, self.buf.render(s, e))
                new = f"{recv}.{method}{args}{nl}{ind}{rest}{commit}"
                self.buf.collapse(s, e, new)
            self.find(stmt, "cursor-execute" if ex.method != "executescript" else "executescript",
                      original, new, self._exec_why(ex, ""))
            return
        form = "with"
        if not ex.value_used:
            cur = self._cursor_name(ex, stmt, active)
            new = (f"with {conn_text}.cursor() as {cur}:{nl}"
                   + indent_block(f"{cur}.{method}{args}", ind, "    ") + commit)
            self.buf.collapse(s, e, new)
        elif (isinstance(stmt, ast.Assign) and stmt.value is call and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], ast.Name | ast.Attribute)):
            target = self.rendered(stmt.targets[0])
            new = f"{target} = {conn_text}.cursor(){nl}{ind}{target}.{method}{args}{commit}"
            self.buf.collapse(s, e, new)
            form = "kept"
        elif isinstance(stmt, ast.Return) and stmt.value is call:
            cur = self._cursor_name(ex, stmt, active)
            new = f"{cur} = {conn_text}.cursor(){nl}{ind}{cur}.{method}{args}{nl}{ind}return {cur}"
            self.buf.collapse(s, e, new)
            form = "kept"
        else:
            cur = self._cursor_name(ex, stmt, active)
            self.buf.collapse(call_s, call_e, cur)
            rest = self._tidy(stmt, self.buf.render(s, e))
            new = (f"with {conn_text}.cursor() as {cur}:{nl}"
                   + indent_block(f"{cur}.{method}{args}", ind, "    ") + nl
                   + indent_block(rest, ind, "    ") + commit)
            self.buf.collapse(s, e, new)
            active.append((s, e, cur))
        self.find(stmt, "conn-execute" if ex.method != "executescript" else "executescript",
                  original, new, self._exec_why(ex, form))

    @staticmethod
    def _tidy(stmt: ast.stmt, rest: str) -> str:
        """What is left of a simple statement once its query moved out, on one line if it fits."""
        if isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return | ast.Assert
                      | ast.Raise):
            return one_line(rest) or rest
        return rest

    @staticmethod
    def _exec_why(ex: Exec, form: str) -> str:
        parts = []
        if form == "with":
            parts.append(f"psycopg2 connections have no {ex.method}() shortcut: the query runs on "
                         "a cursor, closed at the end of the with block")
        elif form == "kept":
            parts.append(f"psycopg2 connections have no {ex.method}() shortcut: the cursor the "
                         "code kept is now made first, then runs the query")
        elif ex.value_used:
            parts.append("psycopg2's execute() returns None, not the cursor: run it first, then "
                         "read from the cursor")
        if ex.method == "executescript":
            parts.append("executescript() is execute() in psycopg2, which runs several "
                         "statements separated by ; when no parameters are given; sqlite3's "
                         "executescript() commits, so a commit follows")
        return "; ".join(parts)
