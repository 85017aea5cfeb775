"""Step 4, the sqlite3 references: connect, row_factory, adapters, exception classes and
connection attributes with no psycopg2 twin."""

from __future__ import annotations

import ast
import re

from sqlite2pg_tui.portcode.python.exceptions import error_replacement
from sqlite2pg_tui.portcode.python.literals import Literals
from sqlite2pg_tui.portcode.python.model import last_name

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



class References(Literals):
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
            fname = last_name(holder.func)
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
