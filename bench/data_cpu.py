"""Where the data phase's CPU goes: each table of the bench through the copy (TableCopier,
as `run` copies it), with its wall time, this process's CPU (reader thread and all), the
copying thread's own CPU, and the PostgreSQL backend's CPU (read from /proc, so the server
must run on this machine). Wall time on a shared machine jumps; the CPU figures much less.

    python bench/data_cpu.py --pg DSN [--scale 1] [--source-tree DIR] [--repeat 3]

Run bench/bench.py first (it builds the database and its mapping, and the tables this
copies into, in schema "public"); each table is copied into a fresh copy of it, without
indexes, in schema "data_cpu". --source-tree measures another checkout (before/after).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, metavar="DSN")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--source-tree", metavar="DIR", help="import sqlite2pg_tui from DIR")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best of each figure")
    args = ap.parse_args()
    if args.source_tree:
        sys.path.insert(0, args.source_tree)
    from psycopg2 import sql

    from sqlite2pg_tui.core.load.copy import TableCopier
    from sqlite2pg_tui.core.plan.mapping import Mapping
    from sqlite2pg_tui.core.source.reader import open_readonly, read_schema
    from sqlite2pg_tui.core.target.postgres import connect

    src = str(HERE / "out" / f"bench-{args.scale:g}.db")
    mapping = Mapping.load(HERE / "out" / "bench-mapping.toml")
    conn = open_readonly(src)
    try:
        tables = {t.name: t for t in read_schema(conn, src).tables}
    finally:
        conn.close()
    best: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for tm in (t for t in mapping.tables if t.include):
            pg = connect(args.pg)
            with pg.cursor() as cur:
                cur.execute("CREATE SCHEMA IF NOT EXISTS data_cpu")
                into = sql.Identifier("data_cpu", tm.target)
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(into))
                cur.execute(sql.SQL("CREATE TABLE {} (LIKE {})").format(
                    into, sql.Identifier("public", tm.target)))
                cur.execute("SELECT pg_backend_pid()")
                backend = cur.fetchone()[0]
            pg.commit()
            own, thread, server = _own_cpu(), time.thread_time(), _backend_cpu(backend)
            start = time.perf_counter()
            res = TableCopier(src, tables[tm.source], tm, pg, "data_cpu", None,
                              lambda _e: None, None).run()
            row = [time.perf_counter() - start, _own_cpu() - own, time.thread_time() - thread,
                   _backend_cpu(backend) - server]
            pg.close()
            if res.error or not res.committed:
                raise SystemExit(f"{tm.source}: {res.error or 'not committed'}")
            best[tm.source] = [min(a, b) for a, b in zip(best.get(tm.source, row), row,
                                                         strict=True)]
    print(f"{'table':10} {'wall s':>7} {'ours s':>7} {'copying':>8} {'server':>7}")
    for name, (wall, own, thread, server) in best.items():
        print(f"{name:10} {wall:7.2f} {own:7.2f} {thread:8.2f} {server:7.2f}")
    total = [sum(col) for col in zip(*best.values(), strict=True)]
    print(f"{'total':10} {total[0]:7.2f} {total[1]:7.2f} {total[2]:8.2f} {total[3]:7.2f}")


if __name__ == "__main__":
    main()
