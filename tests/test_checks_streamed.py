"""The default checks' SQLite side gathered while the columnar copy streams (verify/streamed.py)
equals what SQLite's own aggregate query gives over the same rows, on messy data: mixed
storage classes, impossible dates, NULs, infinities, rows rejected and values set NULL."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import isolate_environment

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.verify import aggregates
from sqlite2pg_tui.core.verify.queries import sql_list
from sqlite2pg_tui.core.verify.rejected import converter_rejects
from sqlite2pg_tui.core.verify.streamed import StreamedAggregates

ROWS = 9_000  # several batches


def _messy(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE m(id INTEGER PRIMARY KEY, n INTEGER, soft INTEGER, flag BOOLEAN,
                       at DATETIME, day DATE, label TEXT, x REAL, photo BLOB, doc JSON);
        CREATE TABLE k(code TEXT PRIMARY KEY, v INTEGER);
    """)
    rows: list[tuple[Any, ...]] = [
        (i, i * 3 - 5000, i % 7, i % 2, f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:"
         f"{i % 60:02d}:{i % 59:02d}", f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}", f"é{i}\t😀" * (i % 3),
         i / 7 - 300, bytes([i % 256]) * (i % 5), f'{{"i": {i}}}') for i in range(1, ROWS + 1)]
    odd: dict[int, dict[int, Any]] = {
        10: {1: "42", 3: "yes", 4: "2024-02-30 10:00:00"},  # text int; text boolean; no such day
        11: {2: "seven", 3: " TRUE\t", 5: "2024-13-01"},  # bad date: rejected, with its soft
        2500: {4: "2024-01-05T10:00:00.25Z", 6: "nul\x00here"},  # fraction and offset; NUL
        2501: {3: 2, 7: float("inf"), 8: "text in a blob column"},  # 2 is no boolean
        2502: {3: 1.0, 7: float("-inf"), 1: None, 6: "", 2: "many"},  # soft: set NULL
        4100: {3: b"\x01", 7: "abc", 4: "yesterday"},  # blob flag; text in REAL; not a time
        4101: {4: 2460000.5, 5: "2024-02-29", 2: 2.5},  # a Julian day number; a real in soft
        8999: {1: 2**62, 6: None, 7: 5e-324},
    }
    for i, cols in odd.items():
        row = list(rows[i - 1])
        for j, v in cols.items():
            row[j] = v
        rows[i - 1] = tuple(row)
    conn.executemany("INSERT INTO m VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO k VALUES (?, ?)", [(f"c{i:05d}", i) for i in range(3000)]
                     + [("Ünï", 1), ("zz", None), ("", 0)])
    conn.commit()
    conn.close()
    return path


def _sql_side(src: Path, table: Any, tm: Any, exclude: set[Any]) -> dict[str, tuple[Any, Any, Any]]:
    """SQLite's aggregate query over the rows the checks compare, as aggregates.py runs it."""
    aggs = aggregates.default_aggregates(table, tm)
    where = f" WHERE rowid NOT IN ({sql_list(exclude)})" if exclude else ""
    exprs = [e for a in aggs for e in (a.sqlite, a.scale_sqlite or "NULL", a.guard or "0")]
    conn = open_readonly(src, lossless_text=True)
    try:
        got = conn.execute(f"SELECT {', '.join(exprs)} FROM {qi(table.name)}{where}").fetchone()
    finally:
        conn.close()
    return {a.label: tuple(got[3 * i:3 * i + 3]) for i, a in enumerate(aggs)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-12)  # summed in another order
    return a == b and type(a) is type(b)


def _planned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src: Path) -> Any:
    isolate_environment(monkeypatch, tmp_path)
    ins = inspect(str(src))
    return plan(ins.schema, ins.profiles)


def test_streamed_aggregates_equal_sqlites_query_on_messy_data(
        tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _messy(tmp_path / "m.db")
    mapping = _planned(tmp_path, monkeypatch, src)
    m = mapping.table("m")
    for name, (pg_type, conv) in {"flag": ("boolean", "boolean"), "at": ("timestamp", "timestamp"),
                                  "day": ("date", "date"), "x": ("double precision", "real"),
                                  "photo": ("bytea", "bytea"), "doc": ("jsonb", "json"),
                                  "n": ("bigint", "integer"), "soft": ("bigint", "integer")}.items():
        cm = m.column(name)
        cm.pg_type, cm.converter = pg_type, conv
    m.column("soft").on_error = "null"
    seen: dict[str, tuple[Any, Any, Any, set[Any]]] = {}
    real = aggregates.default_checks_for

    def spy(source: str, sconn: Any, pg: Any, table: Any, tm: Any, schema: str,
            exclude: Any, note: str = "", skip: Any = None, streamed: Any = None) -> Any:
        seen[tm.source] = (table, tm, streamed, set(exclude or ()))
        return real(source, sconn, pg, table, tm, schema, exclude, note, skip, streamed)

    monkeypatch.setattr(aggregates, "default_checks_for", spy)
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert [t.engine for t in report.tables] == ["columnar", "columnar"]
    assert report.table("m").rejected_rows > 0 and report.table("m").nulled_by_column
    assert [c["name"] for c in report.checks if not c["ok"]] == []
    for name in ("m", "k"):
        table, tm, streamed, exclude = seen[name]
        assert streamed is not None and streamed.row() is not None, streamed and streamed.unknown
        # The rows left out are the ones the converters reject, as the checks find them.
        assert exclude == converter_rejects(str(src), table, tm)
        want = _sql_side(src, table, tm, exclude)
        got = streamed.row()
        assert got.keys() == want.keys()
        differ = {k: (got[k], want[k]) for k in want
                  if not all(_same(g, w) for g, w in zip(got[k], want[k], strict=True))}
        assert differ == {}
    # The values the policy set NULL are counted as the converters count them.
    table, tm, streamed, exclude = seen["m"]
    soft = [tm.column("soft")]
    assert streamed.policy_nulls == aggregates._policy_nulls(str(src), table, soft, exclude)
    assert streamed.policy_nulls["soft"] > 0


def test_checks_from_the_stream_read_as_the_checks_from_sqlite(
        tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same verdicts, values and notes, whether SQLite's side was streamed or queried."""
    src = _messy(tmp_path / "m.db")
    mapping = _planned(tmp_path, monkeypatch, src)
    m = mapping.table("m")
    m.column("flag").pg_type, m.column("flag").converter = "boolean", "boolean"
    m.column("soft").pg_type, m.column("soft").converter = "bigint", "integer"
    m.column("soft").on_error = "null"
    streamed = run_migration(str(src), pg_dsn, mapping,
                             options=RunOptions(reject_dir=str(tmp_path / "rj")))
    monkeypatch.setattr(StreamedAggregates, "row", lambda _self: None)  # query SQLite
    queried = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
        reject_dir=str(tmp_path / "rj2"), if_exists="replace"))

    def shown(r: Any) -> list[tuple[Any, ...]]:
        return [(c["name"], c["ok"], c.get("note", ""), c["sqlite_sql"],
                 {k: round(v, 6) if isinstance(v, float) else v
                  for k, v in (c.get("values") or {}).items()}) for c in r.checks]

    assert shown(streamed) == shown(queried)
    assert any("set to NULL" in (c.get("note") or "") for c in streamed.checks)


def test_infinities_that_cancel_out_compare_as_sqlite_and_postgresql_see_them(
        tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # inf + -inf: SQLite's total() is NULL, PostgreSQL's sum() NaN; the streamed side must
    # say the same whichever path (batch or one by one) each infinity took.
    src = tmp_path / "inf.db"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE w(id INTEGER PRIMARY KEY, weight FLOAT NOT NULL, at DATETIME)")
    # The rows holding the infinities also hold a time with microseconds, which the batch
    # form leaves to the converter: those rows are summed by SQLite, one chunk of them.
    conn.executemany("INSERT INTO w VALUES (?, ?, ?)", [
        (i, float("inf") if i == 50 else float("-inf") if i == 150 else i / 4,
         "2024-03-31 13:00:00.000003" if i in (50, 150) else "2024-03-31 13:00:00")
        for i in range(1, 201)])
    conn.commit()
    conn.close()
    report = run_migration(str(src), pg_dsn, _planned(tmp_path, monkeypatch, src),
                           options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.table("w").engine == "columnar"
    assert [c["name"] for c in report.checks if not c["ok"]] == []
    assert any(c["name"] == "w: sum(weight)" for c in report.checks)
