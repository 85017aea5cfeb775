"""Dirt scans, in workers of the Review screen: a table's once its data is in, a column's
again after each change of its converter or type. A scan's result is kept only if the
column's choice is still the one it ran with (its signature)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import TableScanned

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.screens.review.screen import ReviewScreen


def signature(cm: ColumnMapping) -> str:
    """What a dirt scan depends on: a result computed for another signature is stale."""
    return f"{cm.converter}|{sorted(cm.options.items())!r}|{cm.pg_type}"


def scan_tables(review: ReviewScreen, names: list[str]) -> None:
    review.run_worker(partial(_scan_tables, review, names), name="scan tables", group="scan",
                      thread=True)


def scan_column(review: ReviewScreen, table_name: str, cm: ColumnMapping) -> None:
    review.run_worker(partial(_scan_column, review, table_name, cm), name="scan column",
                      group="scan-column", thread=True)


def _scan_tables(review: ReviewScreen, names: list[str]) -> None:
    st = review.state
    assert st.inspection is not None
    for name in names:
        tm = st.table_mapping(name)
        # Copies: the user may edit the live mapping while this thread reads it.
        cms = [ColumnMapping(**vars(cm)) for cm in tm.columns]
        table: Table = st.table(name)
        snapshot = TableMapping(tm.source, tm.target, tm.include, cms)
        sigs = {cm.source: signature(cm) for cm in cms}
        try:
            dirt = review.backend.scan_table(st.inspection.path, table, snapshot,
                                             st.inspection.profiles.get(name))
        except Exception as e:  # shown as a notification; see backend.explain
            review.post_message(TableScanned(name, {}, explain(e)))
            continue
        review.post_message(TableScanned(name, dirt, signatures=sigs))


def _scan_column(review: ReviewScreen, table_name: str, cm: ColumnMapping) -> None:
    st = review.state
    assert st.inspection is not None
    try:
        d = review.backend.scan_column(st.inspection.path, st.table(table_name), cm,
                                       st.inspection.profiles.get(table_name))
    except Exception as e:
        review.post_message(TableScanned(table_name, {}, explain(e)))
        return
    review.post_message(TableScanned(table_name, {cm.source: d},
                                     signatures={cm.source: signature(cm)}))


def table_scanned(review: ReviewScreen, msg: TableScanned) -> None:
    if msg.error:
        review.notify(msg.error, title=f"Cannot scan {msg.table}", severity="error", markup=False)
        return
    st = review.state
    tm = review.mapping.table(msg.table)
    fresh: dict[str, ColumnDirt] = {}
    for col, d in msg.dirt.items():
        # A scan of an older choice for this column: a newer one is on its way.
        if msg.signatures.get(col) == signature(tm.column(col)):
            fresh[col] = d
    st.dirt.setdefault(msg.table, {}).update(fresh)
    review.update_table_row(msg.table)
    if msg.table == review.table_name:
        for col in fresh:
            review.update_column_row(col)
        if review.column_name in fresh:
            review.select_column(review.column_name)


def rescan(review: ReviewScreen, cm: ColumnMapping) -> None:
    """The column's choice changed: its dirt is unknown until the scan of the new one lands."""
    st = review.state
    st.dirt.get(review.table_name, {}).pop(cm.source, None)
    review.update_column_row(cm.source)
    review.update_table_row(review.table_name)
    review.select_column(cm.source)
    scan_column(review, review.table_name, ColumnMapping(**vars(cm)))
