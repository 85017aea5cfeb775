"""Numbers: integers (bigint, and integer/smallint by their range), double precision, and
exact decimals (numeric, numeric(p,s), and text like '1,234.50')."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.converters.base import (
    INT64_MAX,
    INT64_MIN,
    Convert,
    Converter,
    Reject,
    SqlForm,
    get,
    register,
)
from sqlite2pg_tui.core.values.pgtype import PgType

INT_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


def _make_integer(opts: dict[str, Any]) -> Convert:
    lo, hi = opts.get("min"), opts.get("max")
    if lo is not None or hi is not None:  # integer/smallint columns: a narrower range
        wide = _make_integer({})
        lo, hi = int(lo if lo is not None else INT64_MIN), int(hi if hi is not None else INT64_MAX)

        def narrow(v: Any) -> int:
            n = wide(v)
            if not lo <= n <= hi:
                raise Reject(f"outside the column's range ({lo} to {hi})")
            return n

        return narrow

    def conv(v: Any) -> int:
        if type(v) is int:
            if INT64_MIN <= v <= INT64_MAX:
                return v
            raise Reject("outside the 64-bit integer range")
        if isinstance(v, float):
            if v.is_integer() and INT64_MIN <= v <= INT64_MAX:
                return int(v)
            raise Reject("has a fractional part" if math.isfinite(v) else "is infinite or NaN")
        if isinstance(v, str):
            if INT_TEXT.match(v):
                n = int(v)
                if INT64_MIN <= n <= INT64_MAX:
                    return n
                raise Reject("outside the 64-bit integer range")
            try:
                f = float(v)
            except ValueError:
                raise Reject("not a number") from None
            if math.isfinite(f) and f.is_integer():
                return int(f)
            raise Reject("has a fractional part" if math.isfinite(f) else "is infinite or NaN")
        raise Reject("a blob, not a number")

    return conv


_FLOAT_WORDS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}


def _make_real(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> float:
        if isinstance(v, float):
            return v
        if type(v) is int:
            return float(v)
        if isinstance(v, str):
            s = v.strip()
            if s.lower() in _FLOAT_WORDS:
                return _FLOAT_WORDS[s.lower()]
            try:
                return float(s)
            except ValueError:
                raise Reject("not a number") from None
        raise Reject("a blob, not a number")

    return conv


_MONEY = re.compile(r"^\s*\(?\s*([+-]?)\s*[$€£¥]?\s*([+-]?)\s*([\d,]*\.?\d*)\s*[$€£¥]?\s*\)?\s*$")


def fit_numeric(d: Decimal, precision: int | None, scale: int | None) -> Decimal:
    """``d`` as numeric(precision, scale) holds it, or Reject: never rounded silently."""
    if precision is None:
        return d
    scale = scale or 0
    if not d.is_finite():
        raise Reject(f"numeric({precision},{scale}) cannot hold {d}")
    try:
        q = d.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        raise Reject(f"too large for numeric({precision},{scale})") from None
    if q != d:
        raise Reject(f"has more than {scale} decimal place(s); numeric({precision},{scale}) "
                     "would round it")
    if q.adjusted() >= precision - scale:
        raise Reject(f"too large for numeric({precision},{scale}) "
                     f"(at most {precision - scale} digit(s) before the point)")
    return q


def _make_numeric(opts: dict[str, Any]) -> Convert:
    loose = bool(opts.get("loose"))
    precision, scale = opts.get("precision"), opts.get("scale")
    if precision is not None:  # numeric(p,s): what does not fit exactly is refused, not rounded
        exact = _make_numeric({**opts, "precision": None})
        return lambda v: fit_numeric(exact(v), int(precision), int(scale or 0))

    def conv(v: Any) -> Decimal:
        if type(v) is int:
            return Decimal(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                return Decimal(repr(v).replace("inf", "Infinity"))
            return Decimal(repr(v))
        if isinstance(v, str):
            s = v.strip()
            if loose:
                m = _MONEY.match(s)
                if m and m.group(3) and re.search(r"\d", m.group(3)):
                    neg = "-" in (m.group(1), m.group(2)) or (s.startswith("(") and s.endswith(")"))
                    s = ("-" if neg else "") + m.group(3).replace(",", "")
            try:
                return Decimal(s)
            except InvalidOperation:
                raise Reject("not a number") from None
        raise Reject("a blob, not a number")

    return conv


_INT_ARROW = {"bigint": "int64", "int8": "int64", "integer": "int32", "int": "int32",
              "int4": "int32", "smallint": "int16", "int2": "int16"}
_INT_BITS = {"int64": 64, "int32": 32, "int16": 16}


def _integer_vector(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    arrow = _INT_ARROW.get(pg.name)
    if arrow is None or pg.array:
        return None
    bits = _INT_BITS[arrow]
    lo, hi = int(opts.get("min", INT64_MIN)), int(opts.get("max", INT64_MAX))
    if lo < -(2 ** (bits - 1)) or hi > 2 ** (bits - 1) - 1:
        return None  # a range wider than the column's: PostgreSQL, not the converter, refuses

    def make() -> Any:
        return getattr(vectors.pyarrow(), arrow)()

    vec = vectors.same if arrow == "int64" and (lo, hi) == (INT64_MIN, INT64_MAX) \
        else vectors.int_range(lo, hi, make)
    return vectors.Form("integer", make, vec)


def _real_vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name not in ("double precision", "float8") or pg.array:
        return None
    return vectors.Form("real", lambda: vectors.pyarrow().float64(), vectors.same)


def _numeric_vector(name: str, storage: str) -> Any:
    def form(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
        if pg.name not in ("numeric", "decimal") or pg.array:
            return None
        # numeric keeps each value's own scale, which no Arrow decimal type does: the
        # values are written in numeric's binary form one by one.
        return vectors.per_value(get(name), opts, storage,
                                 lambda: vectors.pyarrow().binary(), vectors.numeric_binary)

    return form


register(Converter("integer", "integer", "Integers; whole REALs and integer text accepted.",
                   "bigint", _make_integer, fits={"bigint": 0, "integer": 0, "smallint": 0},
                   limits="range", check="integer", sql=SqlForm(integer=True),
                   vector=_integer_vector, canonical="int", profile_dirt="parses"))
register(Converter("real", "double precision", "Floating point, exactly as SQLite stored it.",
                   "double precision", _make_real, fits={"double precision": 0}, check="number",
                   vector=_real_vector, canonical="float", profile_dirt="parses"))
register(Converter("numeric", "numeric", "Exact decimal numbers from integers, reals or text.",
                              "numeric", _make_numeric, fits={"numeric": 0}, limits="precision", measured_by="real",
                              check="number", sql=SqlForm(numeric_affinity=True),
                              vector=_numeric_vector("numeric", "real"), canonical="int_numeric"))
register(Converter("numeric_loose", "numeric from '1,234.50'",
                             "Decimal numbers with thousands separators and currency symbols removed.",
                             "numeric", lambda o: _make_numeric({**o, "loose": True}), alters=True,
                             fits={"numeric": 1}, limits="precision",
                             sql=SqlForm(numeric_affinity=True),
                             vector=_numeric_vector("numeric_loose", "text")))
