"""Step 1, the module read: parents, scopes, which names hold a sqlite3 connection or cursor."""

from __future__ import annotations

import ast
import re

from sqlite2pg_tui.portcode.python.base import PorterBase
from sqlite2pg_tui.portcode.python.model import EXEC_METHODS, Scope, last_name
from sqlite2pg_tui.portcode.sql import framework as fw

_CONN_NAME = re.compile(r"^(conn|con|cnx|cx|connection|db|database|dbconn|sqlite_?db|.+_conn|.+_connection"
                        r"|.+_db|conn_.+|db_.+)$", re.I)
_CURSOR_NAME = re.compile(r"^(cur|curs|cursor|c|crsr|.+_cur|.+_cursor|cursor_.+|cur_.+)$", re.I)


class Analysis(PorterBase):
    def analyse(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self.module_nodes = list(tree.body)
        self.module_scope = self._build_scope(tree)
        self.frameworks = fw.frameworks_imported(tree)
        if not self.frameworks and not any(isinstance(n, ast.Import | ast.ImportFrom) and "sqlite3" in (
                [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""])
                for n in ast.walk(tree)):
            self.frameworks = set(self.ctx.app_frameworks)
        self.text_names = fw.text_callables(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "sqlite3":
                        self.mod_names.add(a.asname or "sqlite3")
                        self.sqlite_imports.append(node)
            elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3" and node.level == 0:
                for a in node.names:
                    self.from_names[a.asname or a.name] = a.name
                self.sqlite_imports.append(node)
        scope_nodes = [n for n in ast.walk(tree)
                       if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)]
        for node in scope_nodes:
            self._classify(node, self._scope_for_node(node))
        # Functions of this file that hand out a sqlite3 connection; then classify again,
        # so that `conn = get_db()` is known to be a connection too.
        for node in scope_nodes:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            conns = self._scope_for_node(node).conns
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None and (
                        self._is_connect_call(sub.value)
                        or (isinstance(sub.value, ast.Name) and sub.value.id in conns)):
                    self.conn_factories.add(node.name)
        for node in scope_nodes:
            self._classify(node, self._scope_for_node(node))

    def _scope_for_node(self, node: ast.AST) -> Scope:
        sc = self.scope_of.get(id(node))
        if sc is None:
            sc = self._build_scope(node)
        return sc

    def _build_scope(self, node: ast.AST) -> Scope:
        sc = Scope(node)
        self.scope_of[id(node)] = sc
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    sc.names.add(a.arg)
                    sc.params.add(a.arg)
                    ann = ast.unparse(a.annotation) if a.annotation is not None else ""
                    if ann.endswith("Connection"):
                        sc.conns.add(a.arg)
                    elif ann.endswith("Cursor"):
                        sc.cursors.add(a.arg)
        for sub in self._own_nodes(node):
            if isinstance(sub, ast.Name):
                sc.names.add(sub.id)
            if isinstance(sub, ast.Assign | ast.AnnAssign):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                if sub.value is not None:
                    for t in targets:
                        if isinstance(t, ast.Name):
                            sc.assigns.setdefault(t.id, []).append(sub.value)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                sc.names.add(sub.id)
            elif isinstance(sub, ast.arg):
                sc.names.add(sub.arg)
        return sc

    def _own_nodes(self, node: ast.AST) -> list[ast.AST]:
        """The nodes of a scope, not those of functions, classes or lambdas nested in it."""
        out: list[ast.AST] = []
        stack = list(ast.iter_child_nodes(node))
        while stack:
            n = stack.pop()
            out.append(n)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                continue
            stack.extend(ast.iter_child_nodes(n))
        return out

    def _scope_for(self, node: ast.AST) -> Scope:
        cur = self.parent(node)
        while cur is not None:
            if isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return self._scope_for_node(cur)
            cur = self.parent(cur)
        assert self.module_scope is not None
        return self.module_scope

    def _classify(self, node: ast.AST, sc: Scope) -> None:
        for sub in self._own_nodes(node):
            if isinstance(sub, ast.Assign):
                kind = self._call_kind(sub.value)
                for t in sub.targets:
                    self._bind(t, kind, sc)
            elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
                self._bind(sub.optional_vars, self._call_kind(sub.context_expr), sc)
            elif (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                  and isinstance(sub.func.value, ast.Name)):
                if sub.func.attr in ("cursor", "commit", "rollback"):
                    sc.conns.add(sub.func.value.id)
                elif sub.func.attr in ("fetchone", "fetchall", "fetchmany"):
                    sc.cursors.add(sub.func.value.id)

    def _bind(self, target: ast.AST, kind: str | None, sc: Scope) -> None:
        if kind is None:
            return
        if isinstance(target, ast.Name):
            (sc.conns if kind == "conn" else sc.cursors).add(target.id)
        else:
            dotted = fw.dotted(target)
            if dotted:
                (self.dotted_conns if kind == "conn" else self.dotted_cursors).add(dotted)

    def _is_sqlite_ref(self, node: ast.AST, attr: str | None = None) -> str | None:
        """The sqlite3 attribute ``node`` names (sqlite3.X or a name imported from sqlite3)."""
        name = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.mod_names:
            name = node.attr
        elif isinstance(node, ast.Name) and node.id in self.from_names:
            name = self.from_names[node.id]
        if name is not None and attr is not None and name != attr:
            return None
        return name

    def _is_connect_call(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and self._is_sqlite_ref(node.func, "connect") is not None

    def _call_kind(self, node: ast.AST) -> str | None:
        if not isinstance(node, ast.Call):
            return None
        if self._is_connect_call(node):
            return "conn"
        f = node.func
        if isinstance(f, ast.Attribute):
            if f.attr == "cursor":
                return "cursor"
            if f.attr in EXEC_METHODS:
                return "cursor"
            if f.attr in self.conn_factories:
                return "conn"
        if isinstance(f, ast.Name) and f.id in self.conn_factories:
            return "conn"
        return None

    def receiver_kind(self, recv: ast.expr, sc: Scope) -> str:
        if isinstance(recv, ast.Call):
            return self._call_kind(recv) or "unknown"
        if isinstance(recv, ast.Name):
            for scope in (sc, self.module_scope):
                if scope is None:
                    continue
                if recv.id in scope.cursors:
                    return "cursor"
                if recv.id in scope.conns:
                    return "conn"
        dotted = fw.dotted(recv)
        if dotted in self.dotted_cursors:
            return "cursor"
        if dotted in self.dotted_conns:
            return "conn"
        name = last_name(recv) or ""
        if _CURSOR_NAME.match(name):
            return "cursor"
        if _CONN_NAME.match(name):
            return "conn"
        return "unknown"
