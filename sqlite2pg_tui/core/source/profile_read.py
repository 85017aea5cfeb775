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
    from sqlite2pg_tui.core.source.arrow_query import arrow_query  # pyarrow: when reading

    try:
        try:
            with arrow_query(path, query, rows) as stream:
                while not stop.is_set():
                    try:
                        batch = stream.read_next_batch()
                    except StopIteration:
                        break
                    out.put(batch)
        except Exception as e:  # the driver's errors carry no stable type
            raise DriverError(str(e)) from e
        out.put(_DONE)
    except BaseException as e:  # handed to the consumer, which raises it
        out.put(e)
