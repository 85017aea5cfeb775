"""When a SQLite value and a PostgreSQL value are the same thing, in two modes named for
what they do: :func:`same_stored` (exact: a converted value against what PostgreSQL stored,
for sampled rows) and :func:`values_equal` (tolerant: two answers to a query, floats within
REL_TOL, numbers across types), plus the normalisations each side's types need and
row-set comparison."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.pgtype import PgType
from sqlite2pg_tui.core.verify.results import DIFFERENCES_KEPT, REL_TOL, show

if TYPE_CHECKING:  # (sqlglot, which a run without [[checks]] queries never needs)
    from sqlite2pg_tui.core.sql import query_translate


def as_utc(v: datetime) -> datetime:
    """Timestamps compared as naive UTC: a value without an offset is taken as UTC, as the
    timestamptz converter and the UTC session read it."""
    return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v


def norm_pg(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, datetime):
        return as_utc(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _coerce(v: Any, like: Any) -> Any:
    """A SQLite value in the type PostgreSQL answered with, when it reads as one."""
    if v is None or like is None:
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(like, datetime) and isinstance(v, str):
        try:
            return as_utc(converters.parse_iso(v)[0])
        except ValueError:
            return v
    if isinstance(like, datetime) and isinstance(v, datetime):
        return as_utc(v)
    if type(like) is date and isinstance(v, str):
        try:
            dt, has_time, _ = converters.parse_iso(v)
        except ValueError:
            return v
        return dt.date() if not has_time or dt.time() == datetime.min.time() else v
    if type(like) is date and isinstance(v, datetime):
        return v.date() if v.time() == datetime.min.time() else v
    if isinstance(like, dict | list) and isinstance(v, str | bytes):
        try:
            return json.loads(v)
        except ValueError:
            return v
    if isinstance(like, bytes) and isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    if isinstance(like, str) and isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v
    if isinstance(like, int | float | Decimal) and isinstance(v, str):
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            return v
    if isinstance(like, str) and isinstance(v, int | float) and _UUID_RE.fullmatch(like) is None:
        return v  # numbers vs text: compared below, as numbers when the text is one
    if isinstance(like, str) and isinstance(v, str) and _UUID_RE.fullmatch(like):
        return v.lower()
    return v


_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _number(v: Any) -> Decimal | float | None:
    if isinstance(v, bool):
        return int(v)  # type: ignore[return-value]
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float | Decimal):
        return v
    if isinstance(v, str):
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            return None
    return None


def values_equal(a: Any, b: Any, rel_tol: float = REL_TOL) -> bool:
    """One SQLite value (already coerced) against one PostgreSQL value (normalised)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, datetime) and isinstance(b, datetime):
        return as_utc(a) == as_utc(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        if isinstance(na, float) or isinstance(nb, float):
            fa, fb = float(na), float(nb)
            if math.isnan(fa) or math.isnan(fb):
                return math.isnan(fa) and math.isnan(fb)
            return math.isclose(fa, fb, rel_tol=rel_tol, abs_tol=1e-12)
        if na.is_nan() or nb.is_nan():  # type: ignore[union-attr]
            return na.is_nan() and nb.is_nan()  # type: ignore[union-attr]
        return na == nb
    if isinstance(a, dict | list) and isinstance(b, dict | list):
        return _json_equal(a, b)
    return bool(a == b)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return values_equal(a, b)


def _stored_form(v: Any) -> Any:
    """One comparable form for both sides: bool/int, timestamps in UTC, JSON parsed."""
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC)
    if isinstance(v, Decimal) and v.is_finite():
        return v.normalize()
    return v


def same_stored(expected: Any, got: Any, pg_type: str) -> bool:
    """Exact: a converted value against what PostgreSQL holds for it (the sampled rows).
    Only spellings differ (JSON parsed, one IPv6 spelling, UTC); no tolerance."""
    base = PgType.of(pg_type).name
    if base in ("jsonb", "json") and isinstance(expected, str):
        try:
            return json.loads(expected) == got  # psycopg2 hands json/jsonb over parsed
        except ValueError:
            return False
    if base in ("inet", "cidr") and isinstance(expected, str) and isinstance(got, str):
        try:  # one spelling per address (IPv6 has several)
            return ipaddress.ip_interface(expected) == ipaddress.ip_interface(got)
        except ValueError:
            return False
    e, g = _stored_form(expected), _stored_form(got)
    if isinstance(e, float) and isinstance(g, float):
        return e == g or (math.isnan(e) and math.isnan(g))
    if isinstance(e, Decimal) and isinstance(g, float | int):
        return float(e) == float(g)
    if type(e) is date and isinstance(g, datetime):
        return False
    return e == g


def _sort_key(v: Any) -> tuple[int, Any]:
    """A total order over normalised values; floats rounded so near-equal ones sit together."""
    if v is None:
        return (0, 0)
    n = _number(v) if not isinstance(v, str) else None
    if n is not None:
        f = float(n)
        if isinstance(n, float) or isinstance(v, float):
            return (1, float(f"{f:.9g}") if math.isfinite(f) else f)
        return (1, n)
    if isinstance(v, datetime):
        return (2, v.isoformat())
    if isinstance(v, date):
        return (2, v.isoformat())
    if isinstance(v, bytes):
        return (3, v.hex())
    if isinstance(v, dict | list):
        return (4, json.dumps(v, sort_keys=True, default=str))
    return (5, str(v))


def _row_key(row: Sequence[Any], approximate: list[bool]) -> tuple[Any, ...]:
    out = []
    for v, approx in zip(row, approximate, strict=True):
        k = _sort_key(v)
        if approx and k[0] == 1 and math.isfinite(float(k[1])):
            k = (1, float(f"{float(k[1]):.9g}"))
        out.append(k)
    return tuple(out)


def compare_rows(srows: list[tuple[Any, ...]], prows: list[tuple[Any, ...]], ordered: bool,
                 hints: list[query_translate.OutputHint] | None = None,
                 null_on_reject: set[int] | None = None) -> tuple[bool, list[dict[str, Any]], str]:
    """(equal, the first differences, a note) for two result sets of the same width."""
    hints = hints or []
    width = len(prows[0]) if prows else (len(srows[0]) if srows else 0)
    pg = [tuple(norm_pg(v) for v in r) for r in prows]
    # Per column, what PostgreSQL answered with (its first non-NULL value) tells SQLite's type.
    like: list[Any] = [next((r[i] for r in pg if r[i] is not None), None) for i in range(width)]
    convert: list[Callable[[Any], Any] | None] = []
    separators: list[str | None] = []
    for i in range(width):
        h = hints[i] if i < len(hints) else None
        convert.append(converter_of(h.column, null_on_reject is not None and i in null_on_reject)
                       if h is not None and h.column is not None else None)
        separators.append(h.separator if h is not None else None)
    sq: list[tuple[Any, ...]] = []
    for r in srows:
        out = []
        for i, v in enumerate(r):
            c = convert[i]
            if c is not None:
                v = norm_pg(c(v))
            out.append(_coerce(v, like[i]))
        sq.append(tuple(out))
    for i, sep in enumerate(separators):  # GROUP_CONCAT order is arbitrary on both sides
        if sep is not None:
            sq = [r[:i] + (_parts(r[i], sep),) + r[i + 1:] for r in sq]
            pg = [r[:i] + (_parts(r[i], sep),) + r[i + 1:] for r in pg]
    approximate = [any(isinstance(r[i], float) for r in sq) or any(isinstance(r[i], float) for r in pg)
                   for i in range(width)]
    note = ""
    if not ordered:
        sq.sort(key=lambda r: _row_key(r, approximate))
        pg.sort(key=lambda r: _row_key(r, approximate))
    diffs: list[dict[str, Any]] = []
    for i in range(max(len(sq), len(pg))):
        a = sq[i] if i < len(sq) else None
        b = pg[i] if i < len(pg) else None
        if a is None or b is None or not all(values_equal(x, y) for x, y in zip(a, b, strict=True)):
            diffs.append({"row": i, "sqlite": None if a is None else [show(v) for v in a],
                          "postgres": None if b is None else [show(v) for v in b]})
            if len(diffs) >= DIFFERENCES_KEPT:
                break
    if diffs and ordered and len(sq) == len(pg):
        same = compare_rows(srows, prows, False, hints, null_on_reject)[0]
        if same:
            note = ("the same rows in a different order (ties in ORDER BY are ordered freely by "
                    "each database, and text may sort differently: add a tie-breaker)")
    return not diffs, diffs, note


def _parts(v: Any, sep: str) -> Any:
    if not isinstance(v, str):
        return v
    return tuple(sorted(v.split(sep)))


def converter_of(cm: ColumnMapping, null_on_reject: bool) -> Callable[[Any], Any]:
    fn = converters.build(cm.converter, cm.options)
    base = PgType.of(cm.pg_type).name

    def conv(v: Any) -> Any:
        if v is None:
            return None
        try:
            got = fn(v)
        except converters.Reject:
            return None if null_on_reject else v
        if base == "jsonb" and isinstance(got, str):
            try:
                return json.loads(got)
            except ValueError:
                return got
        return got

    return conv
