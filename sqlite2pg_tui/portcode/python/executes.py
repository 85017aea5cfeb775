"""Step 2, the execute calls: their SQL (a literal, a name bound to one, framework SQL, or
built at run time and only reported) and the lastrowid reads that follow them."""

from __future__ import annotations

import ast

from sqlite2pg_tui.portcode.python.analysis import Analysis
from sqlite2pg_tui.portcode.python.model import EXEC_METHODS, Exec, Literal, Scope
from sqlite2pg_tui.portcode.sql import framework as fw
from sqlite2pg_tui.portcode.sql import looks_like_sql, rewrite_sql


class Executes(Analysis):
    def collect_execs(self, tree: ast.Module) -> None:
        uses_sqlite = bool(self.mod_names or self.from_names)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in EXEC_METHODS and node.args):
                continue
            if any(isinstance(a, ast.Starred) for a in node.args):
                continue
            sc = self._scope_for(node)
            recv = node.func.value
            kind = self.receiver_kind(recv, sc)
            sql_arg = node.args[0]
            literal, dynamic = self._resolve_sql(sql_arg, sc, node)
            site = fw.framework_execute(node, self.frameworks if not uses_sqlite else set(),
                                        self.text_names, sql_arg, literal or dynamic)
            if site is True:
                continue  # the framework's own execute, given a text() or an ORM statement
            if isinstance(site, fw.SqlSite):
                site.method = node.func.attr
                self._add_site(site)
                continue
            if literal is not None and not looks_like_sql(literal.value):
                continue
            if literal is None and kind == "unknown" and not uses_sqlite:
                continue
            has_params = node.func.attr == "executemany" or len(node.args) > 1 or bool(node.keywords)
            ex = Exec(node, recv, node.func.attr, kind, self.stmt_of(node), sc, has_params, literal)
            self.execs.append(ex)
            if literal is not None:
                self.literals.setdefault(id(literal), Literal(literal)).uses.append(ex)
            elif dynamic is not None:
                self._report_dynamic(node, sql_arg, dynamic)
            if kind == "unknown":
                self.find(node, "receiver", self.text(recv) + "." + node.func.attr + "(...)", "",
                          f"cannot tell whether {self.text(recv)} is a connection or a cursor: "
                          "psycopg2 connections have no execute(); use a cursor "
                          "(with conn.cursor() as cur: cur.execute(...))", needs_look=True, applied=False)

    def collect_framework_sql(self, tree: ast.Module) -> None:
        for site in fw.sql_sites(tree, self.frameworks, self.text_names):
            self._add_site(site)

    def _add_site(self, site: fw.SqlSite) -> None:
        """SQL handed to Django or SQLAlchemy: ported in its style, the call left as it is."""
        node = site.call
        sc = self._scope_for(node)
        literal, dynamic = self._resolve_sql(site.arg, sc, node)
        fragment = site.fragment
        if literal is not None and fragment is None and not looks_like_sql(literal.value):
            if site.method != "text":
                return
            fragment = "where"  # text() also makes conditions and expressions
        recv = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        ex = Exec(node, recv, site.method, "framework", self.stmt_of(node), sc, site.has_params,
                   literal, style=site.style, fragment=fragment)
        self.execs.append(ex)
        if literal is not None:
            self.literals.setdefault(id(literal), Literal(literal)).uses.append(ex)
        elif dynamic is not None and site.method != "text" or isinstance(site.arg, ast.JoinedStr):
            self._report_dynamic(node, site.arg, dynamic if dynamic is not None else site.arg)

    def _resolve_sql(self, node: ast.expr, sc: Scope, at: ast.AST) -> tuple[ast.Constant | None, ast.expr | None]:
        """(the literal holding the SQL, or the expression that builds it at run time)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node, None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            value = self._class_constant(node, at)
            if value is not None:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value, None
                return None, value
        if isinstance(node, ast.Name):
            for scope in (sc, self.module_scope):
                if scope is None or node.id not in scope.assigns:
                    continue
                values = scope.assigns[node.id]
                if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str):
                    return values[0], None
                if len(values) == 1:
                    return None, values[0]
                return None, node
        return None, node

    def _class_constant(self, node: ast.Attribute, at: ast.AST) -> ast.expr | None:
        """The value of ``self.X`` / ``cls.X`` / ``Class.X`` when the class body sets X once."""
        assert isinstance(node.value, ast.Name)
        owner = node.value.id
        cls: ast.ClassDef | None = None
        if owner in ("self", "cls"):
            cur = self.parent(at)
            while cur is not None and not isinstance(cur, ast.ClassDef):
                cur = self.parent(cur)
            cls = cur
        else:
            cls = next((n for n in self.module_nodes if isinstance(n, ast.ClassDef) and n.name == owner), None)
        if cls is None:
            return None
        values = [s.value for s in cls.body
                  if isinstance(s, ast.Assign) and len(s.targets) == 1
                  and isinstance(s.targets[0], ast.Name) and s.targets[0].id == node.attr]
        values += [s.value for s in cls.body if isinstance(s, ast.AnnAssign) and s.value is not None
                   and isinstance(s.target, ast.Name) and s.target.id == node.attr]
        return values[0] if len(values) == 1 else None

    def _report_dynamic(self, call: ast.Call, arg: ast.expr, source: ast.expr) -> None:
        where = source if isinstance(source, ast.JoinedStr | ast.BinOp | ast.Call) else arg
        if isinstance(where, ast.Name):
            sc = self._scope_for(call)
            origin = "a parameter of the function" if where.id in sc.params else "a variable"
            self.find(call, "dynamic-sql", self.text(call)[:120], "",
                      f"the SQL comes from {origin} ({where.id}), not a literal: check the SQL it "
                      "holds by hand (placeholders, functions, upserts)", needs_look=True, applied=False)
            return
        if self._read_from_file(where):
            scopes = [self._scope_for(call).node] + ([self.module_scope.node] if self.module_scope else [])
            names = sorted({n.value for sc_node in scopes for n in ast.walk(sc_node)
                            if isinstance(n, ast.Constant) and isinstance(n.value, str)
                            and n.value.lower().endswith(".sql")})
            self.find(call, "dynamic-sql", self.text(call)[:120], "",
                      "the SQL is read from a file at run time"
                      + (f" ({', '.join(names)})" if names else "")
                      + ": port that file too (port-code FILE.sql, or a directory: its .sql files "
                      "are included) so it holds PostgreSQL SQL", needs_look=True, applied=False)
            return
        if not isinstance(where, ast.JoinedStr | ast.BinOp | ast.Call):
            self.find(call, "dynamic-sql", self.text(call)[:120], "",
                      f"the SQL comes from {self.text(where)[:60]}, not a literal found in this "
                      "file: check the SQL it holds by hand (placeholders, functions, upserts)",
                      needs_look=True, applied=False)
            return
        parts: list[str] = []
        for sub in ast.walk(where):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                parts.append(sub.value)
        template = " __expr__ ".join(parts)
        hints = sorted({n.kind for n in rewrite_sql(template, has_params=True, ctx=self.ctx).notes
                        if n.kind not in ("sql-unparsed", "percent")})
        how = {ast.JoinedStr: "an f-string", ast.BinOp: "concatenation or % formatting",
               ast.Call: "a method call such as .format()"}
        kind_text = next((v for k, v in how.items() if isinstance(where, k)), "an expression")
        why = (f"the SQL is built at run time with {kind_text}: not rewritten. Port it by hand"
               + (f"; its fixed parts need: {', '.join(hints)}" if hints else "")
               + ". Values belong in parameters (%s), names in psycopg2.sql.Identifier")
        self.find(where, "dynamic-sql", self.text(where)[:160], "", why, needs_look=True, applied=False)

    def _read_from_file(self, node: ast.AST) -> bool:
        """``f.read()``, ``path.read_text()``, ``f.read().decode()``, or a name bound to one."""
        if isinstance(node, ast.Name):
            values = self._scope_for(node).assigns.get(node.id, [])
            if len(values) == 1:
                node = values[0]
            elif self.module_scope is not None and len(self.module_scope.assigns.get(node.id, [])) == 1:
                node = self.module_scope.assigns[node.id][0]
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and n.func.attr in ("read", "read_text", "read_bytes") for n in ast.walk(node))

    # --- lastrowid ---------------------------------------------------------------------

    def link_lastrowids(self, tree: ast.Module) -> None:
        by_call = {id(e.call): e for e in self.execs}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr == "lastrowid"
                    and isinstance(node.ctx, ast.Load)):
                continue
            targets: list[Exec] = []
            if isinstance(node.value, ast.Call) and id(node.value) in by_call:
                targets = [by_call[id(node.value)]]
            else:
                targets = self._executes_reaching(node)
            if not targets:
                self.find(node, "lastrowid", self.text(node), "",
                          "cursor.lastrowid is an OID in psycopg2, not the new key, and the INSERT "
                          "it belongs to was not found: add RETURNING id to it and read "
                          "cursor.fetchone()[0]", needs_look=True, applied=False)
                continue
            for target in targets:
                target.want_returning = True
                target.lastrowids.append(node)

    def _executes_reaching(self, node: ast.Attribute) -> list[Exec]:
        """The execute() calls on the same cursor whose INSERT ``node`` may read the key of.

        Walking back from the read: calls in branches (if/else, try) may or may not have
        run, so each INSERT among them counts; the first call that surely ran ends the walk.
        """
        recv_text = fw.dotted(node.value)
        if recv_text is None:
            return []
        start = self.span(node)[0]
        sc = self._scope_for(node)
        candidates = []
        for ex in self.execs:
            if ex.scope is not sc or self.span(ex.call)[1] > start:
                continue
            if fw.dotted(ex.recv) == recv_text or (
                    isinstance(ex.stmt, ast.Assign) and ex.stmt.value is ex.call
                    and any(fw.dotted(t) == recv_text for t in ex.stmt.targets)):
                candidates.append(ex)
        candidates.sort(key=lambda ex: self.span(ex.call)[1], reverse=True)
        out: list[Exec] = []
        for ex in candidates:
            is_insert = ex.literal is not None and ex.literal.value.lstrip().upper().startswith(
                ("INSERT", "REPLACE"))
            if self._dominates(ex.stmt, node):
                if is_insert or not out:
                    out.append(ex)
                break
            if is_insert:
                out.append(ex)
        return out

    def _dominates(self, stmt: ast.stmt, node: ast.AST) -> bool:
        """``stmt`` always runs before ``node``: a later statement of stmt's own block holds it."""
        parent = self.parent(stmt)
        block = None
        for fname in ("body", "orelse", "finalbody", "handlers"):
            b = getattr(parent, fname, None)
            if isinstance(b, list) and stmt in b:
                block = b
        if block is None:
            return False
        cur: ast.AST | None = node
        while cur is not None:
            if cur in block and cur is not stmt:
                return block.index(cur) > block.index(stmt)
            cur = self.parent(cur)
        return False
