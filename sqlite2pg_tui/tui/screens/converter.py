"""Stage 3, Converters: pick how one column's values become PostgreSQL values, with a live
preview on the column's own samples and dirty values. Also the target-type picker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.profile import ColumnProfile
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.tui.backend import check_pg_type, preview_values, show_value
from sqlite2pg_tui.tui.widgets.breadcrumb import Breadcrumb
from sqlite2pg_tui.tui.widgets.cells import plain
from sqlite2pg_tui.tui.widgets.choice import Choice
from sqlite2pg_tui.tui.widgets.field import Field

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.app import WizardApp

POLICY_LABELS = {"reject": "reject row", "null": "set NULL", "abort": "abort"}
UNITS = [(u, u) for u in converters.EPOCH_DIVISOR]


@dataclass
class ConverterChoice:
    converter: str
    options: dict[str, Any] = field(default_factory=dict)
    pg_type: str = "text"
    on_error: str = "reject"


def apply_type(cm: ColumnMapping, pg_type: str) -> None:
    """Set a column's target type and keep its converter consistent with it."""
    cm.set_type(pg_type)


def apply_choice(cm: ColumnMapping, choice: ConverterChoice) -> None:
    if (choice.converter, choice.options, choice.pg_type) != (cm.converter, cm.options, cm.pg_type):
        cm.note = ""  # the planner's reason was for its own proposal, not this one
    cm.converter = choice.converter
    cm.options = dict(choice.options)
    cm.pg_type = choice.pg_type
    cm.on_error = choice.on_error


class ConverterModal(ModalScreen[ConverterChoice | None]):
    """Every converter, the ones for the column's current type first."""

    STAGE = "Converters"
    HELP = """
Choose how this column's SQLite values become PostgreSQL values. The list starts
with the converters for the column's current type; choosing one of the others
changes the type too (shown after →).

The preview runs the converter on the column's dirty values first, then on a few
ordinary samples: "✗" marks a value it refuses, with the reason.
On error decides what happens to a refused value in the run: reject the row (it is
written to the reject file with the reason), set the value to NULL (not possible for
NOT NULL columns: those rows are rejected), or abort the whole run.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the list and the length field would otherwise take enter for themselves.
        Binding("enter", "apply", "Apply", priority=True, id="converter-apply",
                tooltip="use the highlighted converter with these options"),
        Binding("o", "cycle('#policy')", "On error", id="converter-policy",
                tooltip="what a refused value does: reject the row, set NULL, abort the run"),
        Binding("u", "cycle('#unit')", "Unit", id="converter-unit",
                tooltip="Unix time unit: seconds, milliseconds, microseconds"),
        Binding("l", "length", "Length", id="converter-length",
                tooltip="edit the varchar length (starts at the longest value)"),
        Binding("escape", "cancel", "Cancel", id="converter-cancel",
                tooltip="back to Review, nothing changed"),
        # Modal screens do not see the app's bindings, so help is bound here too.
        Binding("f1,question_mark", "app.help", "Help", key_display="?", id="converter-help",
                tooltip="this help"),
    ]

    def __init__(self, table: str, cm: ColumnMapping, profile: ColumnProfile | None,
                 dirt: ColumnDirt | None, *, not_null: bool = False) -> None:
        super().__init__(classes="wizard-modal full")
        self.table = table
        self.cm = cm
        self.not_null = not_null  # "set NULL" cannot work: PostgreSQL refuses the NULL
        self.profile = profile
        self.dirt = dirt
        self.highlighted = cm.converter
        rowids: dict[Any, Any] = {}
        examples: list[Any] = []
        if dirt:
            for ex in dirt.examples:
                examples.append(ex.value)
                rowids.setdefault(_key(ex.value), ex.rowid)
        if profile:
            for exs in profile.failures.values():
                for ex in exs:
                    examples.append(ex.value)
                    rowids.setdefault(_key(ex.value), ex.rowid)
        if profile:
            for v, rowid in zip(profile.samples, profile.sample_rowids, strict=False):
                rowids.setdefault(_key(v), rowid)
        self.values = preview_values(profile.samples if profile else [], examples)
        self.rowids = rowids

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        cm, p = self.cm, self.profile
        yield Breadcrumb(self.STAGE, cast("WizardApp", self.app).header_stages(self.STAGE))
        holds = p.storage_mix() if p else "?"
        yield Label(Text.assemble((f"{self.table}.{cm.source}", "bold"),
                                  f"  declared {cm.declared or '(none)'} · holds {holds} · now "
                                  f"{cm.converter} → {cm.pg_type}"), id="conv-title")
        with Horizontal(id="conv-top"):
            yield OptionList(*self._options(), id="conv-list", compact=True)
            with Vertical(id="conv-side"):
                yield Static(id="conv-desc")
                with Horizontal(classes="conv-row", id="unit-row"):
                    yield Label("Unit (u)     ")
                    yield Choice(UNITS, str(cm.options.get("unit", "s")), id="unit")
                with Horizontal(classes="conv-row", id="length-row"):
                    yield Label("Length (l)   ")
                    yield Field(str(self._default_length()), id="length", type="integer",
                                max_length=6)
                    yield Label(f" longest: {p.max_text_len if p else 0}", id="longest")
                with Horizontal(classes="conv-row"):
                    yield Label("On error (o) ")
                    yield Choice(self.policies(), cm.on_error, id="policy")
                if self.not_null:
                    yield Label(Text("set NULL: not offered (a NOT NULL column)", style="dim"),
                                id="policy-why")
        yield Label(id="conv-summary")
        yield DataTable(id="conv-preview", cursor_type="row", zebra_stripes=False)
        yield Footer(compact=True, show_command_palette=False)

    def policies(self) -> list[tuple[str, str]]:
        """The on-error choices that can work for this column."""
        return [(k, v) for k, v in POLICY_LABELS.items() if not (self.not_null and k == "null")]

    def _options(self) -> list[Option | None]:
        fitting = converters.converters_for(self.cm.pg_type)
        others = [n for n in converters.REGISTRY if n not in fitting]
        opts: list[Option | None] = [Option(Text(f"For {self.cm.pg_type}", style="bold"),
                                            disabled=True)]
        opts += [self._option(n) for n in fitting]
        opts.append(Option(Text("Others (change the type)", style="bold"), disabled=True))
        opts += [self._option(n) for n in others]
        return opts

    def _option(self, name: str) -> Option:
        conv = converters.get(name)
        mark = "•" if name == self.cm.converter else " "
        return Option(Text.assemble(f"{mark} {name:<13} ", (conv.target, "dim")), id=name)

    def on_mount(self) -> None:
        table = self.query_one("#conv-preview", DataTable)
        table.add_column("Row", key="row")
        table.add_column("Value", key="value", width=20)
        table.add_column("Result", key="result")
        lst = self.query_one("#conv-list", OptionList)
        lst.highlighted = lst.get_option_index(self.cm.converter)
        lst.focus()
        self._refresh()

    def _default_length(self) -> int:
        if "length" in converters.get(self.cm.converter).edits and "length" in self.cm.options:
            return int(self.cm.options["length"])
        return max(self.profile.max_text_len if self.profile else 0, 1)

    # --- the choice as it stands -------------------------------------------------------

    def current(self) -> ConverterChoice:
        name = self.highlighted
        opts: dict[str, Any] = dict(self.cm.options) if name == self.cm.converter else {}
        edits = converters.get(name).edits
        if "unit" in edits:
            opts["unit"] = self.query_one("#unit", Choice).value
        if "length" in edits:
            try:
                opts["length"] = max(1, int(self.query_one("#length", Input).value or "0"))
            except ValueError:
                opts["length"] = self._default_length()
        else:
            opts.pop("length", None)
        return ConverterChoice(name, opts, converters.target_type(name, opts, self.cm.pg_type),
                               self.query_one("#policy", Choice).value)

    def _refresh(self) -> None:
        choice = self.current()
        conv = converters.get(choice.converter)
        self.query_one("#conv-desc", Static).update(Text.assemble(
            (conv.label, "bold"), f" → {choice.pg_type}\n", conv.description))
        self.query_one("#unit-row").display = "unit" in conv.edits
        self.query_one("#length-row").display = "length" in conv.edits
        table = self.query_one("#conv-preview", DataTable)
        table.clear()
        rejected = 0
        for i, (before, after, reason) in enumerate(
                converters.preview(choice.converter, choice.options, self.values)):
            rowid = self.rowids.get(_key(before), "")
            if reason is None:
                result = Text("✓ " + show_value(after, 44))
            else:
                rejected += 1
                result = Text("✗ " + reason, style="bold red")
            table.add_row(*plain(str(rowid), converters.describe(before, 20), result), key=str(i))
        n = len(self.values)
        policy = POLICY_LABELS[choice.on_error]
        summary = (f"Preview: {rejected} of {n} values refused → {policy}" if rejected
                   else f"Preview: all {n} values convert" if n else "No values to preview")
        d = self.dirt
        if d is not None and choice.converter == self.cm.converter and choice.options == self.cm.options:
            summary += f" · whole column: {d.rejected:,} refused"
        self.query_one("#conv-summary", Label).update(summary)

    @on(OptionList.OptionHighlighted, "#conv-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.highlighted = event.option.id
            self._refresh()

    @on(Choice.Changed)
    def _choice_changed(self, _event: Choice.Changed) -> None:
        if self.is_mounted:
            self._refresh()

    @on(Input.Changed, "#length")
    def _length_changed(self, _event: Input.Changed) -> None:
        self._refresh()

    @on(Input.Submitted, "#length")
    def _length_submitted(self, _event: Input.Submitted) -> None:
        self.action_apply()

    # --- actions -------------------------------------------------------------------------

    def action_cycle(self, selector: str) -> None:
        choice = self.query_one(selector, Choice)
        if choice.parent is not None and choice.parent.display:
            choice.action_step(1)

    def action_length(self) -> None:
        if self.query_one("#length-row").display:
            self.query_one("#length", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "cycle" and parameters == ("#unit",):
            return "unit" in converters.get(self.highlighted).edits
        if action == "length":
            return "length" in converters.get(self.highlighted).edits
        return True

    def action_apply(self) -> None:
        self.dismiss(self.current())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionHighlighted)
    def _bindings_follow(self, _event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()


def _key(v: Any) -> tuple[type, Any]:
    return (type(v), v)


# --- the target type ------------------------------------------------------------------

COMMON_TYPES = ["text", "varchar", "bigint", "integer", "smallint", "numeric",
                "double precision", "boolean", "timestamp", "timestamptz", "date", "jsonb",
                "uuid", "bytea"]


class TypeModal(ModalScreen[str | None]):
    """The column's PostgreSQL type: a common one, or any type name typed in."""

    STAGE = "Converters"
    HELP = """
Choose the PostgreSQL type of the column. If the column's converter cannot produce
the new type, the first converter that can is chosen; pick another with c.
Type any other type name (numeric(12,2), varchar(40), inet…) in the field below the
list and press enter; unknown names are refused by PostgreSQL at run time.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="type-cancel"),
        Binding("f1", "app.help", "Help", key_display="F1", id="type-help", tooltip="this help"),
    ]

    def __init__(self, column: str, current: str, longest: int) -> None:
        super().__init__(classes="wizard-modal")
        self.column = column
        self.current = current
        self.longest = max(longest, 1)

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box modal-types"):
            yield Label(Text.assemble(("Target type of ", "bold"), (self.column, "bold"),
                                      f"  (now {self.current})"), classes="modal-title")
            opts = []
            for t in COMMON_TYPES:
                shown = f"varchar({self.longest})" if t == "varchar" else t
                hint = "  longest value" if t == "varchar" else ""
                opts.append(Option(Text.assemble(shown, (hint, "dim")), id=shown))
            yield OptionList(*opts, id="type-list")
            with Horizontal(classes="conv-row", id="type-custom-row"):
                yield Label("or type one: ")
                yield Field(self.current, id="type-custom", placeholder="numeric(12,2), inet…")
            yield Label("enter: choose   tab: type a name   esc: cancel", classes="modal-keys")
            yield Label("", id="type-error", classes="error", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        lst = self.query_one("#type-list", OptionList)
        base = converters.base_type(self.current)
        for i, t in enumerate(COMMON_TYPES):
            if t == base:
                lst.highlighted = i
        lst.focus()

    @on(OptionList.OptionSelected, "#type-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#type-custom")
    def _typed(self, event: Input.Submitted) -> None:
        value = " ".join(event.value.lower().split())
        problem = check_pg_type(value)
        if problem:
            self.query_one("#type-error", Label).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
