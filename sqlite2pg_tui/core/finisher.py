"""Finishing each table as soon as its copy commits, beside the copy of the others.

A table's primary key, CHECKs, generated columns, indexes, identity sequence and statistics
need that table only, so they are built while the next table streams in (pgloader builds
indexes the same way); only foreign keys wait for both of their tables, after the copy.
One connection finishes one table at a time, in the order the copies commit. The copy
goes largest table first, so what is left after the last COPY is a small table's finishing.

The names were claimed beforehand in table order (finish.prepare), so they do not depend
on which copy ends first.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2

from sqlite2pg_tui.core import finish
from sqlite2pg_tui.core.cancel import cancels_server_work
from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect

# "foreign keys": the keys whose two tables are both finished, when they need no orphan
# policy (finish.add_key_early); the others wait for finish.foreign_keys after the copy.
STEPS = ("constraints", "indexes", "sequences", "analyze", "foreign keys", "verify")


class Finisher:
    """``submit`` a table whose copy committed; ``close`` when no more will come; ``wait``
    until every submitted table passed a step; ``publish`` the findings into the report. A
    failure other than a cancel is raised by ``wait``; a cancel stops the work between
    statements (the one running is cancelled on the server) and ``wait`` returns.

    ``threads`` connections finish tables side by side: after the last COPY, the tables
    still unfinished (often the largest, whose index builds began last) share the CPUs."""

    def __init__(self, dsn: str, schema: str, prepared: list[finish.TableFinish],
                 keys: list[finish.PlannedKey], on_event: OnEvent, cancel: threading.Event,
                 analyze: bool = True, early_keys: bool = True, threads: int = 2,
                 verify: Callable[[Table, TableMapping, Any], None] | None = None) -> None:
        self._dsn = dsn
        self._schema = schema
        self._by_source = {tf.tm.source: tf for tf in prepared}
        self._order = [tf.tm.source for tf in prepared]
        self._on_event = on_event
        self._cancel = cancel
        self._steps = tuple(s for s in STEPS if (analyze or s != "analyze")
                            and (verify is not None or s != "verify"))
        # Only keys whose both tables are in the run, and only when a refusal needs no
        # policy that changes rows ("reject" deletes them: no key may exist before).
        self._keys = [k for k in keys if k.stmt is not None] if early_keys else []
        self._finished: set[str] = set()
        self._claimed: set[str] = set()
        # A table is verified beside the copy once nothing after it can change its rows:
        # its own steps are done and every key it holds was added (only a key left for
        # after the copy may meet orphans, whose policy removes or changes rows).
        self._verify = verify
        self._holds = {tf.tm.source: {k.name for k in keys if k.stmt is not None
                                      and k.tm.source == tf.tm.source} for tf in prepared}
        self.verified: set[str] = set()
        self.added: set[str] = set()  # names of the keys added beside the copy
        # What each table's steps found, published in table order whatever order they ran
        # in, so a report reads the same from run to run.
        self._found: dict[tuple[str, str], Report] = {}
        self._published = False
        self._queue: queue.Queue[finish.TableFinish | None] = queue.Queue()
        self._cond = threading.Condition()
        self._submitted = 0
        self._passed = dict.fromkeys(self._steps, 0)
        self._error: BaseException | None = None
        # Seconds spent per step, beside the copy or after it.
        self.spent: dict[str, float] = dict.fromkeys(self._steps, 0.0)
        self._threads = [threading.Thread(target=self._work, name="finisher", daemon=True)
                         for _ in range(max(1, threads))]
        for t in self._threads:
            t.start()

    def submit(self, source: str) -> None:
        with self._cond:
            self._submitted += 1
        self._queue.put(self._by_source[source])

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    def wait(self, step: str) -> None:
        """Until every table submitted has passed ``step`` (or the work stopped)."""
        with self._cond:
            while (self._error is None and any(t.is_alive() for t in self._threads)
                   and self._passed.get(step, self._submitted) < self._submitted):
                self._cond.wait(0.1)
        if self._error is not None:
            raise self._error

    def join(self) -> None:
        """Stop taking tables and wait for the threads (after a cancel or a failure)."""
        self.close()
        for t in self._threads:
            t.join()

    def publish(self, report: Report) -> None:
        """What the steps found (refusals, notes), into ``report`` once: the constraints of
        every table in table order, then the indexes, as when they were built one by one."""
        with self._cond:
            if self._published:
                return
            self._published = True
            for step in STEPS:
                for source in self._order:
                    found = self._found.get((source, step))
                    if found is not None:
                        report.not_migrated += found.not_migrated
                        report.notes += found.notes

    def _work(self) -> None:
        conn: Any = None
        try:
            conn = connect(self._dsn)
            with cancels_server_work(conn, self._cancel):
                while (tf := self._queue.get()) is not None:
                    if self._cancel.is_set() or self._error is not None:
                        break
                    began = time.perf_counter()
                    for step in self._steps:
                        start = time.perf_counter()
                        found = Report(source="", target="")
                        self._step(conn, step, tf, found)
                        with self._cond:
                            self._found[(tf.tm.source, step)] = found
                            self.spent[step] += time.perf_counter() - start
                            self._passed[step] += 1
                            self._cond.notify_all()
                        if self._cancel.is_set():
                            return
                    self._on_event(Log(f"{tf.tm.target}: finished (keys, indexes"
                                       + (", statistics" if "analyze" in self._steps else "")
                                       + f") in {time.perf_counter() - began:.1f}s"))
        except psycopg2.errors.QueryCanceled:
            if not self._cancel.is_set():
                self._fail(RuntimeError("finishing a table was cancelled by the server"))
        except BaseException as e:  # raised in the run's own thread by wait()
            self._fail(e)
        finally:
            if conn is not None:
                conn.close()
            with self._cond:
                self._cond.notify_all()

    def _fail(self, e: BaseException) -> None:
        with self._cond:
            self._error = self._error or e

    def _step(self, conn: Any, step: str, tf: finish.TableFinish, found: Report) -> None:
        if step == "constraints":
            finish.build(conn, tf.tm, tf.constraints, self._schema, found, self._on_event)
        elif step == "indexes":
            finish.build(conn, tf.tm, tf.indexes, self._schema, found, self._on_event)
        elif step == "sequences":
            finish.sequences(conn, [(tf.table, tf.tm)], self._schema)
        elif step == "analyze":
            finish.analyze(conn, tf.tm, self._schema)
        elif step == "foreign keys":
            for key in self._ready_keys(tf.tm.source):
                if finish.add_key_early(conn, key, self._schema):
                    with self._cond:
                        self.added.add(key.name)
        elif self._verify is not None:
            # Every key added so far was added by a "foreign keys" step that came before a
            # "verify" step of the same thread: no table becomes final unseen.
            for done in self._final_tables():
                self._verify(done.table, done.tm, conn)

    def _ready_keys(self, source: str) -> list[finish.PlannedKey]:
        """The keys whose two tables are now finished, each claimed by one thread only."""
        with self._cond:
            self._finished.add(source)
            ready = [k for k in self._keys if k.name not in self._claimed
                     and {k.tm.source, k.parent.source} <= self._finished]
            self._claimed.update(k.name for k in ready)
        return ready

    def _final_tables(self) -> list[finish.TableFinish]:
        """Finished tables whose keys are all in, each claimed for verifying once."""
        with self._cond:
            final = [self._by_source[s] for s in self._finished
                     if s not in self.verified and self._holds[s] <= self.added]
            self.verified.update(tf.tm.source for tf in final)
        return sorted(final, key=lambda tf: self._order.index(tf.tm.source))


__all__ = ["STEPS", "Finisher"]
