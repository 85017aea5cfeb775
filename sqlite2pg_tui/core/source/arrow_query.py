"""A query over the SQLite file as a stream of Arrow record batches, read in C by
adbc-driver-sqlite through the low-level ADBC API.

Its DB-API module imports pyarrow.dataset (and with it Parquet and Acero) for bulk ingest,
which a reader never uses: 35–80 ms of every command's start-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pyarrow as pa

from sqlite2pg_tui.core.source.reader import readonly_uri


@contextmanager
def arrow_query(path: str | os.PathLike[str], query: str,
                rows_per_batch: int) -> Iterator[pa.RecordBatchReader]:
    """The batches of ``query`` on a read-only connection; everything is closed on the way
    out, also when the consumer stops mid-stream. The driver's errors carry no stable type:
    callers tell them apart by their words."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    with ExitStack() as stack:
        db = adbc_driver_sqlite.connect(readonly_uri(path))
        stack.callback(db.close)
        conn = adbc.AdbcConnection(db)
        stack.callback(conn.close)
        stmt = adbc.AdbcStatement(conn)
        stack.callback(stmt.close)
        stmt.set_options(**{"adbc.sqlite.query.batch_rows": str(rows_per_batch)})
        stmt.set_sql_query(query)
        handle, _ = stmt.execute_query()
        reader = pa.RecordBatchReader._import_from_c(handle.address)
        stack.callback(reader.close)  # first to close: the statement won't close over it
        yield reader


__all__ = ["arrow_query"]
