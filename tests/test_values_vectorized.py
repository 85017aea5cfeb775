"""Every converter's vectorized form writes exactly what its per-value form writes: one
table holding clean and dirty values for each converter is copied by the columnar engine
and again by the per-value engine, and PostgreSQL's contents, the reject lines and the
counts (rejected, NULLed, altered) are compared."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_all

from sqlite2pg_tui.core.load.rejects import reject_file
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.values import columnar, converters
from sqlite2pg_tui.core.values.pgtype import PgType

# Per converter: its column's type, its options, and values (clean first, then dirty ones,
# then values of another storage class, which the columnar reader hands to the converter).
CASES: dict[str, tuple[str, dict[str, Any], list[Any]]] = {
    "integer": ("integer", {}, [1, -(2**31), 2**31 - 1, 2**31, "12", 3.0, 2.5]),
    "numeric": ("numeric", {}, [1.1, 0.1, -2.5e-7, 1e20, 1.0, -0.0, 7, "12.50", "x", float("inf")]),
    "numeric_loose": ("numeric(12,2)", {}, ["$1,234.50", "(3.10)", "12", "abc", "1.234", 5]),
    "epoch": ("timestamptz", {"unit": "ms"}, [0, 1_700_000_000_123, -1, 10**17, "5", 1.5]),
    "julian": ("timestamp", {}, [2460000.5, 2440587.5, 2451545.123456789, 1e12, -1e9, 2460000, "x"]),
    "date_dmy": ("timestamp", {}, ["31/01/2024", "1.2.2024 10:30", "30/02/2024", "x", 5]),
    "date_mdy": ("timestamp", {}, ["01/31/2024", "12-25-2023 23:59:59", "13/01/2024"]),
    "uuid": ("uuid", {}, ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", " 123e4567-e89b-12d3-a456-426614174000 ",
                          "nope", bytes(range(16))]),
    "text_clean": ("text", {}, ["plain", "nul\x00in", b"bad \xff utf8", "tab\there", ""]),
    "text": ("text", {}, ["plain", "nul\x00in", "", "\\back", 12, b"bad \xfe"]),
    "interval": ("interval", {}, [1_500_000, -1, 86_400_000_000 + 5, 2**63 - 1, -(2**63), "1970-01-02 01:00:00", 2.0]),
    "time": ("time", {}, ["08:30", "23:59:59.123456", "24:00:01", "08:30+02:00", 5]),
    "timetz": ("timetz", {}, ["08:30:00+02:00", "08:30", "23:00:00-05:30", "x"]),
    "inet": ("inet", {}, ["10.0.0.1", "10.0.0.1/8", "::1", "2001:db8::1/64", "fe80::1%eth0", "x"]),
    "cidr": ("cidr", {}, ["10.0.0.0/8", "2001:db8::/32", "10.0.0.1/8", "x"]),
    "boolean": ("boolean", {}, [0, 1, 2, "yes", "F"]),
    "date": ("date", {}, ["2024-01-31", "2024-02-30", "2024-01-31 10:00:00", "x"]),
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def test_every_converter_has_a_vectorized_form_into_its_own_type() -> None:
    from sqlite2pg_tui.core.plan.mapping import ColumnMapping

    for name, conv in converters.REGISTRY.items():
        pg_type = conv.pg_type(conv.options) if conv.pg_type else conv.target
        cm = ColumnMapping("a", "a", "", pg_type, name, converters.type_options(name, pg_type))
        assert columnar.form_of(cm) is not None, name


def _source(path: Path) -> Path:
    conn = sqlite3.connect(path)
    names = list(CASES)
    conn.execute(f"CREATE TABLE v(id INTEGER PRIMARY KEY, {', '.join(f'c_{n}' for n in names)})")
    longest = max(len(v) for _, _, v in CASES.values())
    rows = []
    for i in range(longest * 3):  # each value in a few rows, NULLs between
        row = [i + 1]
        for n in names:
            vals = CASES[n][2]
            row.append(vals[i % len(vals)] if i % 4 != 3 else None)
        rows.append(row)
    conn.executemany(f"INSERT INTO v VALUES ({', '.join('?' * (len(names) + 1))})", rows)
    for n in ("text", "text_clean"):  # TEXT that is not valid UTF-8, as SQLite lets it be
        conn.execute(f"UPDATE v SET c_{n} = CAST(c_{n} AS TEXT) WHERE typeof(c_{n}) = 'blob'")
    conn.commit()
    conn.close()
    return path


def _contents(pg_conn: psycopg2.extensions.connection) -> list[tuple[Any, ...]]:
    cols = ", ".join(f"c_{n}::text" for n in CASES)
    return pg_all(pg_conn, f"SELECT id, {cols} FROM v ORDER BY id")


def _run(src: Path, pg_dsn: str, rj: Path) -> Any:
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)
    for n, (pg_type, options, _values) in CASES.items():
        cm = mapping.tables[0].column(f"c_{n}")
        cm.pg_type, cm.converter = pg_type, n
        cm.options = {**options, **converters.type_options(n, pg_type)}
        cm.on_error = "reject"
    report = run_migration(str(src), pg_dsn, mapping, options=RunOptions(reject_dir=str(rj), if_exists="replace"))
    return report.table("v")


def test_the_columnar_engine_writes_what_the_per_value_engine_writes(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    src = _source(tmp_path / "v.db")
    fast = _run(src, pg_dsn, tmp_path / "rj1")
    assert fast.engine == "columnar"
    fast_rows = _contents(pg_conn)
    fast_rejects = sorted(reject_file(tmp_path / "rj1", "v").read_text().splitlines())
    monkeypatch.setattr(columnar, "available", lambda: False)
    slow = _run(src, pg_dsn, tmp_path / "rj2")
    assert slow.engine == "per value"
    assert _contents(pg_conn) == fast_rows
    assert sorted(reject_file(tmp_path / "rj2", "v").read_text().splitlines()) == fast_rejects
    assert (fast.copied_rows, fast.rejected_rows) == (slow.copied_rows, slow.rejected_rows)
    assert fast.altered_by_column == slow.altered_by_column
    assert fast.rejected_rows > 0 and fast.altered_by_column  # the dirty values were there
    # each converter's clean values arrived (not all rows rejected)
    assert fast.copied_rows > 0
    assert {json.loads(x)["column"] for x in fast_rejects} >= {"c_integer", "c_uuid", "c_inet"}


def test_pg_type_parses_once() -> None:
    t = PgType.of("timestamp(3) with time zone")
    assert (t.name, t.args) == ("timestamptz", (3,))
    assert PgType.of("numeric(10,2)").scale == 2 and PgType.of("numeric(10)").scale == 0
    assert PgType.of("character varying(20)").length == 20
    assert PgType.of("int[]").array and not PgType.of("int[]").is_integer


def _agree(name: str, values: list[Any], options: dict[str, Any] | None = None,
           pg_type: str | None = None) -> int:
    """Every value a form accepts is what the converter returns for it (Arrow's view of
    it); returns how many it accepted, so a form that refuses everything is seen."""
    from sqlite2pg_tui.core.plan.mapping import ColumnMapping

    conv = converters.get(name)
    cm = ColumnMapping("a", "a", "", pg_type or conv.target, name, options or {})
    form = columnar.form_of(cm)
    assert form is not None
    import pyarrow as pa

    storage = {"text": pa.string(), "integer": pa.int64(), "real": pa.float64()}[form.storage]
    out, refused = form.vector(pa.array(values, storage))
    fn = conv.build(options)
    expected = form.to_arrow([None if v is None else fn(v) for v, r in
                              zip(values, refused.to_pylist(), strict=True) if not r])
    kept = out.filter(pa.array([not r for r in refused.to_pylist()]))
    assert kept.to_pylist() == expected.to_pylist()
    return sum(1 for v, r in zip(values, refused.to_pylist(), strict=True) if v is not None and not r)


def test_compute_forms_agree_with_their_converters_value_by_value() -> None:
    import random
    import uuid

    rng = random.Random(7)

    def dmy() -> str:
        s = (f"{rng.randint(0, 33):0{rng.choice([1, 2])}d}{rng.choice('/.-')}"
             f"{rng.randint(0, 14):0{rng.choice([1, 2])}d}{rng.choice('/.-')}"
             f"{rng.choice([0, 1, 999, 2024, 9999]):04d}")
        if rng.random() < 0.5:
            s += f"{rng.choice(' T')}{rng.randint(0, 25)}:{rng.randint(0, 61):02d}"
            s += f":{rng.randint(0, 61):02d}" if rng.random() < 0.5 else ""
        return s

    def clock() -> str:
        s = f"{rng.randint(0, 25):0{rng.choice([1, 2])}d}:{rng.randint(0, 61):02d}"
        s += f":{rng.randint(0, 61):02d}" if rng.random() < 0.6 else ""
        return s + (f".{rng.randint(0, 10 ** rng.randint(1, 9))}" if rng.random() < 0.4 else "")

    dates = [dmy() for _ in range(2000)] + [None, "29/02/2023", "29/02/2024", "31/04/2024"]
    assert _agree("date_dmy", dates) > 500
    assert _agree("date_mdy", dates) > 300
    assert _agree("time", [clock() for _ in range(2000)] + [None, "08:30+02:00"]) > 500
    uuids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
    assert _agree("uuid", uuids + [u.upper() for u in uuids[:20]] + [None, "x", uuids[0][:-1]]) == 220
    seconds = [rng.randint(-(2**40), 2**40) for _ in range(500)] + [2**62, -(2**62), None]
    assert _agree("epoch", seconds, {"unit": "ms"}) > 400
    days = [rng.uniform(1_000_000, 4_000_000) for _ in range(1000)] + [1e300, -1e300, None]
    assert _agree("julian", days) > 700  # before year 1 (day 1721425.5) is refused: 24 %
    ints = [rng.randint(-(2**33), 2**33) for _ in range(500)] + [None]
    assert 0 < _agree("integer", ints, converters.type_options("integer", "integer"), "integer") < 500


def test_iso_stamp_forms_agree_with_their_converters_in_clean_and_impossible_batches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A batch whose values 10 or 19 bytes long all parse goes through Arrow's cast; one
    # holding 2024-02-30 fails that cast and is parsed by strptime with the day checked.
    import random

    from sqlite2pg_tui.core.values import vectors

    slow: list[int] = []
    checked = vectors._stamp_checked
    monkeypatch.setattr(vectors, "_stamp_checked", lambda *a: slow.append(1) or checked(*a))
    rng = random.Random(11)

    def iso() -> str:
        s = f"{rng.choice([1, 999, 1970, 2024, 2023, 9999]):04d}-{rng.randint(1, 12):02d}-" \
            f"{rng.randint(1, 28):02d}"
        if rng.random() < 0.7:
            s += f"{rng.choice(' T')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" \
                 f":{rng.randint(0, 59):02d}"
        if rng.random() < 0.1:  # other lengths: refused before the cast
            s = rng.choice([s + ".5", s + "Z", s + "+02:00", " " + s, s[:-1]])
        return s

    # The year 0000 parses in Arrow, not in Python: refused without failing the batch.
    clean = [iso() for _ in range(3000)] + [None, "2024-02-29", "2024-02-29 23:59:59",
                                            "0000-06-15", "0000-06-15 10:00:00"]
    # Each of these 10 or 19 bytes long fails the cast and sends its batch the slow way.
    impossible = clean + ["2024-02-30", "2023-02-29 10:00:00", "2024-04-31T00:00:00",
                          "2024-01-01t10:00:00", "2024/01/01", "2024-01-01T10+02:00",
                          "2024-01-01 10:00+02", "2024-01-01 24:00:00", "x" * 19, "+024-01-01"]
    for values, fallbacks in ((clean, 0), (impossible, 3)):
        slow.clear()
        for pg_type in ("timestamp", "timestamptz"):
            assert _agree("timestamp" if pg_type == "timestamp" else "timestamptz", values,
                          pg_type=pg_type) > 2000
        dates = [v.strip()[:10] if v and rng.random() < 0.8 else v for v in values]
        assert _agree("date", dates) > 1500
        assert len(slow) == fallbacks  # each of the three forms took the path meant
