"""Port one Python file from sqlite3 to psycopg2.

The file is read with ``ast``; every change is an edit at the position of the node it
concerns, so formatting and comments elsewhere are untouched. SQL reaches the SQL
rewriter only when it is a string literal (directly, or through a name bound once to a
literal); SQL built at run time is reported, never rewritten.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from sqlite2pg_tui.portcode import framework_sql as fw
from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.exceptions import error_replacement
from sqlite2pg_tui.portcode.findings import FileResult, Finding
from sqlite2pg_tui.portcode.framework_exprs import FrameworkExprs
from sqlite2pg_tui.portcode.imports_cleanup import unused_imports
from sqlite2pg_tui.portcode.sql_rewrite import SqlResult, looks_like_sql, rewrite_sql
from sqlite2pg_tui.portcode.sql_styles import port_sql
from sqlite2pg_tui.portcode.textedit import (
    EditBuffer,
    EditConflict,
    LineIndex,
    StringPiece,
    dedent_continuation,
    encode_string,
    indent_block,
    newline_of,
    one_line,
    string_pieces,
)

EXEC_METHODS = ("execute", "executemany", "executescript")
_CONN_NAME = re.compile(r"^(conn|con|cnx|cx|connection|db|database|dbconn|sqlite_?db|.+_conn|.+_connection"
                        r"|.+_db|conn_.+|db_.+)$", re.I)
_CURSOR_NAME = re.compile(r"^(cur|curs|cursor|c|crsr|.+_cur|.+_cursor|cursor_.+|cur_.+)$", re.I)
_CONN_FACTORIES = {"connect", "get_connection", "get_conn", "get_db", "open_db", "db_connect",
                   "open_connection", "connection", "new_connection"}
_CURSOR_ATTRS = {"fetchone", "fetchall", "fetchmany", "lastrowid", "rowcount", "description"}

_ERRORS = ("Error", "Warning", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
           "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError")
_REF_MAP: dict[str, tuple[str, str, str]] = {
    "Row": ("psycopg2.extras.DictRow", "psycopg2.extras",
            "rows of psycopg2.extras.DictCursor are DictRow: by index and by column name, like sqlite3.Row"),
    "Connection": ("psycopg2.extensions.connection", "psycopg2.extensions", "psycopg2's connection class"),
    "Cursor": ("psycopg2.extensions.cursor", "psycopg2.extensions", "psycopg2's cursor class"),
    "Binary": ("psycopg2.Binary", "psycopg2", "psycopg2.Binary wraps bytes for a bytea parameter "
               "(plain bytes work too)"),
}
for _name in _ERRORS:
    _REF_MAP[_name] = (f"psycopg2.{_name}", "psycopg2", "")

_DATE_ADAPTER_ARGS = re.compile(r"^(datetime\.)?(date|datetime|time)$|^[\"'](timestamp|datetime|date|time)[\"']$",
                                re.I)


@dataclass
class _Scope:
    node: ast.AST
    names: set[str] = field(default_factory=set)
    conns: set[str] = field(default_factory=set)
    cursors: set[str] = field(default_factory=set)
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)


@dataclass
class _Exec:
    call: ast.Call
    recv: ast.expr
    method: str
    kind: str  # conn | cursor | unknown
    stmt: ast.stmt
    scope: _Scope
    has_params: bool
    literal: ast.Constant | None = None
    want_returning: bool = False
    lastrowids: list[ast.Attribute] = field(default_factory=list)
    result: SqlResult | None = None
    sql_applied: bool = True
    style: str = "qmark"  # the SQL's placeholder style (sql_styles): framework SQL keeps its own
    fragment: str | None = None

    @property
    def value_used(self) -> bool:
        return not (isinstance(self.stmt, ast.Expr) and self.stmt.value is self.call)


@dataclass
class _Literal:
    node: ast.Constant
    uses: list[_Exec] = field(default_factory=list)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Porter(FrameworkExprs):
    def __init__(self, source: str, path: str, ctx: SqlContext) -> None:
        self.src = source
        self.path = path
        self.ctx = ctx
        self.index = LineIndex(source)
        self.nl = newline_of(source)
        self.buf = EditBuffer(source)
        self.findings: list[Finding] = []
        self._finding_pos: list[int] = []
        self.parents: dict[int, ast.AST] = {}
        self.scope_of: dict[int, _Scope] = {}
        self.module_scope: _Scope | None = None
        self.module_nodes: list[ast.stmt] = []
        self.needed: set[str] = set()
        self.sqlite_left: list[ast.AST] = []
        self.mod_names: set[str] = set()
        self.from_names: dict[str, str] = {}
        self.sqlite_imports: list[ast.stmt] = []
        self.execs: list[_Exec] = []
        self.literals: dict[int, _Literal] = {}
        self.handled_refs: set[int] = set()
        self.stmt_jobs: list[tuple[ast.stmt, str, _Exec | None]] = []  # (statement, remove|exec, call)
        self.dotted_conns: set[str] = set()
        self.dotted_cursors: set[str] = set()
        self.conn_factories: set[str] = set(_CONN_FACTORIES)
        self.frameworks: set[str] = set()
        self.text_names: set[str] = set()

    # --- positions and findings --------------------------------------------------------

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.index.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.index.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        s, e = self.span(node)
        return self.src[s:e]

    def rendered(self, node: ast.AST) -> str:
        s, e = self.span(node)
        return self.buf.render(s, e)

    def find(self, where: ast.AST | int, kind: str, original: str, replacement: str, why: str,
             needs_look: bool = False, applied: bool = True, offset: int | None = None) -> None:
        if isinstance(where, int):
            line = where
            pos = offset if offset is not None else self.index.starts[min(line, len(self.index.starts)) - 1]
        else:
            line = where.lineno  # type: ignore[attr-defined]
            pos = self.span(where)[0]
        self.findings.append(Finding(self.path, line, kind, original, replacement, why, needs_look,
                                     applied))
        self._finding_pos.append(pos)

    def ported_lines(self, ported: str) -> None:
        index = LineIndex(ported)
        for f, pos in zip(self.findings, self._finding_pos, strict=True):
            hint = self.src[pos:pos + 40].split("\n")[0]
            f.ported_line = index.line_of(self.buf.map_offset(pos, hint))

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def stmt_of(self, node: ast.AST) -> ast.stmt:
        cur: ast.AST | None = node
        while cur is not None and not isinstance(cur, ast.stmt):
            cur = self.parent(cur)
        assert cur is not None
        return cur

    def depth(self, node: ast.AST) -> int:
        d = 0
        cur = self.parent(node)
        while cur is not None:
            d += 1
            cur = self.parent(cur)
        return d

    # --- module analysis ---------------------------------------------------------------

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

    def _scope_for_node(self, node: ast.AST) -> _Scope:
        sc = self.scope_of.get(id(node))
        if sc is None:
            sc = self._build_scope(node)
        return sc

    def _build_scope(self, node: ast.AST) -> _Scope:
        sc = _Scope(node)
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

    def _scope_for(self, node: ast.AST) -> _Scope:
        cur = self.parent(node)
        while cur is not None:
            if isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return self._scope_for_node(cur)
            cur = self.parent(cur)
        assert self.module_scope is not None
        return self.module_scope

    def _classify(self, node: ast.AST, sc: _Scope) -> None:
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

    def _bind(self, target: ast.AST, kind: str | None, sc: _Scope) -> None:
        if kind is None:
            return
        if isinstance(target, ast.Name):
            (sc.conns if kind == "conn" else sc.cursors).add(target.id)
        else:
            dotted = _dotted(target)
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

    def receiver_kind(self, recv: ast.expr, sc: _Scope) -> str:
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
        dotted = _dotted(recv)
        if dotted in self.dotted_cursors:
            return "cursor"
        if dotted in self.dotted_conns:
            return "conn"
        name = _last_name(recv) or ""
        if _CURSOR_NAME.match(name):
            return "cursor"
        if _CONN_NAME.match(name):
            return "conn"
        return "unknown"

    # --- execute calls -----------------------------------------------------------------

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
            ex = _Exec(node, recv, node.func.attr, kind, self.stmt_of(node), sc, has_params, literal)
            self.execs.append(ex)
            if literal is not None:
                self.literals.setdefault(id(literal), _Literal(literal)).uses.append(ex)
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
        ex = _Exec(node, recv, site.method, "framework", self.stmt_of(node), sc, site.has_params,
                   literal, style=site.style, fragment=fragment)
        self.execs.append(ex)
        if literal is not None:
            self.literals.setdefault(id(literal), _Literal(literal)).uses.append(ex)
        elif dynamic is not None and site.method != "text" or isinstance(site.arg, ast.JoinedStr):
            self._report_dynamic(node, site.arg, dynamic if dynamic is not None else site.arg)

    def _resolve_sql(self, node: ast.expr, sc: _Scope, at: ast.AST) -> tuple[ast.Constant | None, ast.expr | None]:
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
            targets: list[_Exec] = []
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

    def _executes_reaching(self, node: ast.Attribute) -> list[_Exec]:
        """The execute() calls on the same cursor whose INSERT ``node`` may read the key of.

        Walking back from the read: calls in branches (if/else, try) may or may not have
        run, so each INSERT among them counts; the first call that surely ran ends the walk.
        """
        recv_text = _dotted(node.value)
        if recv_text is None:
            return []
        start = self.span(node)[0]
        sc = self._scope_for(node)
        candidates = []
        for ex in self.execs:
            if ex.scope is not sc or self.span(ex.call)[1] > start:
                continue
            if _dotted(ex.recv) == recv_text or (
                    isinstance(ex.stmt, ast.Assign) and ex.stmt.value is ex.call
                    and any(_dotted(t) == recv_text for t in ex.stmt.targets)):
                candidates.append(ex)
        candidates.sort(key=lambda ex: self.span(ex.call)[1], reverse=True)
        out: list[_Exec] = []
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

    # --- SQL literals ------------------------------------------------------------------

    def port_literals(self) -> None:
        for lit in self.literals.values():
            uses = lit.uses
            params = {u.has_params for u in uses}
            has_params = any(params)
            script = any(u.method == "executescript" for u in uses)
            returning = any(u.want_returning for u in uses)
            sql = lit.node.value
            if len(params) > 1 and "%" in sql:
                self.find(lit.node, "percent", sql[:80], "",
                          "this SQL is run both with and without parameters and holds a %: psycopg2 "
                          "needs %% only with parameters; split it into two constants",
                          needs_look=True, applied=False)
            result = port_sql(sql, style=uses[0].style, has_params=has_params, ctx=self.ctx,
                              script=script, returning=returning, fragment=uses[0].fragment)
            for u in uses:
                u.result = result
            apply = True
            if result.removed and any(not self._removable(u) for u in uses):
                apply = False
                self.find(lit.node, "pragma", sql, "", "this statement has no PostgreSQL "
                          "equivalent and should go, but its result is used: remove it by hand",
                          needs_look=True, applied=False)
            offsets = self._literal_offsets(lit.node)
            for n in result.notes:
                pos = offsets[min(n.offset, len(offsets) - 1)] if offsets else self.span(lit.node)[0]
                self.find(self.index.line_of(pos), n.kind, n.original, n.replacement, n.why,
                          n.needs_look, n.applied and apply, offset=pos)
            if not apply or not result.changed or result.removed:
                for u in uses:
                    u.sql_applied = apply and result.changed
                continue
            if not self._apply_literal(lit.node, result):
                for u in uses:
                    u.sql_applied = False
                self.find(lit.node, "sql", sql[:80], result.sql[:80],
                          "the new SQL could not be written into this literal (it overlaps another "
                          "change): apply it by hand", needs_look=True, applied=False)

    def _pieces(self, node: ast.Constant) -> list[StringPiece] | None:
        s, e = self.span(node)
        return string_pieces(self.src, s, e)

    def _literal_offsets(self, node: ast.Constant) -> list[int]:
        """Source offset of each character of the literal's value (plus one past the end)."""
        pieces = self._pieces(node)
        if not pieces:
            return []
        out: list[int] = []
        for p in pieces:
            starts, _ends = _unit_map(self.src, p)
            out.extend(starts[:-1])
        out.append(pieces[-1].end - len(pieces[-1].quote))
        return out

    def _apply_literal(self, node: ast.Constant, result: SqlResult) -> bool:
        pieces = self._pieces(node)
        if pieces is None:
            return False
        maps = [_unit_map(self.src, p) for p in pieces]
        bounds: list[tuple[int, int]] = []  # value ranges of the pieces
        pos = 0
        for p in pieces:
            bounds.append((pos, pos + len(p.value)))
            pos += len(p.value)
        per_piece: dict[int, list[tuple[int, int, str]]] = {}
        for ed in result.edits:
            k = next((i for i, (a, b) in enumerate(bounds)
                      if a <= ed.start and ed.end <= b and (ed.start < b or ed.start == ed.end)), None)
            if k is None:
                return self._replace_whole_literal(node, pieces, result.sql)
            per_piece.setdefault(k, []).append((ed.start - bounds[k][0], ed.end - bounds[k][0], ed.text))
        planned: list[tuple[int, int, str]] = []
        for k, edits in per_piece.items():
            p = pieces[k]
            starts, ends = maps[k]
            expected = _apply_value_edits(p.value, edits)
            done = False
            # Escape as little as the quotes allow; check by evaluating the new literal.
            for minimal in (True, False):
                spans = []
                for vs, ve, text in edits:
                    src_start = starts[vs]
                    src_end = ends[ve - 1] if ve > vs else src_start
                    escaped = _escape_for(text, p, minimal)
                    if escaped is None:
                        break
                    spans.append((src_start, src_end, escaped))
                else:
                    if _evaluates_to(self.src, p, spans, expected):
                        planned.extend(spans)
                        done = True
                        break
            if not done:
                return self._replace_whole_literal(node, pieces, result.sql)
        try:
            for s, e, text in planned:
                self.buf.add(s, e, text)
        except EditConflict:
            return False
        return True

    def _replace_whole_literal(self, node: ast.Constant, pieces: list[StringPiece], sql: str) -> bool:
        first = pieces[0]
        quote = first.quote if ("\n" not in sql or len(first.quote) == 3) else '"""'
        s, e = self.span(node)
        return self.buf.try_add(s, e, encode_string(sql, first.prefix, quote))

    def _removable(self, ex: _Exec) -> bool:
        return not ex.value_used and self.index.starts_line(self.span(ex.stmt)[0]) \
            and self.index.ends_line(self.span(ex.stmt)[1])

    # --- sqlite3 references ------------------------------------------------------------

    def port_refs(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            name = self._is_sqlite_ref(node)
            if name is None or id(node) in self.handled_refs:
                continue
            if isinstance(node, ast.Name) and isinstance(self.parent(node), ast.alias | ast.ImportFrom):
                continue
            parent = self.parent(node)
            if name == "connect" and isinstance(parent, ast.Call) and parent.func is node:
                self.port_connect(parent)
            elif name == "Row" and self._row_factory_assign(node) is not None:
                self.port_row_factory(self._row_factory_assign(node), node)  # type: ignore[arg-type]
            elif name in ("register_adapter", "register_converter") and isinstance(parent, ast.Call):
                self.port_adapter(parent, name)
            elif name in ("PARSE_DECLTYPES", "PARSE_COLNAMES") and self._inside_connect(node):
                continue  # dropped with the detect_types argument
            elif name in _ERRORS:
                self.port_error_ref(node, name)
            elif name in _REF_MAP:
                new, module, why = _REF_MAP[name]
                if self.buf.try_add(*self.span(node), new):
                    self.needed.add(module)
                    self.find(node, "api", self.text(node), new, why)
            else:
                self.sqlite_left.append(node)
                self.find(node, "api", self.text(node), "",
                          f"sqlite3.{name} has no direct psycopg2 counterpart: port it by hand",
                          needs_look=True, applied=False)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in _ERRORS and (self.sqlite_imports or self.execs)
                    and self.receiver_kind(node.value, self._scope_for(node)) == "conn"):
                self.port_error_ref(node, node.attr)  # sqlite3 connections carry the classes too
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Attribute) and node.targets[0].attr == "row_factory"
                    and id(node) not in self.handled_refs):
                self.find(node, "row-factory", self.text(node), "",
                          "psycopg2 has no row_factory: choose a cursor_factory "
                          "(psycopg2.extras.DictCursor, RealDictCursor, NamedTupleCursor) that "
                          "gives what this factory built", needs_look=True, applied=False)
            elif (isinstance(node, ast.Attribute) and node.attr in ("isolation_level", "text_factory",
                                                                    "create_function", "create_aggregate",
                                                                    "create_collation", "iterdump",
                                                                    "backup", "total_changes",
                                                                    "in_transaction", "set_trace_callback")
                  and self.receiver_kind(node.value, self._scope_for(node)) == "conn"):
                self.find(node, "api", self.text(node), "", _CONN_ATTRS.get(node.attr, "no psycopg2 "
                          "equivalent"), needs_look=True, applied=False)

    def _inside_connect(self, node: ast.AST) -> bool:
        cur = self.parent(node)
        while cur is not None and not isinstance(cur, ast.stmt):
            if isinstance(cur, ast.Call) and self._is_connect_call(cur):
                return True
            cur = self.parent(cur)
        return False

    def port_connect(self, call: ast.Call) -> None:
        env = self.ctx.dsn_env
        new = f'psycopg2.connect(os.environ.get("{env}", ""))'
        dropped = []
        look = []
        for kw in call.keywords:
            k = kw.arg or "**"
            if k == "detect_types":
                dropped.append("detect_types (psycopg2 returns date, datetime and Decimal for "
                               "date, timestamp and numeric columns by itself)")
            elif k in ("check_same_thread", "uri", "cached_statements"):
                dropped.append(f"{k} (no meaning for psycopg2)")
            elif k == "timeout":
                dropped.append("timeout (a lock wait: set lock_timeout, e.g. options='-c lock_timeout=5000')")
            elif k == "isolation_level":
                look.append("isolation_level: psycopg2 opens transactions like sqlite3's default; "
                            "isolation_level=None (autocommit) is conn.autocommit = True")
            elif k == "**":
                look.append(f"**{ast.unparse(kw.value)}: options for sqlite3.connect, dropped; "
                            "check whether any of them matters")
            else:
                look.append(f"{k}: no psycopg2 equivalent")
        if self.buf.try_add(*self.span(call), new):
            self.needed.update({"os", "psycopg2"})
            self.handled_refs.add(id(call.func))
            why = (f"the connection comes from the environment: {env} (a libpq URI or key=value "
                   "DSN), or when it is unset libpq's PG* variables (PGHOST, PGDATABASE, PGUSER, "
                   "PGPASSWORD...) and ~/.pgpass. The SQLite path is no longer used; pass a pool "
                   "connection (psycopg2.pool) here if the application has one")
            if dropped:
                why += "; dropped: " + "; ".join(dropped)
            if look:
                why += "; " + "; ".join(look)
            self.find(call, "connect", self.text(call), new, why, needs_look=bool(look))

    def _row_factory_assign(self, node: ast.AST) -> ast.Assign | None:
        parent = self.parent(node)
        if (isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1
                and isinstance(parent.targets[0], ast.Attribute) and parent.targets[0].attr == "row_factory"):
            return parent
        return None

    def port_row_factory(self, assign: ast.Assign, value: ast.AST) -> None:
        target = assign.targets[0]
        assert isinstance(target, ast.Attribute)
        self.handled_refs.add(id(assign))
        self.handled_refs.add(id(value))
        if self.receiver_kind(target.value, self._scope_for(assign)) == "cursor":
            self.find(assign, "row-factory", self.text(assign), "",
                      "a psycopg2 cursor's row type is fixed when it is created: use "
                      "conn.cursor(cursor_factory=psycopg2.extras.DictCursor)", needs_look=True,
                      applied=False)
            return
        _s, e = self.span(target)
        attr_start = e - len("row_factory")
        new_value = "psycopg2.extras.DictCursor"
        if self.buf.try_add(attr_start, e, "cursor_factory") and self.buf.try_add(*self.span(value), new_value):
            self.needed.add("psycopg2.extras")
            self.find(assign, "row-factory", self.text(assign),
                      f"{self.text(target.value)}.cursor_factory = {new_value}",
                      "sqlite3.Row rows are read by index and by column name; rows of psycopg2's "
                      "DictCursor are too (RealDictCursor gives plain dicts, but then row[0] "
                      "stops working). Column names are the ones PostgreSQL reports: unquoted "
                      "aliases come back lower-cased")

    def port_adapter(self, call: ast.Call, name: str) -> None:
        self.handled_refs.add(id(call.func))
        stmt = self.stmt_of(call)
        first = ast.unparse(call.args[0]) if call.args else ""
        date_like = bool(_DATE_ADAPTER_ARGS.match(first))
        removable = (date_like and isinstance(stmt, ast.Expr) and stmt.value is call
                     and self.index.starts_line(self.span(stmt)[0]) and self.index.ends_line(self.span(stmt)[1]))
        if removable:
            self.stmt_jobs.append((stmt, "remove", None))
            self.find(call, "adapter", self.text(call), "",
                      f"sqlite3.{name} for dates: psycopg2 sends date/datetime as PostgreSQL "
                      "dates and timestamps and returns them as Python objects by itself; removed")
        else:
            self.sqlite_left.append(call.func)
            self.find(call, "adapter", self.text(call), "",
                      f"sqlite3.{name}: psycopg2 adapts Python values with "
                      "psycopg2.extensions.register_adapter(type, adapter) (returning an "
                      "AsIs/QuotedString) and reads types with register_type(new_type(...)): "
                      "port it by hand", needs_look=True, applied=False)

    def _catching(self, node: ast.AST) -> tuple[bool, bool]:
        """(the class is caught here, it is an item of a tuple of classes)."""
        parent = self.parent(node)
        in_tuple = isinstance(parent, ast.Tuple)
        holder = self.parent(parent) if in_tuple and parent is not None else parent
        if isinstance(holder, ast.ExceptHandler):
            return True, in_tuple
        if isinstance(holder, ast.Call):
            fname = _last_name(holder.func)
            first = holder.args[0] if holder.args else None
            second = holder.args[1] if len(holder.args) > 1 else None
            target = parent if in_tuple else node
            if fname in ("raises", "assertRaises", "assertRaisesRegex") and first is target:
                return True, in_tuple
            if fname in ("isinstance", "issubclass") and second is target:
                return True, in_tuple
        return False, in_tuple

    def port_error_ref(self, node: ast.AST, name: str) -> None:
        catching, in_tuple = self._catching(node)
        new, why = error_replacement(name, catching, in_tuple)
        if not self.buf.try_add(*self.span(node), new):
            return
        self.needed.add("psycopg2")
        handler = self.parent(node)
        if isinstance(handler, ast.Tuple):
            handler = self.parent(handler)
        if isinstance(handler, ast.ExceptHandler) and name != "Warning":
            try_node = self.parent(handler)
            rolled_back = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                              and n.func.attr == "rollback" for n in ast.walk(handler))
            in_with_conn = isinstance(try_node, ast.Try) and any(
                isinstance(n, ast.With) and any(
                    self.receiver_kind(i.context_expr, self._scope_for(n)) == "conn"
                    and not isinstance(i.context_expr, ast.Call) for i in n.items)
                for stmt in try_node.body for n in ast.walk(stmt))
            if not rolled_back and not in_with_conn:
                self.find(handler, "transaction", f"except {self.text(node)}", "",
                          "after an error PostgreSQL aborts the whole transaction: every later "
                          "statement fails until conn.rollback() (SQLite only undoes the failed "
                          "statement). Roll back in this handler, use `with conn:` around the "
                          "statement, or a SAVEPOINT if earlier work must survive",
                          needs_look=True, applied=False)
        self.find(node, "exception", self.text(node), new, why)

    # --- statement rewrites ------------------------------------------------------------

    def plan_statements(self) -> None:
        per_stmt: dict[int, list[_Exec]] = {}
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

    def port_lastrowid(self, ex: _Exec) -> None:
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

    def _cannot_hoist(self, ex: _Exec) -> str | None:
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

    def _cursor_name(self, ex: _Exec, stmt: ast.stmt, active: list[tuple[int, int, str]]) -> str:
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

    def _rewrite_exec(self, stmt: ast.stmt, ex: _Exec, active: list[tuple[int, int, str]]) -> None:
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
    def _exec_why(ex: _Exec, form: str) -> str:
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

    # --- imports -----------------------------------------------------------------------

    def _add_imports(self, tree: ast.Module, lines: list[str]) -> None:
        """Imports for a file that uses a connection made elsewhere (``db = get_db()``)."""
        if not lines:
            return
        imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
                   and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
        plain = [n for n in imports if isinstance(n, ast.Import)]
        text = self.nl.join(lines)
        later = next((n for n in plain if n.col_offset == 0 and n.names[0].name > lines[0][len("import "):]),
                     None)
        if later is not None:  # in alphabetical place among the plain imports
            at = self.index.line_start(self.span(later)[0])
            ok = self.buf.try_add(at, at, text + self.nl)
        elif plain:
            at = self.span(plain[-1])[1]
            ok = self.buf.try_add(at, at, self.nl + text)
        elif imports:
            at = self.index.line_start(self.span(imports[0])[0])
            ok = self.buf.try_add(at, at, text + self.nl)
        else:
            first = tree.body[0] if tree.body else None
            doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                   and isinstance(first.value.value, str))
            at = self.span(first)[1] if doc and first is not None else 0
            ok = self.buf.try_add(at, at, (self.nl + self.nl + text) if doc else text + self.nl + self.nl)
        if ok:
            self.find(1, "import", "", "; ".join(lines), "the ported code refers to psycopg2")

    def port_imports(self, tree: ast.Module) -> None:
        if not self.sqlite_imports and not self.needed:
            return
        module_level = {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names if a.asname is None}
        lines: list[str] = []
        if "os" in self.needed and "os" not in module_level:
            lines.append("import os")
        keep_sqlite = bool(self.sqlite_left)
        for mod in ("psycopg2", "psycopg2.extensions", "psycopg2.extras"):
            if mod in self.needed and mod not in module_level:
                lines.append(f"import {mod}")
        if not self.sqlite_imports:
            self._add_imports(tree, lines)
            return
        if keep_sqlite:
            # Some sqlite3 uses are left for a person: its imports stay exactly as written
            # (aliases included) and psycopg2 comes in after the first one.
            node = self.sqlite_imports[0]
            s, e = self.span(node)
            ind = self.index.indent_at(s)
            if lines and self.buf.try_add(e, e, "".join(self.nl + ind + line for line in lines)):
                self.find(node, "import", self.text(node), "; ".join(lines),
                          "psycopg2 added; sqlite3 is kept because some of its uses need porting by hand")
            return
        first = True
        for node in self.sqlite_imports:
            s, e = self.span(node)
            ind = self.index.indent_at(s)
            kept: list[str] = []
            if isinstance(node, ast.Import):
                kept = [ast.unparse(a) for a in node.names if a.name != "sqlite3"]
            prefix = f"import {', '.join(kept)}" if kept else ""
            new_lines = ([prefix] if prefix else []) + (lines if first else [])
            first = False
            text = (self.nl + ind).join(new_lines)
            try:
                if text:
                    self.buf.collapse(s, e, text)
                else:
                    self._remove_statement(node)
            except EditConflict:
                continue
            self.find(node, "import", self.text(node), text.replace(self.nl + ind, "; ") or "(removed)",
                      "sqlite3 is no longer used")


_CONN_ATTRS = {
    "isolation_level": "psycopg2: conn.autocommit = True for autocommit, conn.set_session(isolation_level=...) otherwise",
    "text_factory": "psycopg2 always returns str for text; bytea comes back as memoryview",
    "create_function": "user functions live in the database: CREATE FUNCTION ... (SQL or PL/pgSQL)",
    "create_aggregate": "user aggregates live in the database: CREATE AGGREGATE",
    "create_collation": "collations live in the database: CREATE COLLATION (ICU)",
    "iterdump": "use pg_dump",
    "backup": "use pg_dump / pg_basebackup",
    "total_changes": "no equivalent: add up cursor.rowcount",
    "in_transaction": "conn.status / conn.info.transaction_status",
    "set_trace_callback": "set log_statement on the server, or use a LoggingConnection (psycopg2.extras)",
}


def _unit_map(source: str, piece: StringPiece) -> tuple[list[int], list[int]]:
    """For each character of the piece's value: where it starts and ends in the source."""
    body_start = piece.body_start
    body_end = piece.end - len(piece.quote)
    starts: list[int] = []
    ends: list[int] = []
    i = body_start
    if piece.raw:
        for i in range(body_start, body_end):
            starts.append(i)
            ends.append(i + 1)
        starts.append(body_end)
        return starts, ends
    while i < body_end:
        ch = source[i]
        if ch != "\\":
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        nxt = source[i + 1] if i + 1 < body_end else ""
        if nxt in "\r\n":  # line continuation: no character in the value
            i += 3 if source[i + 1:i + 3] == "\r\n" else 2
            continue
        length = 2
        if nxt == "x":
            length = 4
        elif nxt == "u":
            length = 6
        elif nxt == "U":
            length = 10
        elif nxt == "N":
            close = source.find("}", i)
            length = close - i + 1 if close != -1 else 2
        elif nxt in "01234567":
            length = 2
            while length < 4 and i + length < body_end and source[i + length] in "01234567":
                length += 1
        elif nxt not in "\\'\"abfnrtv":
            # An unknown escape keeps its backslash: two characters in the value.
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        starts.append(i)
        ends.append(i + length)
        i += length
    starts.append(body_end)
    return starts, ends


def _escape_for(text: str, piece: StringPiece, minimal: bool = True) -> str | None:
    """``text`` as it must be written inside this piece's quotes; None if it cannot be."""
    q = piece.quote[0]
    triple = len(piece.quote) == 3
    if piece.raw:
        if "\\" in text or (not triple and ("\n" in text or q in text)) or (triple and q in text):
            return None
        return text
    out = text.replace("\\", "\\\\")
    if not triple:
        out = out.replace("\n", "\\n").replace("\r", "\\r")
    if triple and minimal:
        return out  # a lone quote inside triple quotes needs no backslash (checked by the caller)
    return out.replace(q, "\\" + q)


def _apply_value_edits(value: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, text in sorted(edits, key=lambda x: (x[0], x[1] != x[0])):
        out.append(value[pos:s])
        out.append(text)
        pos = e
    out.append(value[pos:])
    return "".join(out)


def _evaluates_to(source: str, piece: StringPiece, spans: list[tuple[int, int, str]], expected: str) -> bool:
    out, pos = [], piece.start
    for s, e, text in sorted(spans, key=lambda x: (x[0], x[1] != x[0])):
        out.append(source[pos:s])
        out.append(text)
        pos = e
    out.append(source[pos:piece.end])
    try:
        return ast.literal_eval("".join(out)) == expected
    except (ValueError, SyntaxError):
        return False


def port_source(source: str, path: str, ctx: SqlContext | None = None) -> FileResult:
    """Port one file's source text. Never raises for bad input: problems become findings."""
    ctx = ctx or SqlContext()
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None) or 1
        msg = getattr(e, "msg", None) or str(e)
        return FileResult(path, source, source, [Finding(
            path, line, "unparseable", "", "", f"not valid Python ({msg}); the file was skipped",
            needs_look=True, applied=False)], error=f"{path}:{line}: not valid Python ({msg})")
    p = _Porter(source, path, ctx)
    p.analyse(tree)
    p.collect_execs(tree)
    p.collect_framework_sql(tree)
    p.link_lastrowids(tree)
    p.port_literals()
    p.port_refs(tree)
    p.port_framework_exprs(tree)
    p.plan_statements()
    p.run_statement_jobs()
    p.port_imports(tree)
    ported = p.buf.result()
    if ported != source:
        for s, e, text, line, what in unused_imports(tree, source, ported):
            if p.buf.try_add(s, e, text):
                p.find(line, "import", what, "", "no longer used once the code was ported: removed",
                       offset=s)
        ported = p.buf.result()
    p.ported_lines(ported)
    findings = sorted(p.findings, key=lambda f: (f.line, f.kind))
    if ported != source:
        try:
            ast.parse(ported, filename=path)
        except SyntaxError as e:
            # A bug of ours, not the user's: never hand back code that does not parse.
            findings.append(Finding(path, e.lineno or 1, "internal", "", "",
                                    f"the ported file did not parse ({e.msg}); it was left unchanged",
                                    needs_look=True, applied=False))
            for f in findings:
                f.applied = False
                f.ported_line = f.line
            ported = source
    return FileResult(path, source, ported, findings)
