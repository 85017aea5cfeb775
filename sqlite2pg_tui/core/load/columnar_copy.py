"""One table through the columnar path (see columnar.py), in the copier's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.events import RowsCopied
from sqlite2pg_tui.core.load.prefetch import prefetched
from sqlite2pg_tui.core.source import spool
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.target.postgres import qualified
from sqlite2pg_tui.core.values import columnar
from sqlite2pg_tui.core.values.columnar import Unsupported
from sqlite2pg_tui.core.verify.streamed import StreamedAggregates

if TYPE_CHECKING:
    import pyarrow as pa

    from sqlite2pg_tui.core.load.copy import TableCopier

_REFETCH_CHUNK = 500  # rowids per IN (…) when refused rows are read again


class _BytesStream:
    """What psycopg2's copy_expert reads: one encoded batch per read() call."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        # psycopg2 turns an exception raised here into its own error: kept to be told apart.
        self.error: BaseException | None = None

    def read(self, _size: int = -1) -> bytes:
        # b"" means the end to psycopg2, so an empty chunk (a batch of no rows) is skipped.
        try:
            for chunk in self._chunks:
                if chunk:
                    return chunk
        except BaseException as e:
            self.error = e
            raise
        return b""

    readline = read


def copy_columnar(c: TableCopier) -> None:
    """Copy ``c``'s table in one transaction; Unsupported (rolled back) when it can't. The
    profile's batches are read instead of SQLite when they were kept for it (spool.py)."""
    forms = [columnar.form_of(cm) for cm in c.cols]
    if (not c.cols or c.staged_fks or c.table.without_rowid or any(f is None for f in forms)
            or not columnar.available()):
        raise Unsupported("no vectorized form for every column")
    ready = [f for f in forms if f is not None]
    spooled = c.spool.take(c.table.name) if c.spool is not None and c.rowids is None else None
    if spooled is not None:
        try:
            if spool.usable(spooled, _read_as(c, ready)):
                _attempt(c, ready, trust=True, spooled=spooled)
                c.result.read_once = True
                return
        finally:
            spooled.path.unlink(missing_ok=True)
    try:
        _attempt(c, ready, trust=True)
    except columnar.Mixed:  # an integer column read as it is was not: read it all again
        _attempt(c, ready, trust=False)


def _attempt(c: TableCopier, ready: list[columnar.Form], trust: bool,
             spooled: spool.SpooledTable | None = None) -> None:
    target = qualified(c.schema, c.tm.target)
    cols = sql.SQL(", ").join(sql.Identifier(cm.target) for cm in c.cols)
    freeze = c.truncate
    stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT binary{})").format(
        target, cols, sql.SQL(", FREEZE") if freeze else sql.SQL(""))
    c._reset_counts()
    streamed = StreamedAggregates(c.table, c.tm, [f.storage for f in ready])
    stream = _BytesStream(_encoded(c, ready, streamed, trust, spooled))
    try:
        with c.pg.cursor() as cur:
            if c.truncate:
                cur.execute(sql.SQL("TRUNCATE {}").format(target))
            cur.copy_expert(stmt, stream, size=1 << 20)
        if c.cancel.is_set():
            raise Cancelled(f"cancelled while copying {c.table.name}")
        if c.before_commit is not None:
            c.before_commit()
        c.pg.commit()
        c.result.committed = True
        c.result.streamed = streamed
    except (Cancelled, Unsupported):
        c.pg.rollback()
        raise
    except psycopg2.Error as e:
        c.pg.rollback()
        if c.cancel.is_set():
            raise Cancelled(f"cancelled while copying {c.table.name}") from None
        if isinstance(stream.error, columnar.Mixed):
            raise stream.error from None
        # A value PostgreSQL refuses: the per-value engine finds the row and says why.
        raise Unsupported(f"PostgreSQL refused the binary COPY: {e}") from None


def _read_as(c: TableCopier, forms: list[columnar.Form]) -> list[tuple[str, str]]:
    """Each copied column's source name and the storage class its converter reads."""
    return [(cm.source, f.storage) for cm, f in zip(c.cols, forms, strict=True)]


def _from_sqlite(c: TableCopier, forms: list[columnar.Form], trust: bool
                 ) -> Iterator[tuple[pa.Array, list[pa.Array], pa.Array | None]]:
    """Per batch read from SQLite: the rowids, each column's values as the copy reads them
    (columnar.Select), and the rows holding a value of another storage class (or None)."""
    select = columnar.select_sql(c.table, c.cols, forms, trust)
    query = select.sql
    if c.rowids is not None:  # one range of the table (ranges.py): the SELECT after the witness
        tail = f" FROM {qi(c.table.name)}"
        if not query.endswith(tail):
            raise Unsupported("the columnar SELECT has no range form")
        query += f" WHERE rowid >= {int(c.rowids[0])} AND rowid < {int(c.rowids[1])}"
    per_batch = columnar.batch_rows(len(forms))
    for batch in prefetched(columnar.read_batches(c.source_path, query, per_batch)):
        select.check(batch)
        # there, but of another storage class: the converter decides, one by one
        yield (batch.column(select.rowid), [batch.column(at) for at in select.values],
               select.odd(batch))


def _encoded(c: TableCopier, forms: list[columnar.Form], streamed: StreamedAggregates,
             trust: bool, spooled: spool.SpooledTable | None) -> Iterator[bytes]:
    import pgpq
    import pgpq.encoders as enc
    import pgpq.schema as pgs
    import pyarrow as pa
    import pyarrow.compute as pc

    from sqlite2pg_tui.core.load.copy import _RowPath

    fields = [pa.field(cm.target, f.arrow()) for cm, f in zip(c.cols, forms, strict=True)]
    schema = pa.schema(fields)
    encoders = {fl.name: (enc.StringEncoderBuilder.new_with_output(fl, pgs.Jsonb()) if f.jsonb
                          else pgpq.ArrowToPostgresBinaryEncoder.infer_encoder(fl))
                for fl, f in zip(fields, forms, strict=True)}
    encoder = pgpq.ArrowToPostgresBinaryEncoder.new_with_encoders(schema, encoders)
    row_path = _RowPath(c)
    batches = (spool.batches(spooled, _read_as(c, forms)) if spooled is not None
               else _from_sqlite(c, forms, trust))
    refetch: Any = None
    done = 0
    r = c.result
    try:
        yield encoder.write_header()
        for locators, raw, refuse in batches:
            if c.cancel.is_set():
                raise Cancelled(f"cancelled while copying {c.table.name}")
            outs = []
            for f, a in zip(forms, raw, strict=True):
                vals, ref = f.vector(a)
                if ref is not None and (refuse is not None or ref.true_count):
                    refuse = ref if refuse is None else pc.or_(refuse, ref)
                outs.append(vals)
            out = pa.RecordBatch.from_arrays(outs, schema=schema)
            if refuse is not None and refuse.true_count:
                refetch = refetch or open_readonly(c.source_path, lossless_text=True)
                rowids = pc.filter(locators, refuse).to_pylist()
                keep = pc.invert(refuse)
                streamed.add_clean(raw, outs, keep)
                fixed = _one_by_one(c, row_path, refetch, rowids, schema, forms, streamed)
                out = out.filter(keep)
                if fixed is not None:
                    yield encoder.write_batch(out)
                    r.copied += out.num_rows
                    out = fixed
            else:
                streamed.add_clean(raw, outs, None)
            r.copied += out.num_rows
            yield encoder.write_batch(out)
            done += len(locators)
            c._progress(done, c.table.row_count)
        yield encoder.finish()
        c.on_event(RowsCopied(c.tm.source, done, max(c.table.row_count, done)))
        r.source_rows = done
    finally:
        if refetch is not None:
            refetch.close()


def _one_by_one(c: TableCopier, row_path: Any, conn: Any, rowids: list[int],
                schema: pa.Schema, forms: list[columnar.Form],
                streamed: StreamedAggregates) -> pa.RecordBatch | None:
    """The refused rows, read again and converted one by one with their policies; the
    checks' aggregates of those copied are SQLite's own (streamed.add_rows)."""
    import pyarrow as pa

    names = ", ".join(qi(cm.source) for cm in c.cols)
    rows: list[tuple] = []
    for i in range(0, len(rowids), _REFETCH_CHUNK):
        part = rowids[i:i + _REFETCH_CHUNK]
        rows += conn.execute(f"SELECT rowid, {names} FROM {qi(c.table.name)} WHERE rowid IN "
                             f"({', '.join(map(str, part))}) ORDER BY rowid").fetchall()
    values, locs = row_path.convert_values(rows)
    streamed.add_rows(conn, rows, locs)
    if not values:
        return None
    arrays = [f.to_arrow(list(col)) for col, f in zip(zip(*values, strict=True), forms, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
