"""What SQLite still has to say after the Arrow scan of a table (profile_columnar), in as
few scans as it takes: whether a column's Arrow type hid other storage classes, which
JSON-looking text json_valid() refuses, and the lengths and collated extremes Arrow cannot
compute the way SQLite does.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.source import profile_sql, profile_vector
from sqlite2pg_tui.core.source.profile import EXAMPLES_KEPT
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.source.schema import Table

if TYPE_CHECKING:
    from sqlite2pg_tui.core.source.profile_columnar import _Column

_CLASSES = ("integer", "real", "text", "blob")


def _json_suspect(c: str) -> str:
    """Rows json_valid() must judge: text starting like JSON that is not JSON (the Arrow
    side knows which of them it left pending)."""
    return (f"substr({c}, 1, 1) IN ('\"', '{{', '[') AND NOT json_valid({c}) "
            f"AND typeof({c}) = 'text'")


def check(conn: sqlite3.Connection, table: Table,
           cols: dict[str, _Column]) -> tuple[list[str], dict[str, int]]:
    """One aggregate query: the columns whose Arrow type hides other storage classes (the
    driver's type is checked against typeof()), and per column with JSON pending how many
    rows json_valid() refuses (0: no second look needed)."""
    parts: list[str] = []
    asks: list[tuple[str, str]] = []
    for n, c in cols.items():
        q = qi(n)
        if c.impure:
            continue
        # int64: the driver fails on anything else; double hides integers as whole values
        # only; a wrapped text column said so itself.
        whole = c.counts.get(12, 0) + c.counts.get(13, 0)
        if c.arrow_class not in ("", "integer") and not c.checked and not (
                c.arrow_class == "real" and not whole):
            parts.append(f"count(CASE typeof({q}) WHEN '{c.arrow_class}' THEN 1 END)")
            asks.append(("class", n))
        if c.counts.get(profile_sql.JSON_PENDING):
            parts.append(f"count(CASE WHEN {_json_suspect(q)} THEN 1 END)")
            asks.append(("json", n))
    mixed = [n for n, c in cols.items() if c.impure]
    if not parts:
        return mixed, {}
    got = conn.execute(f"SELECT {', '.join(parts)} FROM {qi(table.name)}").fetchone()
    invalid = {}
    for (what, n), v in zip(asks, got, strict=True):
        c = cols[n]
        if what == "class" and v != sum(c.storage.values()):
            mixed.append(n)
        elif what == "json":
            invalid[n] = v
    return mixed, {n: v for n, v in invalid.items() if n not in mixed}


def settle_json(conn: sqlite3.Connection, table: Table, cols: dict[str, _Column],
                 invalid_count: dict[str, int]) -> None:
    """JSON_PENDING rows become JSON_ONLY or PLAIN_TEXT by SQLite's json_valid()."""
    for n, col in cols.items():
        pending = col.counts.pop(profile_sql.JSON_PENDING, 0)
        kept = col.firsts.pop(profile_sql.JSON_PENDING, [])
        if not pending:
            continue
        c = qi(n)
        invalid: list[tuple[Any, Any]] = []
        if invalid_count.get(n, 1):
            invalid = _pending(conn.execute(f"SELECT rowid, {c} FROM {qi(table.name)} "
                                            f"WHERE {_json_suspect(c)}").fetchall())
        bad = {r[0] for r in invalid}
        col.counts[profile_sql.PLAIN_TEXT] += len(invalid)
        col.counts[profile_sql.JSON_ONLY] += pending - len(invalid)
        plain = sorted(col.firsts.get(profile_sql.PLAIN_TEXT, []) + invalid[:EXAMPLES_KEPT],
                       key=lambda r: (str(type(r[0])), r[0]))
        if plain:
            col.firsts[profile_sql.PLAIN_TEXT] = plain[:EXAMPLES_KEPT]
        valid = [r for r in kept if r[0] not in bad][:EXAMPLES_KEPT]
        if len(valid) < min(EXAMPLES_KEPT, pending - len(invalid)):
            # Most of the first pending rows were refused: read on to the first valid ones.
            cur = conn.execute(f"SELECT rowid, {c} FROM {qi(table.name)} WHERE "
                               f"typeof({c}) = 'text' AND json_valid({c}) ORDER BY rowid")
            valid = []
            while len(valid) < EXAMPLES_KEPT and (got := cur.fetchmany(256)):
                valid += _pending(got)
            valid = valid[:EXAMPLES_KEPT]
            cur.close()
        # ('null' is JSON_ONLY without json_valid: its rows are there already)
        ordered = sorted(col.firsts.get(profile_sql.JSON_ONLY, []) + valid,
                         key=lambda r: (str(type(r[0])), r[0]))
        col.firsts[profile_sql.JSON_ONLY] = ordered[:EXAMPLES_KEPT]


def _pending(rows: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The rows the Arrow scan left JSON_PENDING: a value's code depends on the value alone,
    so it is computed again here rather than every pending locator kept (memory)."""
    import pyarrow as pa

    ascii_rows = [r for r in rows if isinstance(r[1], str) and r[1].isascii()]
    if not ascii_rows:
        return []
    codes = profile_vector.text_codes(pa.array([r[1] for r in ascii_rows], pa.string()), True)
    return [r for r, k in zip(ascii_rows, codes.to_pylist(), strict=True)
            if k == profile_sql.JSON_PENDING]


def sql_lengths(conn: sqlite3.Connection, table: Table, cols: dict[str, _Column]) -> None:
    """What SQLite must say itself: max(length(c)) where Arrow's count of characters would
    differ (mixed classes, NUL, bad UTF-8), and min/max of text under a column's own
    collation (NOCASE, RTRIM…), which is not byte order."""
    collated = {c.name for c in table.columns
                if c.collation and c.collation.upper() != "BINARY"}
    parts: list[str] = []
    asks: list[tuple[str, str]] = []
    for n, c in cols.items():
        if not c.exact_length or sum(1 for k in _CLASSES if c.storage[k]) > 1:
            parts.append(f"max(length({qi(n)}))")
            asks.append(("length", n))
        if n in collated and c.storage["text"]:
            parts += [f"min({qi(n)})", f"max({qi(n)})"]
            asks += [("min", n), ("max", n)]
    if not parts:
        return
    got = conn.execute(f"SELECT {', '.join(parts)} FROM {qi(table.name)}").fetchone()
    for (what, n), v in zip(asks, got, strict=True):
        col = cols[n]
        if what == "length":
            col.longest = v or 0
        elif what == "min":
            col.lo = (None, v)
        else:
            col.hi = (None, v)
