"""How the headless CLI shows progress (stderr, only on a terminal) and the final report."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from sqlite2pg_tui.core.events import (
    Event,
    Log,
    PhaseStarted,
    RowsCopied,
    TableFinished,
    TableStarted,
)
from sqlite2pg_tui.core.report import Report, TableReport, Verdict


class ProgressPrinter:
    """One status line redrawn in place on a terminal; plain log lines otherwise."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        # sys.stderr looked up now, not at import: it may have been replaced since.
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.phase = ""
        self.start = time.monotonic()
        self._last = 0.0

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, PhaseStarted):
            self.phase = event.phase
            self._line(f"phase: {event.phase}", keep=True)
        elif isinstance(event, TableStarted):
            self.totals[event.table] = event.total
            self.done.setdefault(event.table, 0)
        elif isinstance(event, RowsCopied):
            self.done[event.table] = event.done
            self._status(event.table)
        elif isinstance(event, TableFinished):
            msg = f"  {event.table}: {event.copied:,} copied"
            if event.rejected:
                msg += f", {event.rejected:,} rejected"
            if event.error:
                msg += f" — FAILED: {event.error}"
            self._line(msg + f" ({event.seconds:.1f}s)", keep=True)
        elif isinstance(event, Log) and event.level != "info":
            self._line(f"  {event.level}: {event.text}", keep=True)

    def _status(self, table: str) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        total = sum(self.totals.values()) or 1
        done = sum(self.done.values())
        rate = done / max(now - self.start, 1e-6)
        t_total = self.totals.get(table) or 1
        self._line(f"{table}: {self.done[table]:,}/{t_total:,} "
                   f"({100 * self.done[table] / t_total:.0f}%)  overall {100 * done / total:.0f}%  "
                   f"{rate:,.0f} rows/s", keep=False)

    def _line(self, text: str, keep: bool) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if keep else ""))
        elif keep:
            self.stream.write(text + "\n")
        self.stream.flush()


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _format_checks(checks: list[dict]) -> list[str]:
    """Named checks one per line; the default ones summed up unless they differ."""
    out: list[str] = []
    defaults = [c for c in checks if c.get("kind") == "default"]
    if defaults:
        good = sum(1 for c in defaults if c.get("ok"))
        out.append(f"  default checks (rows, keys, sums, NULLs, ranges per table): "
                   f"{good}/{len(defaults)} ok")
    for c in checks:
        if c.get("kind") == "default" and c.get("ok") and not c.get("note", "").startswith("expected"):
            continue
        out.append(f"  {'ok  ' if c.get('ok') else 'DIFF'} {c.get('name')}")
        if c.get("error"):
            out.append(f"       error: {c['error']}")
        diff = c.get("first_difference")
        if diff and not c.get("ok"):
            if diff.get("message"):
                out.append(f"       {diff['message']}")
            if "row" in diff:
                out.append(f"       first difference, row {diff['row']}: "
                           f"SQLite {diff.get('sqlite')} | PostgreSQL {diff.get('postgres')}")
        if c.get("note"):
            out.append(f"       {c['note']}")
    return out


def _verdict(report: Report) -> str:
    v = report.verdict()
    if v is Verdict.CANCELLED:
        return "CANCELLED: see above for what was and was not copied"
    if v is Verdict.OK:
        return "OK: every row accounted for and verified"
    if v is Verdict.REJECTS:
        return (f"DONE WITH REJECTS: {report.rejected_rows:,} row(s) rejected (reasons above, "
                f"rows in {report.rejects_dir or 'the report'}); every row copied was verified")
    return "DIFFERENCES: see above"


def _count_verdict(t: TableReport) -> str:
    """ok only when every source row is in PostgreSQL: rows rejected are accounted for,
    but the table is not whole, so it says so."""
    if t.error:
        return "FAILED"
    if not t.count_match:
        return "DIFF"
    if t.rejected_rows:
        return "NONE LOADED" if t.source_rows and not t.target_rows else "REJECTS"
    return "ok"


def format_report(report: Report) -> str:
    out = [f"source: {report.source}", f"target: {report.target} (schema {report.schema})", ""]
    # A standalone verify copied nothing: PostgreSQL's count is what it is, "in PostgreSQL".
    copied = report.kind != "verify"
    rows = [["table", "target", "source"] + (["copied"] if copied else [])
            + ["rejected", "in PostgreSQL", "count", "sample"]]
    for t in report.tables:
        rows.append([
            t.source, t.target if t.target != t.source else "=", f"{t.source_rows:,}",
            *([f"{t.copied_rows:,}"] if copied else []), f"{t.rejected_rows:,}",
            "-" if t.target_rows is None else f"{t.target_rows:,}", _count_verdict(t),
            f"{t.sample_checked - t.sample_mismatches}/{t.sample_checked}",
        ])
    out.append(_table(rows, set(range(2, 6 if copied else 5))))
    if report.resumed:  # run --resume: what an earlier run left that this one kept or redid
        out += ["resumed:"] + [f"  {r['table']}: {r['note']}" for r in report.resumed] + [""]
    for t in report.tables:
        if t.error:
            out.append(f"  {t.source}: {t.error}")
        for col, n in t.rejected_by_column.items():
            reasons = t.rejected_reasons.get(col, {})
            top = "; ".join(f"{r} ×{k}" for r, k in sorted(reasons.items(), key=lambda x: -x[1])[:3])
            out.append(f"  {t.source}.{col}: {n} value(s) rejected" + (f" ({top})" if top else ""))
        for col, n in t.nulled_by_column.items():
            out.append(f"  {t.source}.{col}: {n} value(s) set to NULL by policy")
        for col, n in t.altered_by_column.items():
            out.append(f"  {t.source}.{col}: {n} value(s) altered by the converter")
        for m in t.mismatches[:5]:
            out.append(f"  {t.source} row {m.locator}: {m.column}: expected {m.sqlite}, found {m.postgres}")
    if report.orphans:
        out += ["", "orphan rows (foreign keys SQLite did not enforce):"]
        out += [f"  {o.table}({o.column}) → {o.references}: {o.rows} row(s); {o.action}"
                + (f" (e.g. {', '.join(o.examples[:5])})" if o.examples else "")
                for o in report.orphans]
    if report.notes:
        out += ["", "notes:"] + [f"  {n['table']}: {n['note']}" for n in report.notes]
    if report.renamed:
        out += ["", "renamed:"] + [f"  {r['kind']} {r['from']} → {r['to']}" for r in report.renamed]
    if report.not_migrated:
        out += ["", "not migrated:"] + [f"  {n.kind} {n.name}: {n.reason}" for n in report.not_migrated]
    if report.checks:
        out += ["", "checks:"] + _format_checks(report.checks)
    sums = [t for t in report.tables if getattr(t, "checksum_match", None) is not None]
    if sums:
        out += ["", "full-table checksums:"]
        for t in sums:
            line = f"  {'ok  ' if t.checksum_match else 'DIFF'} {t.target}"
            note = getattr(t, "checksum_note", "")
            out.append(line + (f" ({note})" if note else ""))
    if report.rejects_dir and any(t.rejected_rows for t in report.tables):
        out += ["", f"rejected rows written to {report.rejects_dir}"]
    if report.phases_s:
        out += ["", "time: " + ", ".join(f"{k} {v:.2f}s" for k, v in report.phases_s.items())]
        if any(report.finishing_s.values()):
            # The phases after "data" above are only what was left once the copy ended.
            out.append("  tables finished beside the copy: " + ", ".join(
                f"{k} {v:.2f}s" for k, v in report.finishing_s.items()))
    out += ["", _verdict(report)]
    return "\n".join(out)
