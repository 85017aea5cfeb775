"""The Python side of the code-port assistant: sqlite3 calls in Python files ported to
psycopg2 (porter.port_source), step by step in the modules the porter is built from."""

from sqlite2pg_tui.portcode.python.porter import port_source

__all__ = ["port_source"]
