"""The code-port assistant: find sqlite3 usage in Python code and port it to psycopg2.

Pure API (no terminal, no Textual): :func:`scan_paths` ports files in memory and returns
:class:`FileResult` objects; :func:`unified_diff` turns them into a patch;
:func:`write_results` writes them with backups.

The names load their modules on first use: every CLI command registers `port-code`, and
only port-code needs the porters (the start-up time of `run` and the other commands).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "SqlContext": "context", "load_context": "context", "unified_diff": "diff",
    "FileResult": "findings", "Finding": "findings", "port_source": "python",
    "PortCodeError": "scan", "scan_paths": "scan", "write_results": "scan",
    "SqlResult": "sql", "rewrite_sql": "sql",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_HOMES)
