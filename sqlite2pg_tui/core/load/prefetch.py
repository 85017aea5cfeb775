"""Reading ahead in a thread of its own: SQLite steps (and releases the GIL) while the caller
converts and PostgreSQL parses the previous batch. Both copy engines read this way."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any


def prefetched(batches: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``batches`` produced ``depth`` ahead in a worker thread. An exception in the producer
    is raised here; when the consumer stops early, the producer is closed in its own thread
    (its ``finally`` blocks run where its SQLite connection was opened)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(b, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(end)
        except BaseException as e:  # noqa: BLE001 - handed to the consuming thread
            q.put(e)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="read ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
