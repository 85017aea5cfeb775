"""The lines under the Review's columns about the highlighted column: what it is declared and
holds, what it becomes, what the data suggests instead (◆, `a` takes it), and a unique index
of its table that only repeats the primary key (`i` skips it or builds it again)."""

from __future__ import annotations

from rich.text import Text

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.tui.screens.converter import POLICY_LABELS
from sqlite2pg_tui.tui.state import WizardState


def suggestion_line(cm: ColumnMapping) -> str:
    """The ◆ line: the type the data suggests beyond the declared one, and why."""
    if not cm.suggestion:
        return ""
    return (f"◆ the data suggests {cm.suggestion.pg_type} via {cm.suggestion.converter}: "
            f"{cm.suggestion.note} · a: accept")


def redundant_line(tm: TableMapping, names: list[str]) -> str:
    """``names``: the table's unique indexes that only repeat its primary key."""
    if not names:
        return ""
    skipped = all(n in tm.skip_indexes for n in names)
    return (f"! unique index {', '.join(names)} repeats the primary key: "
            + ("skipped · i: build it" if skipped else "redundant · i: skip it"))


def toggle_skip(tm: TableMapping, names: list[str]) -> str:
    """Skip the indexes ``names`` (saved in the mapping as skip_indexes), or build them again
    if all are skipped already: what is done now."""
    if all(n in tm.skip_indexes for n in names):
        tm.skip_indexes = [n for n in tm.skip_indexes if n not in names]
        return "will be built"
    tm.skip_indexes = [*tm.skip_indexes, *(n for n in names if n not in tm.skip_indexes)]
    return "skipped"


def column_detail(st: WizardState, table_name: str, tm: TableMapping | None,
                  cm: ColumnMapping | None, redundant: list[str], only_problems: bool) -> Text:
    """The highlighted column ``cm`` of ``tm`` in a few lines; without one, the table's note."""
    if cm is None:
        msg = "No column here has problems (f shows all)." if only_problems else ""
        return Text(msg + (f"\n{tm.note}" if tm and tm.note else ""))
    p = st.profile(table_name, cm.source)
    d = st.column_dirt(table_name, cm.source)
    text = Text()
    text.append(f"{table_name}.{cm.source}", style="bold")
    not_null = st.not_null(table_name, cm.source)
    text.append(f"  declared {cm.declared or '(none)'}" + (" NOT NULL" if not_null else "")
                + f" · holds {p.storage_mix() if p else '?'}")
    if p:
        text.append(f" · {p.nulls:,} NULL")
        if p.max_text_len:
            text.append(f" · longest {p.max_text_len:,} chars")
    text.append("\n→ ")
    text.append(f"{cm.pg_type}", style="bold")
    text.append(f" via {cm.converter} · on error: {POLICY_LABELS[cm.on_error]}")
    if cm.on_error == "null" and not_null:
        text.append(" (NOT NULL: such rows are rejected)", style="yellow")
    if d and d.altered:
        text.append(f" · {d.altered:,} altered")
    if cm.note:
        text.append(f" · {cm.note}", style="dim")
    if line := suggestion_line(cm):
        text.append("\n" + line, style="cyan")
    if tm is not None and (line := redundant_line(tm, redundant)):
        text.append("\n" + line, style="yellow")
    return text
