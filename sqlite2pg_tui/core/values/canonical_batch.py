"""Canonical texts a whole batch column at a time, for the full-table checksum.

A column's converter names the batch shape its clean values come in (its ``canonical``
capability: ISO timestamps, 0/1 booleans, plain text…). For a batch whose raw SQLite values
are all of that shape, the canonical texts come straight from the raw values, with C-speed
builtins (``set(map(type, col))``, joins, one regex over the joined column); any other
batch returns None and every value goes through the converter and canon() (canonical.py).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.canonical_json import (
    HasFloat,
    flat_batch_pattern,
    jsonb_plain,
    jsonb_text,
)

if TYPE_CHECKING:
    from sqlite2pg_tui.core.values.canonical import Kind

Fast = Callable[[Sequence[Any]], "list[str] | None"]
_NONE = type(None)

# ISO shapes PostgreSQL reads exactly as the converters do.
ISO_DATE = r"(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
ISO_TIME = r"[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
DATE_RE = re.compile(ISO_DATE)
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def real_days(vals: list[str]) -> bool:
    """True when every ISO date (first 10 characters) exists: days 29-31 only in some months."""
    for v in vals:
        if v[8:10] > "28":
            try:
                datetime(int(v[:4]), int(v[5:7]), int(v[8:10]))
            except ValueError:
                return False
    return True


_TS_RE = re.compile(ISO_DATE + f"(?:{ISO_TIME})?" + r"(?:Z|[+-]00:?00)?")
_BOOL = {0: "false", 1: "true", None: ""}
# The commonest stored shape, 'YYYY-MM-DD HH:MM:SS' (or with T), checked for a whole batch in
# one regex over the joined column; real month lengths are in the pattern, only 29 February
# needs a look at the year.
_TS19 = (r"(?!0000)\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
         r"|02-(?:0[1-9]|1\d|2\d))[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d")
_TS19_BATCH = re.compile(f"(?:{_TS19}\n)*{_TS19}")


_TS_PARTS = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?)?")


def _ts_from_text(s: str) -> str:
    """Canonical timestamp text of an ISO text already matched by _TS_RE."""
    if len(s) == 19:  # the common shapes first: no fraction, no offset
        return s if s[10] == " " else s[:10] + " " + s[11:]
    if len(s) == 10:
        return s + " 00:00:00"
    m = _TS_PARTS.match(s)
    assert m is not None
    day, time, frac = m.groups()
    out = day + " " + (time or "00:00:00")
    frac = (frac or "").rstrip("0")
    return out + "." + frac if frac else out


def _strings(col: Sequence[Any]) -> tuple[list[str], bool] | None:
    """(the non-NULL values, whether there were NULLs) of an all-text batch; None otherwise."""
    t = set(map(type, col))
    if not t <= {str, _NONE}:
        return None
    return ([v for v in col if v is not None], True) if _NONE in t else (list(col), False)


def _shaped(pattern: re.Pattern[str], days: bool, fix: Callable[[str], str] | None) -> Fast:
    """Text passed on (``fix``-ed) when every value has the pattern's shape (and real days)."""
    def fmt(col: Sequence[Any]) -> list[str] | None:
        got = _strings(col)
        if got is None:
            return None
        vals, has_null = got
        if not all(map(pattern.fullmatch, vals)) or (days and not real_days(vals)):
            return None
        return _fill(col, vals if fix is None else [fix(s) for s in vals], has_null)

    return fmt


def _unchanged(probe: str, lossless: bool, json: bool) -> bool:
    """Whether the joined values pass through their converter unchanged: no NUL (for JSON
    no escaped one either) and, read losslessly, no invalid UTF-8: those are the converter's."""
    if "\x00" in probe or (json and "\\u0000" in probe):
        return False
    if lossless:
        try:
            probe.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _fill(col: Sequence[Any], vals: list[str], has_null: bool) -> list[str]:
    if not has_null:
        return vals
    it = iter(vals)
    return ["" if v is None else next(it) for v in col]


def fast_formatter(cm: ColumnMapping, kind: Kind, lossless: bool) -> Fast | None:
    """A column-at-a-time formatter for batches whose raw SQLite values are all of a kind the
    converter passes through unchanged; it returns None for any other batch (then every
    value goes through the converter). What it returns equals, value for value, what
    ``canon(kind)(converter(v))`` gives: tests/test_checksum_canonical.py holds it to that."""
    conv = converters.REGISTRY.get(cm.converter)
    shape, k = (conv.canonical if conv is not None else None), kind.name

    def types_of(col: Sequence[Any]) -> set[type]:
        return set(map(type, col))

    if shape == "int" and k == "int":
        def ints(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {int, _NONE}:
                return None
            return ["" if v is None else str(v) for v in col] if _NONE in t else list(map(str, col))
        return ints
    if shape == "bool01" and k == "bool":
        def bools(col: Sequence[Any]) -> list[str] | None:
            if not types_of(col) <= {int, _NONE} or not set(col) <= {0, 1, None}:
                return None
            return list(map(_BOOL.__getitem__, col))
        return bools
    if shape == "float" and k == "float8":
        def floats(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {float, int, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else col
            h = struct.pack(f">{len(vals)}d", *vals).hex()
            return _fill(col, [h[i:i + 16] for i in range(0, len(h), 16)], _NONE in t)
        return floats
    if shape == "int_numeric" and k == "numeric":
        suffix = "" if not kind.scale else "." + "0" * kind.scale

        def numerics(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {int, _NONE}:
                return None
            return ["" if v is None else str(v) + suffix for v in col]
        return numerics
    if shape == "text" and k == "text":
        max_len = {**conv.options, **cm.options}.get("length")  # type: ignore[union-attr]
        limit = int(max_len) if max_len is not None else None

        def texts(col: Sequence[Any]) -> list[str] | None:
            got = _strings(col)
            if got is None:
                return None
            vals, has_null = got
            if not _unchanged("\x01".join(vals), lossless, False):
                return None
            if limit is not None and vals and max(map(len, vals)) > limit:
                return None
            return _fill(col, [f"{len(s)}:{s}" for s in vals], has_null)
        return texts
    if shape == "iso_stamp" and k in ("timestamp", "timestamptz") and kind.precision is None \
            and cm.options.get("assume", "UTC") == "UTC":
        suffix = "+00" if k == "timestamptz" else ""
        # The timestamp converter refuses non-zero offsets, timestamptz converts them: both
        # go through the converter. A zero offset (Z, +00:00) means the same to both.
        pattern = _TS_RE

        def stamps(col: Sequence[Any]) -> list[str] | None:
            got = _strings(col)
            if got is None:
                return None
            vals, has_null = got
            joined = "\n".join(vals)
            # Every value 19 characters (so no newline inside one) and of the common shape.
            if vals and len(joined) == 20 * len(vals) - 1 and _TS19_BATCH.fullmatch(joined) and (
                    "-02-29" not in joined or real_days([v for v in vals if v[5:10] == "02-29"])):
                if "T" in joined:
                    joined = joined.replace("T", " ")
                if suffix:
                    joined = joined.replace("\n", suffix + "\n") + suffix
                return _fill(col, joined.split("\n"), has_null)
            if not all(map(pattern.fullmatch, vals)) or not real_days(vals):
                return None
            out = [_ts_from_text(s) for s in vals]
            if suffix:
                out = [s + suffix for s in out]
            return _fill(col, out, has_null)
        return stamps
    if shape == "iso_date" and k == "date":
        return _shaped(DATE_RE, True, None)
    if shape == "uuid" and k == "uuid":
        return _shaped(UUID_RE, False, str.lower)
    if shape == "blob" and k == "bytea":
        def blobs(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {bytes, _NONE}:
                return None
            return ["" if v is None else "\\x" + v.hex() for v in col]
        return blobs
    if shape == "json" and k == "jsonb":
        def jsons(col: Sequence[Any]) -> list[str] | None:
            got = _strings(col)
            if got is None:
                return None
            vals, has_null = got
            probe = "\n".join(vals)
            if not _unchanged(probe, lossless, True):
                return None
            pattern = flat_batch_pattern(vals[0]) if vals else None
            if pattern is not None and probe.count("\n") == len(vals) - 1 and pattern.fullmatch(probe):
                return _fill(col, vals, has_null)
            out = []
            try:
                for s in vals:
                    try:
                        out.append(jsonb_plain(s))
                    except HasFloat:
                        out.append(jsonb_text(s))
            except (ValueError, RecursionError):
                return None  # not JSON (or NaN/Infinity): the converter decides
            return _fill(col, out, has_null)
        return jsons
    return None
