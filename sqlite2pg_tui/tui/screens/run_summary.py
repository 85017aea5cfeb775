"""What the Run stage says before it starts: from, into, tables, what happens to target
tables that exist, dirty values, where rejects go."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from sqlite2pg_tui.core.target.postgres import redact
from sqlite2pg_tui.tui.state import WizardState


def run_summary(st: WizardState, existing: list[str], total_rows: int, reject_dir: str, *,
                probing: bool) -> Group:
    """``existing``: the target tables PostgreSQL already holds; ``probing``: still asking."""
    assert st.mapping is not None
    included = st.mapping.included
    excluded = [tm.source for tm in st.mapping.tables if not tm.include]
    # A grid, so a long line (the DSN, many table names) wraps under its own column.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=11)
    grid.add_column(overflow="fold")

    def row(head: str, body: str | Text) -> None:
        grid.add_row(f" {head}", body)

    if st.target_error:
        head = Text("Cannot migrate: PostgreSQL did not answer\n", style="bold red")
    else:
        head = Text("Ready to migrate\n", style="bold")
    row("from", f"{st.source}")
    row("into", f"{redact(st.dsn)}")
    row("schema", st.schema or "public")
    names = ", ".join(tm.source for tm in included)
    row("tables", f"{len(included)} ({total_rows:,} rows): {names}")
    if excluded:
        row("skipped", ", ".join(excluded))
    effect = {"fail": "enter asks what to do with them",
              "replace": "they are dropped and created again",
              "append": "rows are added to them (they must be empty)",
              "truncate": "they are kept and their rows replaced"}[st.if_exists]
    if st.target_error:
        row("target", Text(f"✗ {st.target_error}", style="red"))
    elif probing and st.target is None:
        row("if exists", f"{st.if_exists} (asking PostgreSQL which tables exist…)")
    elif existing:
        row("if exists", Text(f"{st.if_exists}: {', '.join(existing)} exist; {effect}",
                              style="yellow" if st.if_exists != "fail" else "red"))
    else:
        row("if exists", f"{st.if_exists} (no target table exists yet)"
            if st.target is not None else f"{st.if_exists}: {effect}")
    dirty = [(tm.source, cm) for tm in included for cm in tm.columns
             if (d := st.column_dirt(tm.source, cm.source)) and d.rejected]
    if dirty:
        values = sum(st.dirt[t_][cm.source].rejected for t_, cm in dirty)
        row("dirty", f"{values:,} value(s) in {len(dirty)} column(s) go through their "
                     "on-error policy")
    row("rejects", reject_dir)
    if st.target_error:
        keys = Text("\nescape: back to Review (^t on Connect tests again)", style="bold")
    else:
        keys = Text("\nenter: start   escape: back to Review", style="bold")
    return Group(head, grid, keys)
