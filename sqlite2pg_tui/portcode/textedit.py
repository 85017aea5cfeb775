"""Edits by position on a text that is never re-printed as a whole.

Both the SQL and the Python rewriting work the same way: small edits are recorded
against offsets of the original text, and bigger, structural rewrites (a function call
rebuilt around its arguments, a statement wrapped in a ``with`` block) are built from the
original text *with the edits inside them already applied*, then replace those edits.
Everything outside an edit stays byte-for-byte what the author wrote.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


class EditConflict(ValueError):
    """Two edits touch overlapping text; the later one is not applied."""


@dataclass
class Edit:
    start: int
    end: int  # exclusive; start == end is an insertion
    text: str
    order: int = 0  # among insertions at the same offset, lower goes first


def _inside(e: Edit, start: int, end: int) -> bool:
    # An insertion exactly at a boundary belongs to the text around the range, not to it.
    if e.start == e.end:
        return start < e.start < end
    return start <= e.start and e.end <= end


class EditBuffer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[Edit] = []

    def __bool__(self) -> bool:
        return bool(self.edits)

    def overlaps(self, start: int, end: int) -> bool:
        for e in self.edits:
            if e.start == e.end or start == end:
                if start < e.start < end or e.start < start < e.end:
                    return True
                continue
            if e.start < end and start < e.end:
                return True
        return False

    def covered(self, pos: int) -> bool:
        """Whether the character at ``pos`` is replaced by some edit."""
        return any(e.start <= pos < e.end for e in self.edits)

    def add(self, start: int, end: int, text: str, order: int = 0) -> None:
        if self.overlaps(start, end):
            raise EditConflict(f"edit {start}:{end} overlaps another")
        self.edits.append(Edit(start, end, text, order))

    def try_add(self, start: int, end: int, text: str, order: int = 0) -> bool:
        try:
            self.add(start, end, text, order)
        except EditConflict:
            return False
        return True

    def render(self, start: int = 0, end: int | None = None, *, boundaries: bool = False) -> str:
        """The text of ``[start, end)`` with the edits inside it applied.

        Insertions exactly at ``start`` or ``end`` belong to the surrounding text unless
        ``boundaries`` is set (as for the whole text).
        """
        end = len(self.text) if end is None else end
        inner = sorted((e for e in self.edits if _inside(e, start, end) or
                        (boundaries and e.start == e.end and start <= e.start <= end)),
                       key=lambda e: (e.start, e.end != e.start, e.order))
        out: list[str] = []
        pos = start
        for e in inner:
            out.append(self.text[pos:e.start])
            out.append(e.text)
            pos = e.end
        out.append(self.text[pos:end])
        return "".join(out)

    def collapse(self, start: int, end: int, text: str) -> None:
        """Replace ``[start, end)`` and every edit inside it by one edit."""
        self.edits = [e for e in self.edits if not _inside(e, start, end)]
        self.add(start, end, text)

    def result(self) -> str:
        return self.render(0, len(self.text), boundaries=True)

    def map_offset(self, pos: int, hint: str = "") -> int:
        """Where the text at ``pos`` ends up in :meth:`result`.

        Inside a replaced range the position is unknown; then ``hint`` (text that was at
        ``pos``) is looked for in the replacement, else the replacement's start is used.
        """
        shift = 0
        for e in sorted(self.edits, key=lambda e: (e.start, e.end != e.start, e.order)):
            if e.end <= pos and not (e.start == e.end == pos):
                shift += len(e.text) - (e.end - e.start)
            elif e.start <= pos < e.end:
                found = e.text.find(hint) if hint else -1
                return e.start + shift + max(found, 0)
            elif e.start > pos or (e.start == e.end == pos):
                break
        return pos + shift


# --- positions in Python source ---------------------------------------------------------

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split only at \\n, \\r\\n and \\r (as Python and patch do)."""
    return _LINE_RE.findall(text)


class LineIndex:
    """Maps ast positions (1-based line, UTF-8 byte column) to offsets in the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _LINE_RE.findall(text)
        self.starts: list[int] = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line)
        self.starts.append(pos)

    def offset(self, lineno: int, col_byte: int) -> int:
        if lineno - 1 >= len(self.lines):
            return len(self.text)
        line = self.lines[lineno - 1]
        col = len(line.encode("utf-8")[:col_byte].decode("utf-8", "ignore"))
        return self.starts[lineno - 1] + col

    def line_of(self, offset: int) -> int:
        """1-based line number of a text offset."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def line_start(self, offset: int) -> int:
        return self.starts[self.line_of(offset) - 1]

    def indent_at(self, offset: int) -> str:
        """The whitespace that begins the line holding ``offset``."""
        start = self.line_start(offset)
        m = re.match(r"[ \t]*", self.text[start:])
        return m.group(0) if m else ""

    def starts_line(self, offset: int) -> bool:
        return not self.text[self.line_start(offset):offset].strip()

    def ends_line(self, offset: int) -> bool:
        """Only whitespace, a lone semicolon or a comment follows ``offset`` on its line."""
        rest = re.match(r"[^\r\n]*", self.text[offset:])
        tail = rest.group(0).strip() if rest else ""
        tail = tail[1:].strip() if tail.startswith(";") else tail
        return not tail or tail.startswith("#")


def newline_of(text: str) -> str:
    m = re.search(r"\r\n|\r|\n", text)
    return m.group(0) if m else "\n"


def _string_rows(code: str) -> set[int]:
    """0-based rows of ``code`` that begin inside a multi-line string (never re-indented)."""
    rows: set[int] = set()
    string_types = {tokenize.STRING}
    for name in ("FSTRING_MIDDLE", "FSTRING_START", "FSTRING_END"):
        if hasattr(tokenize, name):
            string_types.add(getattr(tokenize, name))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in string_types and tok.end[0] > tok.start[0]:
                rows.update(range(tok.start[0], tok.end[0]))  # start[0] is 1-based: rows after it
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return rows


def indent_block(code: str, first_indent: str, extra: str) -> str:
    """Re-indent a statement's text by ``extra``, leaving the inside of strings alone.

    ``code`` starts at the statement's first character; its other lines carry their
    original indentation, which ``first_indent`` was the indentation of.
    """
    lines = _LINE_RE.findall(code)
    inside = _string_rows(first_indent + code)
    out = []
    for i, line in enumerate(lines):
        if i == 0:
            out.append(first_indent + extra + line)
        elif i in inside or not line.strip():
            out.append(line)
        else:
            out.append(extra + line)
    return "".join(out)


# --- Python string literals ------------------------------------------------------------

_PREFIX_RE = re.compile(r"^([rRuUbBfF]*)('''|\"\"\"|'|\")")


@dataclass
class StringPiece:
    """One string token of a (possibly implicitly concatenated) literal."""

    start: int  # offsets of the whole token in the source
    end: int
    prefix: str
    quote: str
    value: str  # what Python makes of it

    @property
    def raw(self) -> bool:
        return "r" in self.prefix.lower()

    @property
    def body_start(self) -> int:
        return self.start + len(self.prefix) + len(self.quote)

    def verbatim(self, source: str) -> bool:
        """True when the value is exactly the characters between the quotes."""
        return source[self.body_start:self.end - len(self.quote)] == self.value


def string_pieces(source: str, start: int, end: int) -> list[StringPiece] | None:
    """The string tokens of the literal at ``source[start:end]``; None if not plain strings."""
    segment = source[start:end]
    pieces: list[StringPiece] = []
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    index = LineIndex(segment)
    for tok in toks:
        if tok.type == tokenize.STRING:
            m = _PREFIX_RE.match(tok.string)
            if not m or any(c in m.group(1).lower() for c in "bf"):
                return None
            try:
                import ast

                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                return None
            s = index.starts[tok.start[0] - 1] + tok.start[1]
            e = index.starts[tok.end[0] - 1] + tok.end[1]
            pieces.append(StringPiece(start + s, start + e, m.group(1), m.group(2), value))
        elif tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER,
                          tokenize.INDENT, tokenize.DEDENT) or (tok.type == tokenize.OP and tok.string in "()"):
            continue
        else:
            return None
    return pieces or None


def encode_string(value: str, prefix: str, quote: str) -> str:
    """A literal for ``value`` in the author's quoting style, escaping only what must be."""
    triple = len(quote) == 3
    q = quote[0]
    raw_ok = ("\\" not in value or "r" in prefix.lower()) and (triple or ("\n" not in value and "\r" not in value))
    if raw_ok:
        raw_ok = (quote not in value and not value.endswith(q)) if triple else q not in value
        if "r" in prefix.lower() and value.endswith("\\"):
            raw_ok = False
    if raw_ok:
        return f"{prefix}{quote}{value}{quote}"
    body = value.replace("\\", "\\\\")
    if triple:
        body = body.replace(quote, "\\" + q * 3)
        if body.endswith(q):
            body = body[:-1] + "\\" + q
        body = body.replace("\r", "\\r")
    else:
        body = body.replace(q, "\\" + q).replace("\n", "\\n").replace("\r", "\\r")
    body = body.replace("\t", "\\t") if not triple else body
    return f"{prefix.replace('r', '').replace('R', '')}{quote}{body}{quote}"


def dedent_continuation(code: str, first_indent: str) -> str:
    """Shift the continuation lines of ``code`` so the least indented is at ``first_indent``.

    A call lifted out of a longer chain (``get_db()\\n    .execute(\\n        ...``) keeps
    the deeper indentation of its old place; moved to the start of a statement it should
    be indented like one.
    """
    lines = _LINE_RE.findall(code)
    if not lines or lines[0].rstrip() not in ("(", "[", "{"):
        return code  # continuation lines aligned with the bracket: they move with it
    inside = _string_rows(first_indent + code)
    rows = [i for i in range(1, len(lines)) if i not in inside and lines[i].strip()]
    if not rows:
        return code
    depth = min(len(lines[i]) - len(lines[i].lstrip(" ")) for i in rows)
    cut = depth - len(first_indent)
    if cut <= 0:
        return code
    return "".join(line[cut:] if i in rows else line for i, line in enumerate(lines))


_NO_SPACE_AFTER = {"(", "[", "{", "."}
_NO_SPACE_BEFORE = {")", "]", "}", ".", ",", ":", "("}


def one_line(code: str, limit: int = 99) -> str | None:
    """A multi-line statement without comments, joined into one line; None if it cannot be.

    What is left of a statement whose query moved into the ``with`` block above it is
    often a bracketed remnant (``post = (\\n    cur\\n    .fetchone()\\n)``): joined, and
    without brackets around the whole right-hand side, it reads like hand-written code.
    """
    if "\n" not in code.rstrip("\n"):
        return None
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                  tokenize.ENDMARKER)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    if any(t.type == tokenize.COMMENT or (t.type == tokenize.STRING and "\n" in t.string) for t in toks):
        return None
    out: list[str] = []
    prev = None
    for t in toks:
        if prev is not None:
            if prev.end[0] == t.start[0]:
                out.append(" " * (t.start[1] - prev.end[1]))
            elif not (prev.string in _NO_SPACE_AFTER or (t.string in _NO_SPACE_BEFORE and not (
                    t.string == "(" and prev.type != tokenize.NAME and prev.string not in (")", "]")))):
                out.append(" ")
        out.append(t.string)
        prev = t
    text = "".join(out)
    m = re.match(r"^((?:[A-Za-z_][\w.\[\]\"']*\s*=\s*)|return\s+|assert\s+)\((.*)\)$", text)
    if m and _balanced(m.group(2)):
        text = m.group(1) + m.group(2)
    return text if len(text) <= limit else None


def _balanced(text: str) -> bool:
    depth = 0
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    for t in toks:
        if t.type == tokenize.OP and t.string in "([{":
            depth += 1
        elif t.type == tokenize.OP and t.string in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
