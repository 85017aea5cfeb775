"""Cancelling a run so that it stops at once and says truthfully what it left behind.

A cancel is a ``threading.Event`` set by either face (the CLI's Ctrl-C, the wizard's
``x``). Reading SQLite stops at the next batch, but PostgreSQL may be busy with a COPY or an
index build for seconds: :func:`cancels_server_work` asks the server to cancel what the
connection is running as soon as the event is set. :func:`settle` then makes what is left
in PostgreSQL plain: tables this run created whose copy never committed are dropped (an
empty table would make a rerun fail with "already exists" for no visible reason), and the
report lists what PostgreSQL holds now and what a rerun will do.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.target.postgres import plain_error, qualified

_POLL_S = 0.05


@contextlib.contextmanager
def cancels_server_work(conn: Any, cancel: threading.Event) -> Iterator[None]:
    """While inside, setting ``cancel`` cancels the statement ``conn`` is running (a COPY,
    an index build) on the server, within ``_POLL_S``. The statement then raises
    ``QueryCanceled`` in the thread that runs it, which rolls its transaction back."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(_POLL_S):
                if not done.is_set():
                    # A cancel request to an idle connection is ignored by the server, so a
                    # race with the statement's own end is harmless.
                    with contextlib.suppress(Exception):
                        conn.cancel()
                return

    watcher = threading.Thread(target=watch, name="cancel watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def settle(conn: Any, report: Report, schema: str, created: set[str], phase: str,
           on_event: OnEvent) -> None:
    """After a cancel: drop the tables this run created that hold no committed copy, then
    write into ``report.after_cancel`` what PostgreSQL holds and what a rerun will do.

    ``created``: target tables this run created (not tables a data-only load found).
    ``phase``: the phase the cancel stopped (inspect, data, constraints, …)."""
    report.cancelled = True
    lines: list[str] = []
    if phase == "inspect":
        lines.append("cancelled while reading the SQLite file: nothing was written to PostgreSQL")
        lines.append("a rerun starts from the beginning with the same command")
        _publish(report, lines, on_event)
        return
    kept: list[str] = []
    dropped: list[str] = []
    empty_existing: list[str] = []
    conn.rollback()  # a cancelled statement may have left the transaction aborted
    with conn.cursor() as cur:
        for tr in report.tables:
            target = qualified(schema, tr.target)
            if tr.committed:
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(target))
                tr.target_rows = cur.fetchone()[0]
                built = _keys_built(cur, target.as_string(cur)) if phase == "data" else ""
                kept.append(f"{schema}.{tr.target}: {tr.target_rows:,} row(s), copied in full{built}")
                continue
            if tr.target in created:
                try:
                    cur.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(target))
                    conn.commit()
                    dropped.append(tr.target)
                except psycopg2.Error as e:
                    conn.rollback()
                    kept.append(f"{schema}.{tr.target}: empty (could not drop it: "
                                f"{plain_error(e)})")
            else:
                empty_existing.append(tr.target)
    conn.commit()
    if phase == "data":
        if kept:
            lines.append("PostgreSQL now holds: " + "; ".join(kept) + " — "
                         + _keys_added(conn, schema, [tr.target for tr in report.tables
                                                      if tr.committed]))
        else:
            lines.append(f"PostgreSQL holds nothing from this run (schema {schema})")
    else:
        lines.append(f"cancelled during {phase}: every table was copied in full (" + "; ".join(kept)
                     + "); keys, indexes and foreign keys may be incomplete and verification "
                     "did not run")
    if dropped:
        lines.append("rolled back and dropped (their copy never committed): " + ", ".join(dropped))
    if empty_existing:
        lines.append("left empty as they were (they existed before the run): "
                     + ", ".join(empty_existing))
    if kept and not empty_existing:
        lines.append("a rerun with --resume keeps the tables copied in full and copies the rest "
                     "(--if-exists replace drops them and copies everything again; a plain "
                     "rerun stops at 'target tables already exist')")
    elif kept:
        lines.append("a rerun with --if-exists replace drops the tables above and copies "
                     "everything again (a plain rerun stops at 'target tables already exist')")
    else:
        lines.append("a rerun starts from the beginning with the same command")
    _publish(report, lines, on_event)


def _keys_built(cur: Any, table: str) -> str:
    """What a table copied before the cancel has of its own keys and indexes: each table is
    finished as soon as its copy commits (finisher.py), so some may have them."""
    cur.execute("SELECT count(*) FILTER (WHERE indisprimary), count(*) FILTER (WHERE NOT "
                "indisprimary) FROM pg_index WHERE indrelid = to_regclass(%s)", (table,))
    pk, others = cur.fetchone()
    if not pk and not others:
        return ", without its keys and indexes"
    parts = (["its primary key"] if pk else []) + ([f"{others} index(es)"] if others else [])
    return ", with " + " and ".join(parts)


def _keys_added(conn: Any, schema: str, tables: list[str]) -> str:
    """Foreign keys are added beside the copy once both of their tables are finished."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
                    "JOIN pg_namespace n ON n.oid = r.relnamespace WHERE c.contype = 'f' "
                    "AND n.nspname = %s AND r.relname = ANY(%s)", (schema, tables))
        added = cur.fetchone()[0]
    conn.commit()
    return f"{added} foreign key(s) added so far" if added else "no foreign keys yet"


def _publish(report: Report, lines: list[str], on_event: OnEvent) -> None:
    report.after_cancel = lines
    for line in lines:
        # info: the wizard's log shows it; the CLI prints report.after_cancel once at the end.
        on_event(Log(line, "info"))
