"""Step 6, the imports: sqlite3's replaced by psycopg2's, added where a file only uses a
connection made elsewhere."""

from __future__ import annotations

import ast

from sqlite2pg_tui.portcode.python.statements import Statements
from sqlite2pg_tui.portcode.textedit import EditConflict


class Imports(Statements):
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
