"""The code-port assistant: find sqlite3 usage in Python code and port it to psycopg2.

Pure API (no terminal, no Textual): :func:`scan_paths` ports files in memory and returns
:class:`FileResult` objects; :func:`unified_diff` turns them into a patch;
:func:`write_results` writes them with backups.
"""

from sqlite2pg_tui.portcode.context import SqlContext, load_context
from sqlite2pg_tui.portcode.diff import unified_diff
from sqlite2pg_tui.portcode.findings import FileResult, Finding
from sqlite2pg_tui.portcode.python import port_source
from sqlite2pg_tui.portcode.scan import PortCodeError, scan_paths, write_results
from sqlite2pg_tui.portcode.sql import SqlResult, rewrite_sql

__all__ = ["FileResult", "Finding", "PortCodeError", "SqlContext", "SqlResult", "load_context",
           "port_source", "rewrite_sql", "scan_paths", "unified_diff", "write_results"]
