"""Messages: workers post them to screens (workers never touch widgets; handlers do), and
screens post Advance / GoBack to the app, which alone knows the order of the stages."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from sqlite2pg_tui.core.events import Event
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.inspection import Inspection
from sqlite2pg_tui.core.target.postgres import TargetInfo
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.core.verify.samples import RowPair
from sqlite2pg_tui.tui.backend import RejectLine


class Advance(Message):
    """The stage ``stage`` is done: the app opens the one after it (WizardApp.advance)."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage


class GoBack(Message):
    """Back to the stage before (WizardApp.back)."""


class SourceChecked(Message):
    """The SQLite file was inspected (``inspection``), or could not be (``error``)."""

    def __init__(self, path: str, inspection: Inspection | None, error: str = "", *,
                 planned: Mapping | None = None) -> None:
        super().__init__()
        self.path = path
        self.inspection = inspection
        self.error = error
        self.planned = planned  # the planner's proposal for this file


class TargetChecked(Message):
    def __init__(self, info: TargetInfo | None, error: str = "") -> None:
        super().__init__()
        self.info = info
        self.error = error


class TableScanned(Message):
    """Exact dirty counts for some columns of one table (all of them, or one that changed)."""

    def __init__(self, table: str, dirt: dict[str, ColumnDirt], error: str = "", *,
                 signatures: dict[str, str] | None = None) -> None:
        super().__init__()
        self.table = table
        self.dirt = dirt
        self.error = error
        # Per column, the converter choice the scan ran with (see screens.review.scans.signature).
        self.signatures = signatures or {}


class RunEvent(Message):
    """A core progress event other than RowsCopied (those are polled, see RunScreen)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class RunFinished(Message):
    def __init__(self, report: Report | None, error: str = "") -> None:
        super().__init__()
        self.report = report
        self.error = error


class SampleLoaded(Message):
    def __init__(self, table: str, rows: list[RowPair], rejects: list[RejectLine],
                 error: str = "") -> None:
        super().__init__()
        self.table = table
        self.rows = rows
        self.rejects = rejects
        self.error = error


class CodeScanned(Message):
    """The code-port assistant scanned ``folder`` (``results``), or could not (``error``)."""

    def __init__(self, folder: str, results: list[Any], error: str = "") -> None:
        super().__init__()
        self.folder = folder
        self.results = results  # list[portcode.FileResult]
        self.error = error


class KitBuilt(Message):
    """The production kit was composed in memory (``result``), or could not be (``error``)."""

    def __init__(self, result: Any, error: str = "") -> None:
        super().__init__()
        self.result = result  # kit.KitResult | None
        self.error = error


class QueryRan(Message):
    """A query ran on both sides (``comparison``), or could not (``error``).

    ``exclude``: the rows the run left out, found on the way; the screen keeps them.
    """

    def __init__(self, sql: str, comparison: QueryComparison | None, error: str = "", *,
                 exclude: dict[str, set[Any]] | None = None) -> None:
        super().__init__()
        self.sql = sql
        self.comparison = comparison
        self.error = error
        self.exclude = exclude
