"""The Python side of framework code: expressions and settings, not SQL strings.

A mixin of the porter (portcode.python.porter.Porter), which provides the source positions, the
edit buffer and the findings; kept apart so the DB-API porter stays readable.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from sqlite2pg_tui.portcode.sql import framework as fw

if TYPE_CHECKING:
    from sqlite2pg_tui.portcode.context import SqlContext
    from sqlite2pg_tui.portcode.textedit import EditBuffer


class FrameworkExprs:
    frameworks: set[str]
    needed: set[str]
    ctx: SqlContext
    buf: EditBuffer

    def span(self, node: ast.AST) -> tuple[int, int]: ...  # provided by the porter
    def text(self, node: ast.AST) -> str: ...
    def rendered(self, node: ast.AST) -> str: ...
    def parent(self, node: ast.AST) -> ast.AST | None: ...
    def find(self, where: ast.AST | int, kind: str, original: str, replacement: str, why: str,
             needs_look: bool = False, applied: bool = True, offset: int | None = None) -> None: ...

    def port_framework_exprs(self, tree: ast.Module) -> None:
        """func.strftime/julianday in SQLAlchemy expressions; settings that name SQLite."""
        # Settings that already name PostgreSQL next to SQLite choose between them (by an
        # environment variable, say): the SQLite branch is reported, not replaced.
        has_pg = any(isinstance(n, ast.Constant) and isinstance(n.value, str) and (
            n.value == fw.DJANGO_PG_ENGINE or (n.value.startswith("postgres") and fw.url_place(
                n, self.parent(n), self.parent(self.parent(n)) if self.parent(n) else None)))
            for n in ast.walk(tree))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and "sqlalchemy" in self.frameworks:
                quote = next((self.text(a)[-1] for a in node.args if isinstance(a, ast.Constant)
                              and isinstance(a.value, str) and self.text(a)[-1] in "'\""), '"')
                done = fw.func_call_rewrite(node, {id(a): self.rendered(a) for a in node.args}, quote)
                if done is None:
                    continue
                new, why, look = done
                if look:
                    self.find(node, "sql-function", self.text(node), "", why, needs_look=True, applied=False)
                elif self.buf.try_add(*self.span(node), new):
                    self.find(node, "sql-function", self.text(node), new, why)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                parent = self.parent(node)
                if isinstance(parent, ast.Expr | ast.JoinedStr):
                    continue  # a docstring, or a piece of an f-string
                place = fw.url_place(node, parent, self.parent(parent) if parent is not None else None)
                done2 = fw.settings_rewrite(node, self.ctx.dsn_env, place)
                if done2 is None:
                    continue
                new, why = done2
                if has_pg and new:
                    new, why = "", ("this file already names PostgreSQL too: make sure the "
                                    "PostgreSQL settings are the ones in use (" + why + ")")
                if not new:
                    self.find(node, "settings", self.text(node), "", why, needs_look=True, applied=False)
                elif self.buf.try_add(*self.span(node), new):
                    if "os.environ" in new:
                        self.needed.add("os")
                    self.find(node, "settings", self.text(node), new, why,
                              needs_look=node.value == fw.DJANGO_SQLITE_ENGINE)
                    if node.value == fw.DJANGO_SQLITE_ENGINE and isinstance(parent, ast.Dict):
                        self._django_name(parent)

    def _django_name(self, settings: ast.Dict) -> None:
        """NAME of a Django database that was SQLite: a file path, now the database's name."""
        for key, value in zip(settings.keys, settings.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "NAME":
                new = 'os.environ.get("PGDATABASE", "")'
                if self.buf.try_add(*self.span(value), new):
                    self.needed.add("os")
                    self.find(value, "settings", self.text(value), new,
                              "the SQLite file is no longer the database: NAME is the PostgreSQL "
                              "database, here from PGDATABASE; with HOST/USER/PASSWORD left empty "
                              "libpq reads PGHOST, PGUSER, PGPASSWORD (or ~/.pgpass)", needs_look=True)
