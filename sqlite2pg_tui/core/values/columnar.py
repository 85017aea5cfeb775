"""The columnar copy: Arrow record batches from SQLite, converted a column at a time,
written with binary COPY. Python sees only the rows a vectorized form refuses.

Read: ``adbc-driver-sqlite`` runs one SELECT per table in which every column is made
homogeneous by SQL (``CASE typeof(c) WHEN 'text' THEN c END``), so a mixed column never
comes back as strings ('3.500000e+00' for REAL 3.5); a value that is there but of another
storage class reads as NULL, is "odd" and goes to the per-value path (:class:`Select` says
how a real NULL is told apart). A first row of typed constants tells the driver each
column's type (it infers types from the first rows and fails on a later change).
A run that planned from the profile takes the batches the profile read instead, where it
kept them (source/spool.py): there another class shows as a marker, odd in the same way.

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
from dataclasses import dataclass, replace
from functools import reduce
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.pgtype import PgType
from sqlite2pg_tui.core.values.vectors import Form

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_BYTES = 8 << 20  # per record batch, from the table's average row size
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 2_048, 16_384  # a cancel or progress waits for one batch


class Unsupported(Exception):  # noqa: N818 - control flow: use the per-value engine
    pass


class Mixed(Unsupported):
    """An integer column read as it is (see :class:`Select`) holds a value of another
    storage class after all: the table is read again with every column made homogeneous."""


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
        import adbc_driver_sqlite  # noqa: F401
        import pgpq  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Select:
    """The homogeneous SELECT of one table and where its batches hold what.

    A value of another storage class comes back as NULL (the CASE) and is told apart from a
    real NULL as cheaply as the schema allows: a NOT NULL column has no real NULLs, so every
    NULL read there is odd (a NULL there after all, in a file whose schema was edited, only
    goes the exact per-value way); for the nullable columns one more integer counts their
    real NULLs, and a row is odd when more of them read NULL. Each extra column is a value
    per row that the reader appends, so one count instead of a flag per column saves reading
    time. The INTEGER PRIMARY KEY, always an integer, is read as it is and is the rowid.

    With ``trust``, the other integer columns are read as they are too, without the CASE:
    the driver types a column from its first batch (int64 only when every value there is an
    integer, :meth:`check`) and fails on a value of another class in a later batch
    (:func:`read_batches` raises :class:`Mixed`), so such a column either reads as exact
    int64 or the table is read again without ``trust``. Not so a REAL column (the driver
    turns an integer into a double without a word), nor text or blob ones (they take any
    class): those keep the CASE."""

    sql: str
    rowid: int  # the batch column holding each row's rowid
    values: list[int]  # the batch column holding each mapped column's value
    strict: list[int]  # the mapped columns (NOT NULL, with the CASE) where a NULL is odd
    nullable: list[int]  # the mapped columns whose real NULLs ``nulls`` counts
    nulls: int | None  # the batch column counting them, if any
    trusted: list[int]  # the mapped integer columns read as they are: a NULL is a NULL

    def check(self, batch: pa.RecordBatch) -> None:
        """Raise Mixed when the driver typed a trusted column as other than int64 (its first
        batch held another storage class beside the integers)."""
        import pyarrow as pa

        for j in self.trusted:
            if batch.column(self.values[j]).type != pa.int64():
                raise Mixed(f"column {j} holds values of several storage classes")

    def odd(self, batch: pa.RecordBatch) -> pa.Array | None:
        """The rows holding a value of another storage class (None: no row does)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        mask = None
        for j in self.strict:
            raw = batch.column(self.values[j])
            if raw.null_count:
                mask = pc.is_null(raw) if mask is None else pc.or_(mask, pc.is_null(raw))
        if self.nulls is not None:
            # Per row, NULLs read >= real NULLs; equal totals mean no row has an odd one.
            read = sum(batch.column(self.values[j]).null_count for j in self.nullable)
            real = batch.column(self.nulls)
            if read != (pc.sum(real).as_py() or 0):
                counted = reduce(pc.add, (pc.cast(pc.is_null(batch.column(self.values[j])),
                                                  pa.int64()) for j in self.nullable))
                more = pc.greater(counted, real)
                mask = more if mask is None else pc.or_(mask, more)
        return mask


def select_sql(table: Table, columns: list[ColumnMapping], forms: list[Form],
               trust: bool = True) -> Select:
    """The homogeneous SELECT, after one row of typed constants (see the module doc)."""
    alias = next((j for j, (cm, f) in enumerate(zip(columns, forms, strict=True))
                  if cm.source == table.rowid_alias and f.storage == "integer"), None)
    witness: list[str] = [] if alias is not None else ["0"]
    parts: list[str] = [] if alias is not None else ["rowid"]
    strict: list[int] = []
    nullable: list[int] = []
    nulls: list[str] = []
    trusted: list[int] = []
    for j, (cm, f) in enumerate(zip(columns, forms, strict=True)):
        c = qi(cm.source)
        witness.append(_WITNESS[f.storage])
        if j == alias:
            parts.append(c)
            continue
        if trust and f.storage == "integer":
            parts.append(c)
            trusted.append(j)
            continue
        parts.append(f"CASE typeof({c}) WHEN '{f.storage}' THEN {c} END")
        if _not_null(table, cm.source):
            strict.append(j)
        else:
            nullable.append(j)
            nulls.append(f"({c} IS NULL)")
    first = 0 if alias is not None else 1
    values = [first + j for j in range(len(columns))]
    count = None
    if nulls:
        witness.append("0")
        parts.append(" + ".join(nulls))
        count = first + len(columns)
    sql = (f"SELECT {', '.join(witness)} UNION ALL "
           f"SELECT {', '.join(parts)} FROM {qi(table.name)}")
    return Select(sql, alias if alias is not None else 0, values, strict, nullable, count,
                  trusted)


def _not_null(table: Table, name: str) -> bool:
    try:
        return table.column(name).notnull
    except KeyError:
        return False


def batch_rows(columns: int) -> int:
    """Rows per batch for about BATCH_BYTES of Arrow data (values, offsets, flags)."""
    per_row = 16 + 40 * columns
    return max(MIN_BATCH_ROWS, min(MAX_BATCH_ROWS, BATCH_BYTES // per_row))


def read_batches(path: str, query: str, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
    """Record batches of ``query`` from a read-only connection, witness row dropped."""
    from sqlite2pg_tui.core.source.arrow_query import arrow_query

    try:
        with arrow_query(path, query, rows_per_batch) as reader:
            first = True
            for batch in reader:
                if first:
                    batch, first = batch.slice(1), False
                if batch.num_rows:
                    yield batch
    except Exception as e:  # the driver's errors carry no stable type
        if isinstance(e, GeneratorExit | Unsupported):
            raise
        if "Type mismatch" in str(e):  # a later batch of a column read as it is (Select)
            raise Mixed(f"reading with adbc: {e}") from e
        raise Unsupported(f"reading with adbc: {e}") from e


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
