"""The profile's reader: record batches of one query from ``adbc-driver-sqlite``, read one
or two batches ahead in a thread of its own while the caller classifies the last one.

SQLite's steps and Arrow's kernels release the GIL, so a table's reading and its
classification overlap: a lone big table keeps two cores busy instead of one. Everything
the driver does (connect, execute, read, close) happens in that one thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.source.reader import readonly_uri

if TYPE_CHECKING:
    import pyarrow as pa

AHEAD = 2  # batches read and waiting (memory: each is a few MB, see profile_columnar)


class DriverError(Exception):
    """The driver failed (its errors carry no stable type)."""


_DONE = object()


def ahead(path: str, query: str, rows: int,
          cancel: threading.Event | None) -> Iterator[pa.RecordBatch]:
    """The batches of ``query``, ``rows`` rows each. Stopping early (close the generator)
    stops the reader after the batch it is reading; a cancel is seen between batches."""
    got: queue.Queue[object] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    reader = threading.Thread(target=_produce, args=(path, query, rows, got, stop),
                              name="profile-read", daemon=True)
    reader.start()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("profiling cancelled")
            item = got.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while reader.is_alive():  # (it may wait on a full queue)
            with contextlib.suppress(queue.Empty):
                got.get(timeout=0.05)
        reader.join()


def _produce(path: str, query: str, rows: int, out: queue.Queue[object],
             stop: threading.Event) -> None:
    try:
        import adbc_driver_sqlite.dbapi as adbc

        conn = adbc.connect(readonly_uri(path))
        try:
            cur = conn.cursor()
            ended = False
            try:
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows)})
                try:
                    cur.execute(query)
                    stream = cur.fetch_record_batch()
                except Exception as e:
                    raise DriverError(str(e)) from e
                while not stop.is_set():
                    try:
                        batch = stream.read_next_batch()
                    except StopIteration:
                        break
                    except Exception as e:
                        raise DriverError(str(e)) from e
                    out.put(batch)
                ended = True
            finally:
                try:
                    cur.close()  # (also mid-table: the connection won't close over it)
                except Exception:
                    if ended:
                        raise  # (after a failure or a stop, that is what counts)
        finally:
            conn.close()
        out.put(_DONE)
    except BaseException as e:  # handed to the consumer, which raises it
        out.put(e)
