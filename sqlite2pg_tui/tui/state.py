"""What the wizard knows so far: plain data shared by the screens, no widgets in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.inspection import Inspection
from sqlite2pg_tui.core.source.profile import ColumnProfile
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import TargetInfo
from sqlite2pg_tui.tui.backend import DSN_FIELDS, build_dsn


@dataclass
class WizardState:
    source: str = ""
    dsn_text: str = ""  # free-form DSN; never saved anywhere
    fields: dict[str, str] = field(default_factory=lambda: dict.fromkeys(DSN_FIELDS, ""))
    schema: str = "public"
    if_exists: str = "fail"
    reject_dir: str | None = None  # None: locations.default_rejects_dir(source)
    inspection: Inspection | None = None
    mapping: Mapping | None = None
    pending_mapping: Mapping | None = None  # loaded before the database was inspected
    mapping_path: str | None = None  # where it was last loaded from or saved to
    target: TargetInfo | None = None
    target_error: str = ""
    source_error: str = ""
    # Per table, per column: what the chosen converter refuses (exact, from dirty.scan_*).
    dirt: dict[str, dict[str, ColumnDirt]] = field(default_factory=dict)
    report: Report | None = None
    running: bool = False
    # The mapping as last planned, loaded or saved: anything else is work quitting would lose.
    saved_form: dict[str, Any] | None = None

    @property
    def dsn(self) -> str:
        return build_dsn(self.dsn_text, self.fields)

    @property
    def ready(self) -> bool:
        """The SQLite side is inspected and a mapping exists: Review can open."""
        return self.inspection is not None and self.mapping is not None

    def table(self, name: str) -> Table:
        assert self.inspection is not None
        return self.inspection.schema.table(name)

    def table_mapping(self, name: str) -> TableMapping:
        assert self.mapping is not None
        return self.mapping.table(name)

    def profile(self, table: str, column: str) -> ColumnProfile | None:
        if self.inspection is None or table not in self.inspection.profiles:
            return None
        return self.inspection.profiles[table].columns.get(column)

    def not_null(self, table: str, column: str) -> bool:
        """PostgreSQL will refuse NULL here (NOT NULL or part of the primary key), so the
        copy rejects a row whose value the "set NULL" policy would empty (as copy.py does)."""
        if self.inspection is None:
            return False
        try:
            c = self.table(table).column(column)
        except KeyError:
            return False
        return c.notnull or c.pk > 0

    def column_dirt(self, table: str, column: str) -> ColumnDirt | None:
        return self.dirt.get(table, {}).get(column)

    def dirty_columns(self, table: str) -> int | None:
        """Columns of ``table`` with rejected values; None until its scan finished."""
        if table not in self.dirt:
            return None
        return sum(1 for d in self.dirt[table].values() if d.rejected)

    def problem(self, table: str, cm: ColumnMapping) -> bool:
        d = self.column_dirt(table, cm.source)
        return bool(d and (d.rejected or d.altered))

    def sync_mapping(self) -> None:
        """Carry the Connect screen's target settings into the mapping (saved and run)."""
        if self.mapping is not None:
            self.mapping.schema = self.schema or "public"
            self.mapping.if_exists = self.if_exists

    def unsaved(self) -> bool:
        """The mapping was changed since it was planned, loaded or saved."""
        if self.mapping is None:
            return False
        self.sync_mapping()
        return self.mapping.to_dict() != self.saved_form

    def mark_saved(self) -> None:
        if self.mapping is not None:
            self.sync_mapping()
            self.saved_form = self.mapping.to_dict()

    def adopt(self, mapping: Mapping, *, settings: bool) -> None:
        """Make ``mapping`` the one being edited.

        ``settings``: a loaded mapping's schema and if-exists fill the Connect fields; a
        fresh plan has only defaults there, so it takes the fields' values instead.
        """
        self.mapping = mapping
        if settings:
            self.schema = mapping.schema
            self.if_exists = mapping.if_exists
        else:
            self.sync_mapping()
        self.dirt.clear()
        self.mark_saved()
