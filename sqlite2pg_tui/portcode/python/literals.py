"""Step 3, the SQL literals: rewritten in place inside the string, its quotes and escapes
kept, or reported when the rewrite cannot be written back into it."""

from __future__ import annotations

import ast

from sqlite2pg_tui.portcode.python.executes import Executes
from sqlite2pg_tui.portcode.python.model import Exec
from sqlite2pg_tui.portcode.sql import SqlResult
from sqlite2pg_tui.portcode.sql.styles import port_sql
from sqlite2pg_tui.portcode.textedit import EditConflict, StringPiece, encode_string, string_pieces


class Literals(Executes):
    def port_literals(self) -> None:
        for lit in self.literals.values():
            uses = lit.uses
            params = {u.has_params for u in uses}
            has_params = any(params)
            script = any(u.method == "executescript" for u in uses)
            returning = any(u.want_returning for u in uses)
            sql = lit.node.value
            if len(params) > 1 and "%" in sql:
                self.find(lit.node, "percent", sql[:80], "",
                          "this SQL is run both with and without parameters and holds a %: psycopg2 "
                          "needs %% only with parameters; split it into two constants",
                          needs_look=True, applied=False)
            result = port_sql(sql, style=uses[0].style, has_params=has_params, ctx=self.ctx,
                              script=script, returning=returning, fragment=uses[0].fragment)
            for u in uses:
                u.result = result
            apply = True
            if result.removed and any(not self._removable(u) for u in uses):
                apply = False
                self.find(lit.node, "pragma", sql, "", "this statement has no PostgreSQL "
                          "equivalent and should go, but its result is used: remove it by hand",
                          needs_look=True, applied=False)
            offsets = self._literal_offsets(lit.node)
            for n in result.notes:
                pos = offsets[min(n.offset, len(offsets) - 1)] if offsets else self.span(lit.node)[0]
                self.find(self.index.line_of(pos), n.kind, n.original, n.replacement, n.why,
                          n.needs_look, n.applied and apply, offset=pos)
            if not apply or not result.changed or result.removed:
                for u in uses:
                    u.sql_applied = apply and result.changed
                continue
            if not self._apply_literal(lit.node, result):
                for u in uses:
                    u.sql_applied = False
                self.find(lit.node, "sql", sql[:80], result.sql[:80],
                          "the new SQL could not be written into this literal (it overlaps another "
                          "change): apply it by hand", needs_look=True, applied=False)

    def _pieces(self, node: ast.Constant) -> list[StringPiece] | None:
        s, e = self.span(node)
        return string_pieces(self.src, s, e)

    def _literal_offsets(self, node: ast.Constant) -> list[int]:
        """Source offset of each character of the literal's value (plus one past the end)."""
        pieces = self._pieces(node)
        if not pieces:
            return []
        out: list[int] = []
        for p in pieces:
            starts, _ends = _unit_map(self.src, p)
            out.extend(starts[:-1])
        out.append(pieces[-1].end - len(pieces[-1].quote))
        return out

    def _apply_literal(self, node: ast.Constant, result: SqlResult) -> bool:
        pieces = self._pieces(node)
        if pieces is None:
            return False
        maps = [_unit_map(self.src, p) for p in pieces]
        bounds: list[tuple[int, int]] = []  # value ranges of the pieces
        pos = 0
        for p in pieces:
            bounds.append((pos, pos + len(p.value)))
            pos += len(p.value)
        per_piece: dict[int, list[tuple[int, int, str]]] = {}
        for ed in result.edits:
            k = next((i for i, (a, b) in enumerate(bounds)
                      if a <= ed.start and ed.end <= b and (ed.start < b or ed.start == ed.end)), None)
            if k is None:
                return self._replace_whole_literal(node, pieces, result.sql)
            per_piece.setdefault(k, []).append((ed.start - bounds[k][0], ed.end - bounds[k][0], ed.text))
        planned: list[tuple[int, int, str]] = []
        for k, edits in per_piece.items():
            p = pieces[k]
            starts, ends = maps[k]
            expected = _apply_value_edits(p.value, edits)
            done = False
            # Escape as little as the quotes allow; check by evaluating the new literal.
            for minimal in (True, False):
                spans = []
                for vs, ve, text in edits:
                    src_start = starts[vs]
                    src_end = ends[ve - 1] if ve > vs else src_start
                    escaped = _escape_for(text, p, minimal)
                    if escaped is None:
                        break
                    spans.append((src_start, src_end, escaped))
                else:
                    if _evaluates_to(self.src, p, spans, expected):
                        planned.extend(spans)
                        done = True
                        break
            if not done:
                return self._replace_whole_literal(node, pieces, result.sql)
        try:
            for s, e, text in planned:
                self.buf.add(s, e, text)
        except EditConflict:
            return False
        return True

    def _replace_whole_literal(self, node: ast.Constant, pieces: list[StringPiece], sql: str) -> bool:
        first = pieces[0]
        quote = first.quote if ("\n" not in sql or len(first.quote) == 3) else '"""'
        s, e = self.span(node)
        return self.buf.try_add(s, e, encode_string(sql, first.prefix, quote))

    def _removable(self, ex: Exec) -> bool:
        return not ex.value_used and self.index.starts_line(self.span(ex.stmt)[0]) \
            and self.index.ends_line(self.span(ex.stmt)[1])



def _unit_map(source: str, piece: StringPiece) -> tuple[list[int], list[int]]:
    """For each character of the piece's value: where it starts and ends in the source."""
    body_start = piece.body_start
    body_end = piece.end - len(piece.quote)
    starts: list[int] = []
    ends: list[int] = []
    i = body_start
    if piece.raw:
        for i in range(body_start, body_end):
            starts.append(i)
            ends.append(i + 1)
        starts.append(body_end)
        return starts, ends
    while i < body_end:
        ch = source[i]
        if ch != "\\":
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        nxt = source[i + 1] if i + 1 < body_end else ""
        if nxt in "\r\n":  # line continuation: no character in the value
            i += 3 if source[i + 1:i + 3] == "\r\n" else 2
            continue
        length = 2
        if nxt == "x":
            length = 4
        elif nxt == "u":
            length = 6
        elif nxt == "U":
            length = 10
        elif nxt == "N":
            close = source.find("}", i)
            length = close - i + 1 if close != -1 else 2
        elif nxt in "01234567":
            length = 2
            while length < 4 and i + length < body_end and source[i + length] in "01234567":
                length += 1
        elif nxt not in "\\'\"abfnrtv":
            # An unknown escape keeps its backslash: two characters in the value.
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        starts.append(i)
        ends.append(i + length)
        i += length
    starts.append(body_end)
    return starts, ends


def _escape_for(text: str, piece: StringPiece, minimal: bool = True) -> str | None:
    """``text`` as it must be written inside this piece's quotes; None if it cannot be."""
    q = piece.quote[0]
    triple = len(piece.quote) == 3
    if piece.raw:
        if "\\" in text or (not triple and ("\n" in text or q in text)) or (triple and q in text):
            return None
        return text
    out = text.replace("\\", "\\\\")
    if not triple:
        out = out.replace("\n", "\\n").replace("\r", "\\r")
    if triple and minimal:
        return out  # a lone quote inside triple quotes needs no backslash (checked by the caller)
    return out.replace(q, "\\" + q)


def _apply_value_edits(value: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, text in sorted(edits, key=lambda x: (x[0], x[1] != x[0])):
        out.append(value[pos:s])
        out.append(text)
        pos = e
    out.append(value[pos:])
    return "".join(out)


def _evaluates_to(source: str, piece: StringPiece, spans: list[tuple[int, int, str]], expected: str) -> bool:
    out, pos = [], piece.start
    for s, e, text in sorted(spans, key=lambda x: (x[0], x[1] != x[0])):
        out.append(source[pos:s])
        out.append(text)
        pos = e
    out.append(source[pos:piece.end])
    try:
        return ast.literal_eval("".join(out)) == expected
    except (ValueError, SyntaxError):
        return False
