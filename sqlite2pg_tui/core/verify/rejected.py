"""The rows a run left out (reject files, converters run again, PostgreSQL's refusals):
SQLite's side of every check leaves them out by locator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
from sqlite2pg_tui.core.report import Report, TableReport
from sqlite2pg_tui.core.source.reader import open_readonly, qi, read_schema, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters


def locators_of(source: str, table: Table, tm: TableMapping,
                lines: list[rejects.RejectRecord]) -> set[Any]:
    """SQLite locators of the rows a reject file names. The copy's lines carry the locator;
    rows removed later as foreign-key orphans carry their key (or, keyless, the orphan
    value), which is looked up."""
    out: set[Any] = set()
    by_columns: dict[tuple[str, ...], list[Any]] = {}
    for rec in lines:
        if rec.row is None and not isinstance(rec.rowid, list):  # a list: a composite key
            out.add(rec.rowid)
            continue
        cols = tuple(table.primary_key) or tuple(c.strip() for c in rec.column.split(","))
        if cols:
            by_columns.setdefault(cols, []).append(rec.rowid)
    if not by_columns:
        return out
    conn = open_readonly(source, lossless_text=True)
    try:
        for cols, values in by_columns.items():
            if not all(any(c.name == x for c in table.columns) for x in cols):
                continue
            cond = " AND ".join(f"{qi(c)} IS ?" for c in cols)
            q = f"SELECT {row_locator_sql(table)} FROM {qi(table.name)} WHERE {cond}"
            for v in values:
                params = v if isinstance(v, list) and len(cols) > 1 else [v]
                if len(params) != len(cols):
                    continue
                out |= {r[0] for r in conn.execute(q, params)}
    finally:
        conn.close()
    return out


def converter_rejects(source: str, table: Table, tm: TableMapping) -> set[Any]:
    """Locators of the rows the converters reject (policy 'reject'/'abort', or 'null' on a
    NOT NULL column): what the copy left out, found again without its reject file."""
    fns = []
    for cm in tm.columns:
        try:
            col = table.column(cm.source)
            notnull = col.notnull or col.pk > 0
        except KeyError:
            notnull = False
        fns.append((converters.build(cm.converter, cm.options), cm.on_error == "null" and not notnull))
    out: set[Any] = set()
    conn = open_readonly(source, lossless_text=True)
    try:
        cols = ", ".join([row_locator_sql(table)] + [qi(c.source) for c in tm.columns])
        for row in conn.execute(f"SELECT {cols} FROM {qi(table.name)}"):
            for (fn, nullable), v in zip(fns, row[1:], strict=True):
                if v is None:
                    continue
                try:
                    fn(v)
                except converters.Reject:
                    if not nullable:
                        out.add(row[0])
                        break
    finally:
        conn.close()
    return out


def rejected_rows(source: str, table: Table, tm: TableMapping, tr: TableReport,
                  reject_dir: str | Path | None) -> tuple[set[Any] | None, str]:
    """The locators of the rows the copy left out, or None (and why) when they cannot all
    be told apart.

    Three sources, together: the converters run again (every value they refuse), the rows
    PostgreSQL refused (named in the run's report) and the reject file (which also holds
    rows removed afterwards as foreign-key orphans). A stale file from an older run can only
    make SQLite's side smaller than PostgreSQL's: a false alarm, never a hidden difference."""
    lines = rejects.read(reject_dir, tm.target)
    if not tr.rejected_rows and not lines and not tr.refused_by_postgres:
        return set(), ""
    # A composite key (a list) is no locator: the reject file's line for it is looked up below.
    out = {r for r in tr.refused_by_postgres if not isinstance(r, list)}
    if tr.rejected_rows:
        out |= converter_rejects(source, table, tm)
    if lines:
        out |= locators_of(source, table, tm, lines)
    if len(out) < tr.rejected_rows:
        return None, (f"expected difference: {tr.rejected_rows} row(s) were rejected and "
                      f"{tr.rejected_rows - len(out)} of them cannot be identified without the "
                      "reject file")
    return out, ""


def exclusions(source: str, mapping: Mapping, report: Report,
               reject_dir: str | Path | None = None) -> dict[str, set[Any]]:
    """Per source table, the locators of the rows a run left out (see :func:`rejected_rows`):
    hand it to :func:`run_query_both` / :func:`run_checks` so SQLite's side of a query sees
    the rows PostgreSQL was given."""
    conn = open_readonly(source)
    try:
        tables = {t.name: t for t in read_schema(conn, source, count_rows=False).tables}
    finally:
        conn.close()
    out: dict[str, set[Any]] = {}
    for tm in mapping.included:
        table = tables.get(tm.source)
        if table is None:
            continue
        try:
            tr = report.table(tm.source)
        except KeyError:
            continue
        locs, _ = rejected_rows(source, table, tm, tr, reject_dir or report.rejects_dir)
        if locs:
            out[tm.source] = locs
    return out


def orphan_nulled(mapping: Mapping, table: Table) -> set[str]:
    """Foreign-key columns the orphans policy may have set to NULL in PostgreSQL."""
    if mapping.orphans != "null":
        return set()
    return {c for fk in table.foreign_keys for c in fk.columns}
