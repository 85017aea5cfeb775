"""What the porter tracks while it reads a file: scopes (which names hold a connection
or a cursor), execute calls and the SQL literals they use, and small AST helpers."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from sqlite2pg_tui.portcode.sql import SqlResult

EXEC_METHODS = ("execute", "executemany", "executescript")
CONN_FACTORIES = {"connect", "get_connection", "get_conn", "get_db", "open_db", "db_connect",
                   "open_connection", "connection", "new_connection"}


@dataclass
class Scope:
    node: ast.AST
    names: set[str] = field(default_factory=set)
    conns: set[str] = field(default_factory=set)
    cursors: set[str] = field(default_factory=set)
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)


@dataclass
class Exec:
    call: ast.Call
    recv: ast.expr
    method: str
    kind: str  # conn | cursor | unknown
    stmt: ast.stmt
    scope: Scope
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
class Literal:
    node: ast.Constant
    uses: list[Exec] = field(default_factory=list)


def last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
