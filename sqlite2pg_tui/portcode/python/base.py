"""The porter's ground floor: the source, the edit buffer, positions and findings."""

from __future__ import annotations

import ast

from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.findings import Finding
from sqlite2pg_tui.portcode.python.model import CONN_FACTORIES, Exec, Literal, Scope
from sqlite2pg_tui.portcode.textedit import EditBuffer, LineIndex, newline_of


class PorterBase:
    """The file being ported: its text, the edit buffer, the findings, node positions and
    parents. The porter's steps (analysis … imports) build on it, each in its own module."""

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
        self.scope_of: dict[int, Scope] = {}
        self.module_scope: Scope | None = None
        self.module_nodes: list[ast.stmt] = []
        self.needed: set[str] = set()
        self.sqlite_left: list[ast.AST] = []
        self.mod_names: set[str] = set()
        self.from_names: dict[str, str] = {}
        self.sqlite_imports: list[ast.stmt] = []
        self.execs: list[Exec] = []
        self.literals: dict[int, Literal] = {}
        self.handled_refs: set[int] = set()
        self.stmt_jobs: list[tuple[ast.stmt, str, Exec | None]] = []  # (statement, remove|exec, call)
        self.dotted_conns: set[str] = set()
        self.dotted_cursors: set[str] = set()
        self.conn_factories: set[str] = set(CONN_FACTORIES)
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
