"""The columnar copy: Arrow record batches from SQLite, converted a column at a time,
written with binary COPY. Python sees only the rows a vectorized form refuses.

Read: ``adbc-driver-sqlite`` runs one SELECT per table in which every column is made
homogeneous by SQL (``CASE typeof(c) WHEN 'text' THEN c END``), so a mixed column never
comes back as strings ('3.500000e+00' for REAL 3.5), plus a NULL flag per column: a value
that is there but of another storage class is "odd" and goes to the per-value path. A
first row of typed constants tells the driver each column's type (it infers types from
the first rows and fails on a later change).

Convert: each (converter, PostgreSQL type) with a vectorized form (``FORMS``) gives the
converted array and a mask of the rows it refuses. Those rows, and the odd ones, are read
again by rowid and go through the converters one by one with their on-error policy
(copy._RowPath), exactly as before; their converted values join the batch.

Write: ``pgpq`` encodes the batches in PostgreSQL's binary COPY format, streamed through
psycopg2's ``copy_expert`` inside the table's transaction.

Anything this path does not cover (a converter without a vectorized form, a WITHOUT ROWID
table, text that is not valid UTF-8, a value PostgreSQL refuses) raises ``Unsupported``
before or during the attempt; the caller rolls back and copies the table with the
per-value engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.values import converters

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_BYTES = 8 << 20  # per record batch, from the table's average row size
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 2_048, 16_384  # a cancel or progress waits for one batch


class Unsupported(Exception):  # noqa: N818 - control flow: use the per-value engine
    pass


Vector = Callable[["pa.Array"], tuple["pa.Array", "pa.Array | None"]]


@dataclass(frozen=True)
class Form:
    storage: str  # the SQLite storage class read: integer | real | text | blob
    arrow: Callable[[], pa.DataType]  # the Arrow type written
    vector: Vector  # (converted values, refused mask or None)
    jsonb: bool = False


def _same(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    return a, None


def _boolean(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.is_in(a, value_set=pa.array([0, 1], pa.int64()))
    return pc.equal(a, 1), pc.and_(pc.invert(ok), pc.is_valid(a))


def _text(max_len: int | None, json: bool = False) -> Vector:
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow.compute as pc

        refuse = pc.match_substring(a, "\x00")
        if json:  # the converter refuses an escaped NUL too (jsonb cannot hold it)
            refuse = pc.or_(refuse, pc.match_substring(a, "\\u0000"))
        if max_len is not None:
            refuse = pc.or_(refuse, pc.greater(pc.utf8_length(a), max_len))
        return a, pc.fill_null(refuse, False)

    return vec


# The ISO shapes read here exactly as converters.parse_iso reads them; anything else
# (fractions, offsets, lower-case t, spaces) is refused and parsed one by one.
_DAY = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"


def _real_day(text: pa.Array, got: pa.Array) -> pa.Array:
    """strptime rolls 2024-02-30 over into March: a real day keeps its day of the month."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.equal(pc.day(got), pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int64()))


def _stamp(unit_tz: str | None, date_only: bool = False) -> Vector:
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa
        import pyarrow.compute as pc

        if date_only:
            shaped = pc.match_substring_regex(a, f"^{_DAY}$")
            text = pc.if_else(shaped, a, None)
            got = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
            good = pc.and_(shaped, _real_day(text, got))
            out = pc.cast(pc.if_else(good, got, None), pa.date32())
        else:
            shaped = pc.match_substring_regex(a, f"^{_DAY}(?:[ T]{_TIME})?$")
            text = pc.if_else(shaped, a, None)
            text = pc.replace_substring(text, "T", " ")
            text = pc.if_else(pc.equal(pc.utf8_length(text), 10),
                              pc.binary_join_element_wise(text, "00:00:00", " "), text)
            got = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
            good = pc.and_(shaped, _real_day(text, got))  # the time's ranges are in the regex
            out = pc.if_else(good, got, None)
            if unit_tz:  # a naive instant taken as UTC, as the converter's default does
                out = out.cast(pa.timestamp("us", tz=unit_tz))
        refuse = pc.and_(pc.is_valid(a), pc.invert(pc.fill_null(good, False)))
        return out, refuse

    return vec


def _length(cm: ColumnMapping) -> int | None:
    """The text converter honours a length option too (varchar's default is 255)."""
    n = cm.options.get("length", 255 if cm.converter == "varchar" else None)
    return int(n) if n is not None else None


def _types() -> Any:
    import pyarrow as pa

    return pa


FORMS: dict[tuple[str, str], Callable[[ColumnMapping], Form | None]] = {
    ("integer", "bigint"): lambda cm: Form("integer", lambda: _types().int64(), _same),
    ("real", "double precision"): lambda cm: Form("real", lambda: _types().float64(), _same),
    ("boolean", "boolean"): lambda cm: Form("integer", lambda: _types().bool_(), _boolean),
    ("text", "text"): lambda cm: Form("text", lambda: _types().string(), _text(_length(cm))),
    ("varchar", "varchar"): lambda cm: Form("text", lambda: _types().string(), _text(_length(cm))),
    ("varchar", "text"): lambda cm: Form("text", lambda: _types().string(), _text(_length(cm))),
    ("json", "jsonb"): lambda cm: Form("text", lambda: _types().string(), _text(None, True),
                                      jsonb=True),
    ("timestamp", "timestamp"): lambda cm: Form("text", lambda: _types().timestamp("us"),
                                                _stamp(None)),
    ("timestamptz", "timestamptz"): lambda cm: (
        Form("text", lambda: _types().timestamp("us", tz="UTC"), _stamp("UTC"))
        if cm.options.get("assume", "UTC") == "UTC" else None),
    ("date", "date"): lambda cm: Form("text", lambda: _types().date32(), _stamp(None, True)),
    ("bytea", "bytea"): lambda cm: Form("blob", lambda: _types().binary(), _same),
}
_WITNESS = {"integer": "0", "real": "0.0", "text": "''", "blob": "x''"}


def form_of(cm: ColumnMapping) -> Form | None:
    """The vectorized form of a column's converter into its PostgreSQL type, if it has one."""
    # (text into varchar(n) has none: the limit is PostgreSQL's, and the text engine finds
    # the row it refuses and says so.)
    make = FORMS.get((cm.converter, converters.base_type(cm.pg_type)))
    return make(cm) if make is not None else None


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
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows_per_batch)})
        cur.execute(query)
        first = True
        for batch in cur.fetch_record_batch():
            if first:
                batch, first = batch.slice(1), False
            if batch.num_rows:
                yield batch
        cur.close()
    except Exception as e:  # the driver's errors carry no stable type
        if isinstance(e, GeneratorExit | Unsupported):
            raise
        raise Unsupported(f"reading with adbc: {e}") from e
    finally:
        conn.close()


def check_utf8(a: pa.Array) -> None:
    """The driver hands invalid UTF-8 over inside string arrays; a full validation finds it."""
    try:
        a.validate(full=True)
    except Exception as e:  # pyarrow.ArrowInvalid
        raise Unsupported(f"text that is not valid UTF-8: {e}") from None
