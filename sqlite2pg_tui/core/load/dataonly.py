"""Data-only loads into the schema an application's own migrations made (Django, Rails, …).

Everything that could stop the load is found before anything is written: tables that
already hold rows (all of them at once), a migration history that differs between the
SQLite file and PostgreSQL, rows outside the load that would block emptying a table.

The load itself is one transaction. The target's deferrable foreign keys are deferred
(Django makes all of its keys DEFERRABLE INITIALLY DEFERRED), so a cycle such as
category.featured_product → product → category loads in any order; before COMMIT, the
rows whose parent is really missing are taken out with their reason (see
:func:`sweep_orphans`), so PostgreSQL's check at COMMIT finds nothing to refuse.
A failure anywhere rolls back the whole load: no half-loaded application database.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.errors import Cancelled, TargetError
from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.load.copy import CopyResult, TableCopier
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.frameworks import HISTORY_KEYS
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target import staging
from sqlite2pg_tui.core.target.postgres import plain_error, qualified
from sqlite2pg_tui.core.values.canonical_batch import UUID_RE

IF_EXISTS_CHOICES = (
    "--if-exists truncate keeps the tables and replaces their rows (the choice for a schema "
    "the application's own migrations made); --if-exists append loads into them only while "
    "they are empty; --if-exists replace drops them and creates them again from the SQLite "
    "file (the application's own types and constraints are lost)")


def tables_exist_message(schema: str, names: list[str]) -> str:
    return f"target tables already exist in schema {schema!r}: {', '.join(names)}. " + IF_EXISTS_CHOICES


@dataclass
class Prepared:
    truncate: list[tuple[str, str]] = field(default_factory=list)  # (schema, table) emptied
    skip: set[str] = field(default_factory=set)  # identical history left as PostgreSQL has it
    notes: list[dict[str, str]] = field(default_factory=list)


def prepare(cur: Any, sconn: sqlite3.Connection, schema: str,
            pairs: list[tuple[Table, TableMapping]], present: set[str], mode: str) -> Prepared:
    """What the load will do to the existing tables; TargetError (nothing written) when it
    cannot go ahead. ``mode``: append (tables must be empty) or truncate."""
    out = Prepared()
    history = _history_differences(cur, sconn, schema, pairs, present, out)
    if history:
        raise TargetError("the migration history differs between the SQLite file and PostgreSQL, "
                          "so the schemas are not the same: " + "; ".join(history)
                          + ". Migrate both to the same revision, then load again")
    existing = [tm.target for _, tm in pairs if tm.target in present]
    if mode == "truncate":
        out.truncate = [(schema, n) for n in existing]
        _blocking_references(cur, schema, existing, out.truncate)
        return out
    full = []
    for name in existing:
        cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(qualified(schema, name)))
        if cur.fetchone()[0]:
            full.append(name)
    history_full = [n for n in full if n in HISTORY_KEYS]
    for name in history_full:  # the same migrations: already right, nothing to add
        out.skip.add(name)
        out.notes.append({"table": name, "note": "the same migration history is already in "
                          "PostgreSQL: left as it is (--if-exists truncate loads it too)"})
    full = [n for n in full if n not in history_full]
    if full:
        raise TargetError(f"{len(full)} existing table(s) in schema {schema!r} already hold rows: "
                          f"{', '.join(full)}. " + IF_EXISTS_CHOICES)
    return out


def _history_differences(cur: Any, sconn: sqlite3.Connection, schema: str,
                         pairs: list[tuple[Table, TableMapping]], present: set[str],
                         out: Prepared) -> list[str]:
    problems = []
    for table, tm in pairs:
        keys = HISTORY_KEYS.get(tm.target.lower())
        if keys is None or tm.target not in present:
            continue
        by_target = {cm.target: cm.source for cm in tm.columns}
        if not all(k in by_target for k in keys):
            out.notes.append({"table": tm.target, "note": "migration history not compared: "
                              f"it has no {', '.join(keys)} columns"})
            continue
        mine = {tuple(None if v is None else str(v) for v in row) for row in sconn.execute(
            f"SELECT {', '.join(qi(by_target[k]) for k in keys)} FROM {qi(table.name)}")}
        cur.execute(sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(k) for k in keys), qualified(schema, tm.target)))
        theirs = {tuple(None if v is None else str(v) for v in row) for row in cur.fetchall()}
        for side, rows in (("the SQLite file has", mine - theirs), ("PostgreSQL has", theirs - mine)):
            if rows:
                shown = sorted(".".join(str(v) for v in r) for r in rows)
                problems.append(f"{tm.target}: {side} {len(rows)} migration(s) the other lacks ("
                                + ", ".join(shown[:10])
                                + (f", and {len(shown) - 10} more" if len(shown) > 10 else "") + ")")
    return problems


def _blocking_references(cur: Any, schema: str, tables: list[str],
                         truncate: list[tuple[str, str]]) -> None:
    """TRUNCATE refuses a table that a table outside the statement references: empty such
    tables go along (nothing is lost); one holding rows stops the load, listed by name."""
    if not tables:
        return
    cur.execute(
        "SELECT DISTINCT cn.nspname, c.relname, p.relname FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace "
        "JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace "
        "WHERE k.contype = 'f' AND pn.nspname = %s AND p.relname = ANY(%s) "
        "AND NOT (cn.nspname = %s AND c.relname = ANY(%s)) ORDER BY 1, 2", (schema, tables, schema, tables))
    blocking = []
    for nsp, child, parent in cur.fetchall():
        cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(qualified(nsp, child)))
        if cur.fetchone()[0]:
            blocking.append(f"{nsp}.{child} (references {parent})")
        else:
            truncate.append((nsp, child))
    if blocking:
        raise TargetError("tables outside this load hold rows that reference tables it would "
                          f"empty: {', '.join(blocking)}; include them in the load (so they are "
                          "emptied and loaded too) or empty them first")


def nulls_into_not_null(source: str, table: Table, tm: TableMapping,
                        not_null: list[str]) -> list[str]:
    """NULLs the SQLite file holds in columns the existing table declares NOT NULL (or that a
    NOT NULL column's on_error = "null" would make): PostgreSQL would refuse those rows."""
    out = []
    conn = open_readonly(source)
    try:
        for target in not_null:
            cm = next(c for c in tm.columns if c.target == target)
            n, example = conn.execute(
                f"SELECT count(*), min({row_locator_sql(table)}) FROM {qi(table.name)} "
                f"WHERE {qi(cm.source)} IS NULL").fetchone()
            if n:
                out.append(f"{tm.target}.{target}: {n} NULL value(s) for a NOT NULL column "
                           f"(e.g. rowid {example})")
    finally:
        conn.close()
    return out


class Subtransaction:
    """The load's connection as one table's copy sees it: its commit keeps that table's work
    inside the outer transaction (a savepoint released), its rollback undoes only that
    table. So the copy engine's per-table retry logic works unchanged inside one load."""

    _NAME = sql.Identifier("s2p_table")

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._savepoint()

    def _savepoint(self) -> None:
        with self._conn.cursor() as cur:
            cur.execute(sql.SQL("SAVEPOINT {}").format(self._NAME))

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        return self._conn.cursor(*args, **kwargs)

    def commit(self) -> None:
        with self._conn.cursor() as cur:
            cur.execute(sql.SQL("RELEASE SAVEPOINT {}").format(self._NAME))
        self._savepoint()

    def rollback(self) -> None:
        with self._conn.cursor() as cur:
            cur.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(self._NAME))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def load_all(source: str, conn: Any, pairs: list[tuple[Table, TableMapping]], schema: str,
             prepared: Prepared, reject_dir: Path | None, on_event: OnEvent,
             cancel: threading.Event) -> list[CopyResult]:
    """Every table of a data-only load in one transaction, committed only when all loaded."""
    results: list[CopyResult] = []
    relaxed = _relax_cycles(conn, schema, [tm.target for _, tm in pairs], on_event)
    try:
        with conn.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            if prepared.truncate:
                on_event(Log(f"emptying {len(prepared.truncate)} existing table(s) in the "
                             "load's transaction"))
                cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(
                    qualified(nsp, n) for nsp, n in prepared.truncate)))
        sub = Subtransaction(conn)
        for table, tm in pairs:
            if cancel.is_set():
                raise Cancelled("cancelled before this table started")
            with conn.cursor() as cur:
                # Deferred keys are judged once every table is in (sweep below); the others
                # are checked at each statement, so their rows go through the stage.
                immediate = [fk for fk in staging.foreign_keys_of(cur, schema, tm.target)
                             if not fk.deferrable]
            copier = TableCopier(source, table, tm, sub, schema, reject_dir, on_event, cancel,
                                 truncate=False, staged_fks=immediate or None)
            res = copier.run()
            results.append(res)
            if res.error:
                raise _Failed(f"{tm.target}: {res.error}")
        sweep_orphans(source, conn, schema, pairs, results, reject_dir, on_event)
        if relaxed:
            with conn.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # judged now, then made as they were
                for table, name in relaxed:
                    cur.execute(sql.SQL("ALTER TABLE {} ALTER CONSTRAINT {} NOT DEFERRABLE").format(
                        qualified(schema, table), sql.Identifier(name)))
        conn.commit()
    except _Failed as e:
        conn.rollback()
        _nothing_loaded(results, pairs, f"not loaded: the load stopped at {e} and was rolled "
                        "back as a whole")
        on_event(Log(f"data-only load rolled back: {e}", "warning"))
    except (Cancelled, psycopg2.Error) as e:
        conn.rollback()
        _nothing_loaded(results, pairs, f"not loaded: {e} (the whole load was rolled back)")
        if isinstance(e, Cancelled):
            cancel.set()
        else:
            on_event(Log(f"data-only load rolled back: {e}", "warning"))
    done = {r.source for r in results}
    results += [CopyResult(tm.source, tm.target, source_rows=t.row_count,
                           error="not loaded: the whole load was rolled back")
                for t, tm in pairs if tm.source not in done]
    return results


def sweep_orphans(source: str, conn: Any, schema: str, pairs: list[tuple[Table, TableMapping]],
                  results: list[CopyResult], reject_dir: Path | None, on_event: OnEvent) -> None:
    """Before a data-only load commits: take out the rows whose deferred foreign key finds no
    parent, so PostgreSQL's check at COMMIT passes. A row is an orphan only when the SQLite
    file has no such parent at all; when the parent is there but was rejected (or taken out
    here), the row goes with it and its reason names that parent. Repeated until a round
    takes nothing, so a chain of descendants follows its rejected ancestor."""
    loaded = {tm.target: (table, tm, res) for (table, tm), res in zip(pairs, results, strict=True)}
    with conn.cursor() as cur:
        fks = {name: [fk for fk in staging.foreign_keys_of(cur, schema, name) if fk.deferrable]
               for name in loaded}
    sconn = open_readonly(source, lossless_text=True)
    try:
        while True:
            taken = 0
            for name, (table, tm, res) in loaded.items():
                for fk in fks[name]:
                    taken += _take_out(conn, sconn, schema, fk, table, tm, res, loaded, reject_dir)
            if not taken:
                break
    finally:
        sconn.close()
    for name, (_t, _tm, res) in loaded.items():
        n = sum(res.rejected_by_column.get(", ".join(fk.columns), 0) for fk in fks[name])
        if n:
            on_event(Log(f"{name}: {n} row(s) without their parent taken out before COMMIT",
                         "warning"))


def _take_out(conn: Any, sconn: sqlite3.Connection, schema: str, fk: staging.ExistingFk, table: Table,
              tm: TableMapping, res: CopyResult,
              loaded: dict[str, tuple[Table, TableMapping, CopyResult]],
              reject_dir: Path | None) -> int:
    cond, _ = staging.missing_parent(fk)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DELETE FROM {} s WHERE {} RETURNING to_jsonb(s)::text").format(
            qualified(schema, tm.target), cond))
        rows = [json.loads(t) for (t,) in cur.fetchall()]
    if not rows:
        return 0
    parent = loaded.get(fk.parent) if fk.parent_schema == schema else None
    column = ", ".join(fk.columns)
    key = [tm.column(c).target for c in table.primary_key]
    removed: list[rejects.RejectRecord] = []
    try:
        for row in rows:
            values = [row.get(c) for c in fk.columns]
            shown = ", ".join(f"{c} = {v}" for c, v in zip(fk.columns, values, strict=True))
            if parent is not None and _source_has(sconn, parent[0], parent[1], fk.parent_columns, values):
                reason = (f"its parent in {fk.parent} ({shown}) was rejected, so this row goes "
                          f"with it (foreign key {fk.name})")
            else:
                reason = f"orphan: no row in {fk.parent} has {shown} (foreign key {fk.name})"
            pk = [row.get(k) for k in key] if key else values
            loc = _locator(sconn, table, tm, pk) if key else None
            res.copied -= 1
            res.rejected += 1
            res.rejected_by_column[column] = res.rejected_by_column.get(column, 0) + 1
            reasons = res.reasons_by_column.setdefault(column, {})
            reasons[reason] = reasons.get(reason, 0) + 1
            if loc is not None:
                res.refused_by_postgres.append(loc)
            # With the whole row: verification finds its SQLite locator by key.
            removed.append(rejects.RejectRecord(pk[0] if len(pk) == 1 else pk, column,
                                                values[0] if len(values) == 1 else values,
                                                reason, row))
    finally:
        rejects.append(reject_dir, tm.target, removed)
    return len(rows)


def _variants(v: Any) -> list[Any]:
    """The forms a key value PostgreSQL shows may have in SQLite: a UUID as dashed text,
    Django's 32 hex digits, or 16 bytes."""
    if isinstance(v, str) and UUID_RE.fullmatch(v):
        u = uuid.UUID(v)
        return [v, u.hex, u.bytes, v.upper(), u.hex.upper()]
    return [v]


def _source_has(sconn: sqlite3.Connection, table: Table, tm: TableMapping, columns: list[str],
                values: list[Any]) -> bool:
    by_target = {cm.target: cm.source for cm in tm.columns}
    if not all(c in by_target for c in columns):
        return False
    cond = " AND ".join(f"{qi(by_target[c])} = ?" for c in columns)
    q = f"SELECT 1 FROM {qi(table.name)} WHERE {cond} LIMIT 1"
    for combo in itertools.product(*(_variants(v) for v in values)):
        if sconn.execute(q, combo).fetchone():
            return True
    return False


def _locator(sconn: sqlite3.Connection, table: Table, tm: TableMapping, pk: list[Any]) -> Any:
    """The SQLite locator (rowid, or the key of a WITHOUT ROWID table) of the row whose
    primary key PostgreSQL shows as ``pk``."""
    cond = " AND ".join(f"{qi(c)} = ?" for c in table.primary_key)
    for combo in itertools.product(*(_variants(v) for v in pk)):
        got = sconn.execute(f"SELECT {row_locator_sql(table)} FROM {qi(table.name)} WHERE {cond}",
                            combo).fetchone()
        if got is not None:
            return got[0]
    return None


def _relax_cycles(conn: Any, schema: str, tables: list[str],
                  on_event: OnEvent) -> list[tuple[str, str]]:
    """Foreign keys that are not deferrable and close a cycle between loaded tables, made
    deferrable for the load's transaction only (DDL is transactional: a rollback undoes it,
    and they are made NOT DEFERRABLE again before COMMIT). Without this, no order could load
    such a cycle. Needs the tables' owner; anyone else is told before anything is written."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname, p.relname, k.conname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_namespace pn ON pn.oid = p.relnamespace "
            "WHERE k.contype = 'f' AND NOT k.condeferrable AND n.nspname = %s AND pn.nspname = %s "
            "AND c.relname = ANY(%s) AND p.relname = ANY(%s) AND c.oid <> p.oid ORDER BY 1, 3",
            (schema, schema, tables, tables))
        edges = cur.fetchall()
    parents: dict[str, set[str]] = {}
    for child, parent, _ in edges:
        parents.setdefault(child, set()).add(parent)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            n = todo.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                todo += parents.get(n, ())
        return False

    relaxed = [(child, name) for child, parent, name in edges if reaches(parent, child)]
    if not relaxed:
        return []
    try:
        with conn.cursor() as cur:
            for table, name in relaxed:
                cur.execute(sql.SQL("ALTER TABLE {} ALTER CONSTRAINT {} DEFERRABLE INITIALLY "
                                    "DEFERRED").format(qualified(schema, table), sql.Identifier(name)))
    except psycopg2.Error as e:
        conn.rollback()
        raise TargetError(
            "foreign keys " + ", ".join(f"{t}.{n}" for t, n in relaxed) + " form a cycle and are "
            "not DEFERRABLE, so no load order satisfies them; making them deferrable for the "
            f"load's transaction failed ({plain_error(e)}): run as the tables' owner, or make "
            "them DEFERRABLE in the application's schema") from None
    on_event(Log("foreign keys in a cycle deferred for the load's transaction only: "
                 + ", ".join(f"{t}.{n}" for t, n in relaxed)))
    return relaxed


class _Failed(Exception):  # noqa: N818 - one table failed: the load as a whole is undone
    pass


def _nothing_loaded(results: list[CopyResult], pairs: list[tuple[Table, TableMapping]],
                    why: str) -> None:
    for r in results:
        r.copied = 0
        r.committed = False  # the one transaction was rolled back, whatever a table's copier saw
        if not r.error:
            r.error = why
