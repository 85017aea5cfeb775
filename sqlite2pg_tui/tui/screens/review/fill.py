"""The progressive profile fill: Review opens on the schema alone, then each table's data is
read in a worker; as a table's profile lands, every column still as planned from its declared
type takes the data's proposal (a column the user chose already keeps the choice), and the
table's dirt scan starts."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.source.inspection import Inspection
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.screens.review.scans import scan_tables, signature

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.screens.review.screen import ReviewScreen


class TableProfiled(Message):
    """One more table's profile landed in ``inspection`` (the worker's, maybe an old one)."""

    def __init__(self, inspection: object, table: str, error: str = "") -> None:
        super().__init__()
        self.inspection = inspection
        self.table = table
        self.error = error


def unread_tables(ins: Inspection | None) -> list[str]:
    """The tables known from the schema alone: their data is still to be read."""
    return [] if ins is None else [t.name for t in ins.schema.tables if t.name not in ins.profiles]


def blank_choices(mapping: Mapping, unread: list[str]) -> dict[str, dict[str, str]]:
    """Per table still to be read, each column's choice as planned from its declared type."""
    return {tm.source: {cm.source: signature(cm) for cm in tm.columns}
            for tm in mapping.tables if tm.source in unread}


def profile_tables(review: ReviewScreen, ins: Inspection) -> None:
    """Read the data of the tables listed from the schema alone, in a worker of the screen."""
    review.run_worker(partial(_read_profiles, review, ins), name="profile tables",
                      group="profile", thread=True)


def _read_profiles(review: ReviewScreen, ins: Inspection) -> None:
    """Say each table's profile as it lands (the worker never touches the mapping)."""
    try:
        review.backend.profile_tables(
            review.state.source or ins.path, ins,
            lambda p: review.post_message(TableProfiled(ins, p.name)))
    except Exception as e:  # shown as a notification; see backend.explain
        review.post_message(TableProfiled(ins, "", explain(e)))


def take_proposals(columns: list[ColumnMapping], blank: dict[str, str],
                   fresh: TableMapping) -> None:
    """Each column still as planned (its signature as in ``blank``) takes ``fresh``'s
    proposal, the plan made with the data; a column the user chose already keeps it."""
    for cm in columns:
        if blank.get(cm.source) != signature(cm):
            continue  # the user chose already
        new = fresh.column(cm.source)
        cm.pg_type, cm.converter, cm.options = new.pg_type, new.converter, new.options
        cm.note, cm.suggestion = new.note, new.suggestion


def table_profiled(review: ReviewScreen, msg: TableProfiled) -> None:
    st = review.state
    if msg.error:
        review.notify(msg.error, title="Cannot read the data", severity="error", markup=False)
        return
    if msg.inspection is not st.inspection or msg.table not in review.blank_choices:
        return  # an older file's, or already in
    blank = review.blank_choices.pop(msg.table)
    tm = review.mapping.table(msg.table)
    if st.mapping_path is None:  # a loaded or saved mapping keeps its choices
        as_planned = not st.unsaved()  # the data's proposals are part of the plan
        take_proposals(tm.columns, blank, review.backend.plan(st.inspection).table(msg.table))
        if as_planned:
            st.mark_saved()
    st.dirt.pop(msg.table, None)
    review.update_table_row(msg.table)
    if msg.table == review.table_name:
        review.fill_columns()
    scan_tables(review, [msg.table])
