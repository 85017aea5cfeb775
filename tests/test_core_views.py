"""Views: translated and created, or reported with the reason they were not."""

from __future__ import annotations

from pathlib import Path

import psycopg2.extensions
from helpers import make_sqlite, pg_all

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect

SCHEMA = """
CREATE TABLE orders(id INTEGER PRIMARY KEY, paid INTEGER, total REAL);
CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid = 1;
CREATE VIEW note_bodies AS SELECT ifnull(body, '') AS body FROM notes;
"""


def test_views_over_kept_tables_are_created_and_others_say_why(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "v.db", SCHEMA, {
        "orders": [(1, 1, 9.5), (2, 0, 3.0)], "notes": [(1, "x"), (2, None)]})
    ins = inspect(src)
    mapping = plan(ins.schema, ins.profiles)
    mapping.table("notes").include = False
    report = run_migration(str(src), pg_dsn, mapping, options=RunOptions(reject_dir=str(tmp_path)))
    # paid became boolean: the view's `paid = 1` was translated, and it returns the same rows.
    assert pg_all(pg_conn, "SELECT id, total FROM paid_orders") == [(1, 9.5)]
    why = {n.name: n.reason for n in report.not_migrated if n.kind == "view"}
    assert why == {"note_bodies": "not translated: depends on excluded table(s) notes"}
