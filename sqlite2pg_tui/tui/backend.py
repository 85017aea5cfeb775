"""Everything the wizard asks of the database side, as plain calls into the core.

Screens never run SQL or open files themselves: they call a :class:`Backend` from a
worker thread. Tests and screenshots swap in a subclass with canned answers, so a
picture of the Compare screen needs no server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions

from sqlite2pg_tui.core.errors import MigrationError, TargetError
from sqlite2pg_tui.core.events import OnEvent
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.source import dirty
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.inspection import Inspection, inspect, profile_into, read_source
from sqlite2pg_tui.core.source.profile import TableProfile
from sqlite2pg_tui.core.source.reader import open_readonly
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.source.spool import Spool
from sqlite2pg_tui.core.target import ddl, postgres
from sqlite2pg_tui.core.target.postgres import TargetInfo
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.verify.queries import run_query_both
from sqlite2pg_tui.core.verify.rejected import exclusions
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.core.verify.samples import RowPair, compare_rows, sample_locators

# The libpq keywords the Connect screen has a field for, in screen order.
DSN_FIELDS = ("host", "port", "dbname", "user", "password", "sslmode")
_ENV_OF = {"host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
           "sslmode": "PGSSLMODE"}
REJECTS_SHOWN = 500


@dataclass
class RejectLine:
    """One line of a reject file, ready to show."""

    rowid: str
    column: str
    value: str  # made visible with converters.describe
    reason: str


def split_dsn(dsn: str | None, env: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Spread a DSN over the Connect fields so a password lands in the masked one.

    Returns (what is left as DSN text, field values). PG* variables fill the fields the
    DSN leaves empty; PGPASSWORD is left to libpq so it never shows on screen.
    """
    env = dict(os.environ) if env is None else env
    fields = {k: env.get(v, "") for k, v in _ENV_OF.items()}
    fields["password"] = ""
    if not dsn:
        return "", fields
    try:
        params = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return dsn, fields  # left as typed; Test will say what is wrong with it
    rest = {}
    for k, v in params.items():
        if k in fields:
            fields[k] = v
        else:
            rest[k] = v
    return psycopg2.extensions.make_dsn(**rest) if rest else "", fields


def build_dsn(dsn_text: str, fields: dict[str, str]) -> str:
    """The DSN handed to libpq: the free-form text with the non-empty fields on top."""
    extra = {k: v for k, v in fields.items() if v}
    if not extra:
        return dsn_text.strip()
    return psycopg2.extensions.make_dsn(dsn_text.strip() or None, **extra)


def explain(e: BaseException) -> str:
    """One line for any failure a worker meets: the core's own words where it has them.

    Workers catch everything and post this instead, because an exception escaping a
    Textual worker ends the whole app, and a wizard should say what went wrong instead.
    """
    if isinstance(e, MigrationError):
        return str(e)
    if isinstance(e, OSError):
        where = f": {e.filename}" if e.filename else ""
        return f"{e.strerror or e}{where}"
    if isinstance(e, psycopg2.Error):
        return postgres.plain_error(e)
    return f"{type(e).__name__}: {e}"


def check_pg_type(text: str) -> str | None:
    """None when PostgreSQL would accept the type name, else a reason."""
    try:
        ddl.pg_type_sql(text)
    except ddl.BadType as e:
        return str(e)
    return None


def preview_values(samples: list[Any], examples: list[Any], limit: int = 14) -> list[Any]:
    """Dirty examples first (they are what a person is choosing for), then plain samples."""
    out: list[Any] = []
    seen: set[tuple[type, Any]] = set()
    for v in [*examples, *samples]:
        key = (type(v), v if not isinstance(v, list | dict) else repr(v))
        if v is None or key in seen:
            continue
        seen.add(key)
        out.append(v)
        if len(out) >= limit:
            break
    return out


def show_value(v: Any, limit: int = 60) -> str:
    """A converted (Python) value the way PostgreSQL would print it, made visible."""
    return converters.show(v, limit)


def _shown(v: Any) -> str:
    if isinstance(v, dict) and "hex" in v:
        return converters.describe(bytes.fromhex(v["hex"]))
    if isinstance(v, dict) and "bytes_hex" in v:
        raw = bytes.fromhex(v["bytes_hex"]).decode("utf-8", "surrogateescape")
        return converters.describe(raw, 10_000)
    return converters.describe(v, 10_000)


class Backend:
    """The real thing: each method is one core call, safe to run in a worker thread."""

    # The batches the Review's profile read, for the Run's copy (core/source/spool.py):
    # the wizard reads each table once too. Removed by close() or a profile of another file.
    _spool: Spool | None = None

    def inspect(self, path: str,
                on_table: Callable[[str, int, int], None] | None = None) -> Inspection:
        return inspect(path, on_table=on_table)

    def read_source(self, path: str) -> Inspection:
        """The schema alone, at once; profile_tables fills the profiles afterwards."""
        return read_source(path)

    def profile_tables(self, path: str, ins: Inspection,
                       on_profile: Callable[[TableProfile], None],
                       cancel: threading.Event | None = None) -> None:
        """Profile the tables ``ins`` lacks (two at a time), each told as it lands."""
        if self._spool is None or not self._spool.holds(path):
            self.close()
            self._spool = Spool.create(path)
        profile_into(ins, path=path, on_profile=on_profile, cancel=cancel, spooled=self._spool)

    def plan(self, ins: Inspection) -> Mapping:
        """Tables not profiled yet are planned from their declared types."""
        return plan(ins.schema, ins.profiles_or_blank())

    def probe(self, dsn: str, schema: str, tables: list[str]) -> TargetInfo:
        return postgres.probe(dsn, schema=schema, tables=tables)

    def scan_table(self, path: str, table: Table, tm: TableMapping,
                   profile: TableProfile | None = None) -> dict[str, ColumnDirt]:
        """Exact dirt; the columns the table's profile answers for are not read again."""
        return dirty.scan_table(path, table, tm, profile=profile)

    def scan_column(self, path: str, table: Table, cm: ColumnMapping,
                    profile: TableProfile | None = None) -> ColumnDirt:
        return dirty.scan_column(path, table, cm, profile=profile)

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        spooled = self._spool if self._spool is not None and self._spool.holds(source) else None
        return run_migration(source, dsn, mapping, options=options, on_event=on_event,
                             cancel=cancel, spooled=spooled)

    def close(self) -> None:
        """The wizard ends: what the profile kept for the copy goes."""
        if self._spool is not None:
            self._spool.remove()
            self._spool = None

    def sample_rows(self, source: str, dsn: str, schema: str, table: Table, tm: TableMapping,
                    n: int = 12, seed: int = 1) -> list[RowPair]:
        sconn = open_readonly(source, lossless_text=True)
        try:
            locators = sample_locators(sconn, table, n, seed)
            pconn = postgres.connect(dsn)
            try:
                return compare_rows(sconn, pconn, table, tm, schema, locators)
            except psycopg2.Error as e:
                raise TargetError(f"cannot read {schema}.{tm.target}: "
                                  f"{postgres.plain_error(e)}") from None
            finally:
                pconn.close()
        finally:
            sconn.close()

    def exclusions(self, source: str, mapping: Mapping, report: Report) -> dict[str, set[Any]]:
        """Per table, the rows the run left out (so a query's SQLite side sees what PostgreSQL got)."""
        return exclusions(source, mapping, report, report.rejects_dir)

    def query_both(self, source: str, dsn: str, mapping: Mapping, sqlite_sql: str, schema: str,
                   exclude: dict[str, set[Any]]) -> QueryComparison:
        """One SQLite query and its PostgreSQL translation, run on both sides and compared."""
        return run_query_both(source, dsn, mapping, sqlite_sql, schema, exclude=exclude)

    def scan_code(self, folder: str, mapping: Mapping | None) -> list[Any]:
        """The code-port assistant on ``folder``, in memory: list[portcode.FileResult]."""
        from sqlite2pg_tui.portcode import scan_paths

        return scan_paths([folder], mapping=mapping)

    def build_kit(self, dsn: str, schema: str, out_dir: str, role: str = "app") -> Any:
        """The production kit composed from the target (reads only): kit.KitResult."""
        from sqlite2pg_tui.kit import build_kit

        return build_kit(dsn, schema=schema, app_role=role, out_dir=out_dir)

    def read_rejects(self, reject_dir: str | None, target: str,
                     limit: int = REJECTS_SHOWN) -> list[RejectLine]:
        if not reject_dir:
            return []
        return [RejectLine(str(r.rowid), r.column or "(row)", _shown(r.value), r.reason)
                for r in rejects.read(reject_dir, target, limit)]
