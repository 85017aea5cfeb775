"""The table list at the top of Compare, and the verdict line above it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sqlite2pg_tui.core.report import Report, TableReport, Verdict
from sqlite2pg_tui.tui.widgets.bars import stacked_bar
from sqlite2pg_tui.tui.widgets.cells import cut, plain


def verdict(report: Report) -> Text:
    v = report.verdict()
    if v is Verdict.CANCELLED:
        return Text("✗ Cancelled: only the tables marked ✓ below were copied", style="yellow bold")
    if v is Verdict.OK:
        return Text("✓ Every row accounted for and verified", style="green bold")
    rejected, bad, failed = report.rejected_rows, report.differing_tables, report.failed_checks
    bits = ([f"{rejected:,} row(s) rejected, with reasons (2)"] if rejected else []) + (
        [f"differences in {', '.join(bad)}"] if bad else ["every count and sample agrees"]) + (
        [f"{failed} check(s) failed (4)"] if failed else [])
    return Text("✗ " + "; ".join(bits), style="yellow bold")


def copied_bar(t: TableReport, width: int = 4) -> Text:
    """Copied (green) against rejected (yellow) rows: a table that lost rows stands out."""
    return stacked_bar([(t.copied_rows, "green"), (t.rejected_rows, "yellow")], width)


def table_result(t: TableReport) -> Text:
    if t.error:
        return Text("✗ not copied", style="red bold")
    if not t.count_match:
        return Text("✗ counts differ", style="red bold")
    if t.sample_mismatches:
        return Text("✗ values differ", style="red bold")
    if t.rejected_rows:
        return Text("✗ rows rejected", style="yellow bold")
    return Text("✓ ok", style="green")


class TableList(DataTable[Text]):
    """One line per table of the report: counts on both sides, rejects, sample, result.
    The row key is the table's source name."""

    def fill(self, report: Report) -> None:
        for label, key in (("Table", "name"), ("SQLite", "source"), ("Postgres", "target"),
                           ("Rejected", "rejected"), ("Rows", "bar"), ("Count", "count"),
                           ("Sample", "sample"),
                           ("Result", "result")):
            self.add_column(label, key=key)
        for tr in report.tables:
            self.add_row(*plain(
                cut(tr.source, 20), Text(f"{tr.source_rows:,}", justify="right"),
                Text("-" if tr.target_rows is None else f"{tr.target_rows:,}", justify="right"),
                Text(f"{tr.rejected_rows:,}", justify="right",
                     style="yellow bold" if tr.rejected_rows else ""),
                copied_bar(tr),
                Text("✓", style="green") if tr.count_match else Text("✗", style="red bold"),
                f"{tr.sample_checked - tr.sample_mismatches}/{tr.sample_checked}",
                table_result(tr)), key=tr.source)
