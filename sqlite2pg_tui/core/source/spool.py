"""The profile's record batches, kept on disk for the copy: a run without a mapping reads
each table from SQLite once.

Planning needs every row profiled before the first row is copied (the plan comes from the
whole table), so the copy used to read each table a second time, and reading SQLite is
most of our side's CPU (bench/: 0.5-0.7 CPU s of events' copy was the read, 0.01 s reading
it back from here). The profile's raw scan (profile_columnar) writes each batch it reads to
an Arrow IPC file; the columnar copy (load/columnar_copy) reads that instead of SQLite when
every column it copies was read there in the storage class its converter takes.

What a batch holds, per column: its values as the driver typed them, exact (an integer
column's int64, or a column whose class the profile counted in SQL), or, for a column read
through ``CASE typeof(c) …`` (text and REAL declarations), the values of that class and a
marker where another class hides. The copy treats a marker as SQLite's CASE in its own
SELECT would: a value of another class, read again by rowid and converted one by one.

Not kept: a table the profile had to read split by class, and the columns it found mixed
(the driver may have printed them). Nothing is used once the file changed since (size and
modification time of the file and its WAL): the copy then reads SQLite as before. The
files live in a temporary directory of the run's own, each deleted once its table is
copied, all of it when the run ends (``$TMPDIR`` says where); what a run killed outright
left there, the next one removes. None is written without twice the database's size free
there, nor for a database larger than a quarter of the memory available: the batches
should stay in the page cache, for a spool written to disk and read back costs more than
reading SQLite again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# The markers a wrapped column reads as where another storage class hides (profile_columnar
# builds its SELECT from these): no text holds them in practice, and a column that does
# is only treated as mixed.
MARKERS: dict[str, tuple[Any, str]] = {
    "text": ("\x00\x01s2p\x01\x00", "char(0, 1, 115, 50, 112, 1, 0)"),
    "real": (-1649267441664375 / 1024, "CAST(-1649267441664375 AS REAL) / 1024.0")}
_ARROW_TYPES = {"integer": "int64", "real": "double", "text": "string", "blob": "binary"}


_PREFIX = "sqlite2pg-spool-"


def _sweep(base: Path) -> None:
    """Remove what runs killed outright (SIGKILL, power) left behind: spools whose process
    is gone. Each directory is named after the process that made it."""
    for d in base.glob(f"{_PREFIX}*-*"):
        try:
            pid = int(d.name[len(_PREFIX):].split("-", 1)[0])
            os.kill(pid, 0)
        except ValueError:
            continue  # not one of ours
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue  # (alive, someone else's)


def _memory_available() -> float:
    """Bytes of memory the page cache may use (Linux's MemAvailable; elsewhere free pages,
    or no limit when the system does not say)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return float("inf")


def _stamp(source: str) -> tuple[tuple[int, int], ...]:
    """What changes when anyone writes the file: its and its WAL's size and mtime."""
    out = []
    for p in (source, source + "-wal"):
        try:
            st = os.stat(p)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((-1, -1))
    return tuple(out)


@dataclass
class SpooledColumn:
    at: int  # its position in the spooled batches
    storage: str  # the storage class its values are of ("": every value is NULL)
    marked: bool  # read through CASE typeof, and a marker was seen (only then looked for)


@dataclass
class SpooledTable:
    path: Path
    schema: pa.Schema  # the batches' own (all of them share it)
    columns: dict[str, SpooledColumn] = field(default_factory=dict)  # rowid: position 0


class TableWriter:
    """Batches of one table's raw scan, as they are read."""

    def __init__(self, spool: Spool, table: str, path: Path) -> None:
        self._spool = spool
        self._table = table
        self.path = path
        self._writer: Any = None
        self._schema: Any = None
        self._closed = False

    def write(self, batch: pa.RecordBatch) -> None:
        import pyarrow.ipc as ipc

        if self._writer is None:
            self._writer = ipc.new_file(str(self.path), batch.schema)
            self._schema = batch.schema
        self._writer.write_batch(batch)

    def keep(self, columns: dict[str, SpooledColumn]) -> None:
        """The scan ended: keep the batches for the columns that can be used."""
        self._close()
        if self._writer is None or not columns:
            self.discard()
            return
        self._spool.add(self._table, SpooledTable(self.path, self._schema, columns))

    def discard(self) -> None:
        self._close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _close(self) -> None:
        if self._writer is not None and not self._closed:
            self._closed = True
            self._writer.close()


class Spool:
    """One run's spooled tables, in a directory of its own (``remove`` deletes it)."""

    def __init__(self, source: str, directory: Path) -> None:
        self.source = source
        self.dir = directory
        self._stamp = _stamp(source)
        self._tables: dict[str, SpooledTable] = {}
        self._lock = threading.Lock()
        self._n = 0

    @classmethod
    def create(cls, source: str, where: str | None = None) -> Spool | None:
        """A spool for ``source``, or None where it would not pay (see the module doc)."""
        try:
            size = os.path.getsize(source)
            base = where or tempfile.gettempdir()
            _sweep(Path(base))
            if shutil.disk_usage(base).free < 2 * size or 4 * size > _memory_available():
                return None
            return cls(source, Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base)))
        except OSError:
            return None

    def writer(self, table: str) -> TableWriter:
        with self._lock:
            self._n += 1
            return TableWriter(self, table, self.dir / f"{self._n}.arrow")

    def add(self, table: str, spooled: SpooledTable) -> None:
        with self._lock:
            older = self._tables.pop(table, None)  # (a table profiled again)
            self._tables[table] = spooled
        if older is not None:
            older.path.unlink(missing_ok=True)

    def holds(self, source: str) -> bool:
        """Whether this spool is of ``source`` (the same file, however named)."""
        try:
            return os.path.samefile(self.source, source)
        except OSError:
            return False

    def take(self, table: str) -> SpooledTable | None:
        """The table's batches for its copy (once), while the file is unchanged."""
        with self._lock:
            got = self._tables.pop(table, None)
        if got is not None and _stamp(self.source) != self._stamp:
            with contextlib.suppress(OSError):
                got.path.unlink()
            return None
        return got

    def remove(self) -> None:
        with self._lock:
            self._tables.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def batches(spooled: SpooledTable, columns: list[tuple[str, str]]
            ) -> Iterator[tuple[pa.Array, list[pa.Array], pa.Array | None]]:
    """Per batch: the rowids, each of ``columns`` (name, storage class) as the copy's own
    SELECT would read it (a value of another class as NULL), and the rows holding one (None:
    no row does)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.ipc as ipc

    with pa.OSFile(str(spooled.path)) as fh:
        reader = ipc.open_file(fh)
        for k in range(reader.num_record_batches):
            batch = reader.get_batch(k)
            odd = None
            out = []
            for name, storage in columns:
                col = spooled.columns[name]
                a = batch.column(col.at)
                if not col.storage or a.type == pa.null():  # (NULL throughout)
                    a = pa.nulls(len(a), _ARROW_TYPES[storage])
                elif col.marked:
                    hit = pc.fill_null(pc.equal(a, pa.scalar(MARKERS[storage][0], a.type)), False)
                    if hit.true_count:
                        odd = hit if odd is None else pc.or_(odd, hit)
                        a = pc.if_else(hit, pa.scalar(None, a.type), a)
                out.append(a)
            yield batch.column(0), out, odd


def usable(spooled: SpooledTable, columns: list[tuple[str, str]]) -> bool:
    """Whether every column the copy reads was spooled in the storage class it takes, in
    the Arrow type the copy's SELECT would give it."""
    import pyarrow as pa

    for name, storage in columns:
        col = spooled.columns.get(name)
        if col is None or col.storage not in ("", storage):
            return False
        t = spooled.schema.field(col.at).type
        if col.storage and t != pa.null() and str(t) != _ARROW_TYPES[storage]:
            return False
    return True


__all__ = ["MARKERS", "Spool", "SpooledColumn", "SpooledTable", "TableWriter", "batches",
           "usable"]
