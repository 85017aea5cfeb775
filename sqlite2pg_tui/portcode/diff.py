"""A unified diff of the ported files, in the form `patch -p1` applies.

Paths are relative to ``root`` (the current directory by default) behind git's ``a/`` and
``b/`` prefixes, so ``patch -p1 < port.diff`` (or ``git apply port.diff``) from that
directory applies it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from sqlite2pg_tui.portcode.findings import FileResult
from sqlite2pg_tui.portcode.textedit import split_lines

PATCH_HINT = "apply with: patch -p1 < FILE (or git apply FILE), from the directory port-code ran in"


def _display_path(path: str, root: Path) -> str:
    p = Path(path)
    absolute = p if p.is_absolute() else Path.cwd() / p
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        rel = str(absolute)
    return Path(rel).as_posix()


def unified_diff(results: Iterable[FileResult], root: str | os.PathLike[str] | None = None,
                 context: int = 3) -> str:
    base = Path(root) if root is not None else Path.cwd()
    out: list[str] = []
    for r in results:
        if not r.changed or r.error:
            continue
        name = _display_path(r.path, base)
        for line in difflib.unified_diff(split_lines(r.original_source), split_lines(r.ported_source),
                                         fromfile=f"a/{name}", tofile=f"b/{name}", n=context):
            if line.endswith(("\n", "\r")):
                out.append(line)
            else:  # the last line of a file without a final newline
                out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
