"""Imports that porting left unused: ``from datetime import datetime`` kept only for a
sqlite3 converter that was removed, ``current_app`` kept only for the SQLite path given
to ``connect``. Only names the original used and the ported file no longer uses go;
what the author already left unused is theirs.
"""

from __future__ import annotations

import ast
import re

from sqlite2pg_tui.portcode.textedit import LineIndex


def _used(tree: ast.Module) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in tree.body:  # names listed in __all__ are used by whoever imports the module
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                 for t in node.targets)):
            names.update(c.value for c in ast.walk(node.value)
                         if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return names


def _bound(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def unused_imports(original: ast.Module, source: str, ported: str) -> list[tuple[int, int, str, int, str]]:
    """Edits of ``source`` dropping the imports ``ported`` no longer needs.

    Each is (start, end, new text, line, what went). The import statements are looked
    up in the original, so the edits join the porter's own and line numbers stay right.
    """
    try:
        tree = ast.parse(ported)
    except SyntaxError:
        return []
    gone = _used(original) - _used(tree)
    if not gone:
        return []
    index = LineIndex(source)
    out: list[tuple[int, int, str, int, str]] = []
    for node in original.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        drop = [a for a in node.names if a.name != "*" and _bound(a) in gone]
        if not drop:
            continue
        keep = [a for a in node.names if a not in drop]
        s = index.offset(node.lineno, node.col_offset)
        e = index.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        what = ", ".join(ast.unparse(a) for a in drop)
        if keep:
            if isinstance(node, ast.Import):
                new = "import " + ", ".join(ast.unparse(a) for a in keep)
            else:
                new = (f"from {'.' * node.level}{node.module or ''} import "
                       + ", ".join(ast.unparse(a) for a in keep))
            out.append((s, e, new, node.lineno, what))
        else:
            m = re.match(r"[^\r\n]*(\r\n|\n|\r)?", source[e:])
            out.append((index.line_start(s), e + (m.end() if m else 0), "", node.lineno, what))
    return out
