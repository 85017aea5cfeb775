"""The columnar copy: Arrow record batches from SQLite, converted a column at a time,
written with binary COPY. Python sees only the rows a vectorized form refuses.

Read: ``adbc-driver-sqlite`` runs one SELECT per table in which every column is made
homogeneous by SQL (``CASE typeof(c) WHEN 'text' THEN c END``), so a mixed column never
comes back as strings ('3.500000e+00' for REAL 3.5), plus a NULL flag per column: a value
that is there but of another storage class is "odd" and goes to the per-value path. A
first row of typed constants tells the driver each column's type (it infers types from
the first rows and fails on a later change).

Convert: each converter's vectorized form (its ``vector`` capability, see vectors.py)
gives the converted array and a mask of the rows it refuses; text that is not valid
UTF-8 is refused too. Those rows, and the odd ones, are read
again by rowid and go through the converters one by one with their on-error policy
(copy._RowPath), exactly as before; their converted values join the batch.

Write: ``pgpq`` encodes the batches in PostgreSQL's binary COPY format, streamed through
psycopg2's ``copy_expert`` inside the table's transaction.

Anything this path does not cover (a converter into a type other than its own, a WITHOUT
ROWID table, a value PostgreSQL refuses) raises ``Unsupported`` before or during the
attempt; the caller rolls back and copies the table with the per-value engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.pgtype import PgType
from sqlite2pg_tui.core.values.vectors import Form

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_BYTES = 8 << 20  # per record batch, from the table's average row size
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 2_048, 16_384  # a cancel or progress waits for one batch


class Unsupported(Exception):  # noqa: N818 - control flow: use the per-value engine
    pass


def form_of(cm: ColumnMapping) -> Form | None:
    """The vectorized form of a column's converter into its PostgreSQL type, if it has one.
    A text form also refuses the rows whose text is not valid UTF-8 (see valid_utf8)."""
    conv = converters.REGISTRY.get(cm.converter)
    if conv is None or conv.vector is None:
        return None
    form = conv.vector({**conv.options, **cm.options}, PgType.of(cm.pg_type))
    if form is None or form.storage != "text":
        return form
    inner = form.vector

    def checked(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow.compute as pc

        bad = invalid_utf8(a)
        if bad is None:
            return inner(a)
        out, refuse = inner(pc.if_else(bad, None, a))
        return out, bad if refuse is None else pc.or_(refuse, bad)

    return replace(form, vector=checked)


_WITNESS = {"integer": "0", "real": "0.0", "text": "''", "blob": "x''"}


def available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
        import pgpq  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def select_sql(table: str, columns: list[ColumnMapping], forms: list[Form]) -> str:
    """The homogeneous SELECT, after one row of typed constants (see the module doc)."""
    witness = ["0"] + [_WITNESS[f.storage] for f in forms] + ["0"] * len(forms)
    parts = ["rowid"]
    for cm, f in zip(columns, forms, strict=True):
        c = qi(cm.source)
        parts.append(f"CASE typeof({c}) WHEN '{f.storage}' THEN {c} END")
    parts += [f"{qi(cm.source)} IS NOT NULL" for cm in columns]
    return (f"SELECT {', '.join(witness)} UNION ALL "
            f"SELECT {', '.join(parts)} FROM {qi(table)}")


def batch_rows(columns: int) -> int:
    """Rows per batch for about BATCH_BYTES of Arrow data (values, offsets, flags)."""
    per_row = 16 + 40 * columns
    return max(MIN_BATCH_ROWS, min(MAX_BATCH_ROWS, BATCH_BYTES // per_row))


def read_batches(path: str, query: str, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
    """Record batches of ``query`` from a read-only connection, witness row dropped."""
    import adbc_driver_sqlite.dbapi as adbc

    from sqlite2pg_tui.core.source.reader import readonly_uri

    conn = adbc.connect(readonly_uri(path))
    try:
        cur = conn.cursor()
        try:
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows_per_batch)})
            cur.execute(query)
            first = True
            for batch in cur.fetch_record_batch():
                if first:
                    batch, first = batch.slice(1), False
                if batch.num_rows:
                    yield batch
        finally:  # also when the reader stops early: the connection won't close over it
            cur.close()
    except Exception as e:  # the driver's errors carry no stable type
        if isinstance(e, GeneratorExit | Unsupported):
            raise
        raise Unsupported(f"reading with adbc: {e}") from e
    finally:
        conn.close()


def invalid_utf8(a: pa.Array) -> pa.Array | None:
    """The rows of a string array holding invalid UTF-8 (the driver hands such text over
    without complaint), or None when there are none: one full validation per batch, and a
    look at each value only in a batch that fails it."""
    try:
        a.validate(full=True)
        return None
    except Exception:  # pyarrow.ArrowInvalid
        pass
    import pyarrow as pa

    bad = []
    for b in a.cast(pa.binary()).to_pylist():
        try:
            if b is not None:
                b.decode("utf-8")
            bad.append(False)
        except UnicodeDecodeError:
            bad.append(True)
    return pa.array(bad, pa.bool_())
