"""Which binary COPY writer: pgpq through psycopg2's copy_expert (what the product uses) or
adbc-driver-postgresql's bulk ingest, on the same Arrow batches of the bench's largest table.

    python bench/writers.py --pg DSN [--scale 1] [--table events]

Run bench/bench.py first (it builds the database and migrates it into schema "ours", whose
column types both writers load into). adbc-driver-postgresql is not a dependency of the
product; without it this says so and times pgpq alone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema
from sqlite2pg_tui.core.values import columnar

HERE = Path(__file__).resolve().parent


def converted(src: Path, mapping: Mapping, table: str) -> list:
    """The table's batches as the columnar copy converts them (clean rows only)."""
    import pyarrow as pa

    tm = next(t for t in mapping.tables if t.source == table)
    forms = [columnar.form_of(cm) for cm in tm.columns]
    if any(f is None for f in forms):
        raise SystemExit(f"{table} has a column without a vectorized form")
    schema = pa.schema([pa.field(cm.target, f.arrow()) for cm, f in zip(tm.columns, forms, strict=True)])
    out = []
    conn = open_readonly(src)
    try:
        schema_table = next(t for t in read_schema(conn, str(src)).tables if t.name == table)
    finally:
        conn.close()
    select = columnar.select_sql(schema_table, tm.columns, forms)
    for batch in columnar.read_batches(str(src), select.sql, columnar.batch_rows(len(forms))):
        cols = [f.vector(batch.column(at))[0] for at, f in zip(select.values, forms, strict=True)]
        out.append(pa.RecordBatch.from_arrays(cols, schema=schema))
    return out


def fresh(dsn: str, name: str, like: str) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE TABLE {} (LIKE ours.{})").format(
            sql.Identifier(name), sql.Identifier(like)))
    conn.close()


def with_pgpq(dsn: str, name: str, batches: list, jsonb: set[str]) -> float:
    import pgpq
    import pgpq.encoders as enc
    import pgpq.schema as pgs

    schema = batches[0].schema
    encoder = pgpq.ArrowToPostgresBinaryEncoder.new_with_encoders(schema, {
        f.name: (enc.StringEncoderBuilder.new_with_output(f, pgs.Jsonb()) if f.name in jsonb
                 else pgpq.ArrowToPostgresBinaryEncoder.infer_encoder(f)) for f in schema})

    def chunks():
        yield encoder.write_header()
        for b in batches:
            yield encoder.write_batch(b)
        yield encoder.finish()

    class Stream:
        def __init__(self) -> None:
            self.it = chunks()

        def read(self, _n: int = -1) -> bytes:
            # pgpq buffers: some write_batch calls return b"", which would end the COPY
            return next((c for c in self.it if c), b"")

    conn = psycopg2.connect(dsn)
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.copy_expert(sql.SQL("COPY {} FROM STDIN WITH (FORMAT binary)").format(
            sql.Identifier(name)), Stream(), size=1 << 20)
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def with_adbc(dsn: str, name: str, batches: list) -> float | str:
    try:
        import adbc_driver_postgresql.dbapi as pgadbc
    except ImportError:
        return "adbc-driver-postgresql not installed"
    import pyarrow as pa

    conn = pgadbc.connect(dsn)
    start = time.perf_counter()
    try:
        with conn.cursor() as cur:
            cur.adbc_ingest(name, pa.RecordBatchReader.from_batches(batches[0].schema, batches),
                            mode="append")
        conn.commit()
    except Exception as e:  # the driver's errors carry no stable type
        return f"failed: {str(e).splitlines()[0][:120]}"
    finally:
        conn.close()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, metavar="DSN")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--table", default="orders")
    args = ap.parse_args()
    src = HERE / "out" / f"bench-{args.scale:g}.db"
    mapping = Mapping.load(HERE / "out" / "bench-mapping.toml")
    batches = converted(src, mapping, args.table)
    rows = sum(b.num_rows for b in batches)
    tm = next(t for t in mapping.tables if t.source == args.table)
    jsonb = {c.target for c in tm.columns if c.pg_type == "jsonb"}
    print(f"{args.table}: {rows:,} rows in {len(batches)} batches")
    fresh(args.pg, "w_pgpq", tm.target)
    secs = with_pgpq(args.pg, "w_pgpq", batches, jsonb)
    print(f"pgpq + psycopg2 copy_expert   {secs:6.2f}s  {rows / secs:>10,.0f} rows/s")
    fresh(args.pg, "w_adbc", tm.target)
    got = with_adbc(args.pg, "w_adbc", batches)
    if isinstance(got, str):
        print(f"adbc-driver-postgresql        {got}")
    else:
        print(f"adbc-driver-postgresql        {got:6.2f}s  {rows / got:>10,.0f} rows/s")


if __name__ == "__main__":
    main()
