"""jsonb's own text output, reproduced in Python: keys ordered by byte length then bytes,
the last duplicate kept, numbers as numeric prints them, ``", "`` and ``": "`` separators.
The checksum's canonical text of a jsonb value (canonical.py) is this text."""

from __future__ import annotations

import json
import json.scanner
import re
from decimal import Decimal
from typing import Any

from sqlite2pg_tui.core.values.copy_format import numeric_text


class HasFloat(Exception):  # noqa: N818 - control flow: this value needs the exact route
    pass


def _no_float(_s: str) -> Any:
    raise HasFloat


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_loads_plain = json.JSONDecoder(parse_float=_no_float, parse_constant=reject_constant).decode
_loads_exact = json.JSONDecoder(parse_float=Decimal, parse_constant=reject_constant).decode
try:  # the C encoder without JSONEncoder's per-call set-up: a third of the time
    from json.encoder import c_make_encoder, encode_basestring

    if c_make_encoder is None:
        raise ImportError
    _c_encode = c_make_encoder(None, None, encode_basestring, None, ": ", ", ", False, False, False)

    def _encode(o: Any) -> str:
        return "".join(_c_encode(o, 0))
except ImportError:  # pragma: no cover - other Pythons
    _encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False).encode

_ORDERED = ()  # cached for key tuples already in jsonb's order
_key_orders: dict[tuple[str, ...], tuple[str, ...]] = {}
_CONTAINERS = {dict, list}


def _jsonb_key(k: str) -> tuple[int, bytes]:
    b = k.encode("utf-8", "surrogatepass")
    return len(b), b


def _ordered(o: Any) -> Any:
    """Objects re-ordered as jsonb stores them (byte length, then bytes), recursively.
    The usual row (one flat object, keys in a repeating order) costs two lookups."""
    t = type(o)
    if t is dict:
        keys = tuple(o)
        order = _key_orders.get(keys)
        if order is None:
            order = tuple(sorted(keys, key=_jsonb_key))
            if order == keys:
                order = _ORDERED
            if len(_key_orders) < 10_000:
                _key_orders[keys] = order
        if _CONTAINERS.isdisjoint(map(type, o.values())):
            return o if order is _ORDERED else {k: o[k] for k in order}
        return {k: _ordered(o[k]) for k in (keys if order is _ORDERED else order)}
    if t is list:
        if _CONTAINERS.isdisjoint(map(type, o)):
            return o
        return [_ordered(x) for x in o]
    return o


_NUM_MARK = "\x00n"  # strings never hold NUL (jsonb refuses it), so the mark is unambiguous
_NUM_RE = re.compile(r'"\\u0000n([^"]*)"')


def _marked(o: Any) -> Any:
    if type(o) is dict:
        return {k: _marked(v) for k, v in o.items()}
    if type(o) is list:
        return [_marked(x) for x in o]
    if type(o) is Decimal:
        return _NUM_MARK + numeric_text(o, None)
    return o


_scan_plain = json.scanner.make_scanner(  # type: ignore[attr-defined]
    json.JSONDecoder(parse_float=_no_float, parse_constant=reject_constant))
_JSON_WS = " \t\n\r"


def jsonb_plain(s: str) -> str:
    """jsonb's text of a JSON text without fractions or exponents (else HasFloat);
    ValueError when it is not JSON. The scanner directly: decode() costs twice as much."""
    try:
        o, end = _scan_plain(s, 0)
    except StopIteration:
        return _encode(_ordered(_loads_plain(s)))  # leading blanks, or not JSON: decode() says
    if end != len(s) and s[end:].strip(_JSON_WS):
        raise ValueError("extra data after the JSON value")
    return _encode(_ordered(o))


def jsonb_text(v: Any) -> str:
    """PostgreSQL's ``jsonb::text`` of a JSON text."""
    if not isinstance(v, str):
        v = json.dumps(v)
    try:
        return jsonb_plain(v)
    except HasFloat:
        # Numbers with a fraction or exponent: numeric keeps their written scale.
        return _NUM_RE.sub(r"\1", _encode(_marked(_ordered(_loads_exact(v)))))


# jsonb's text of a flat object, piece by piece: a batch already written that way (keys in
# jsonb's order, ", " and ": ", canonical escapes and numbers) is its own canonical text.
_J_STR = r'"(?:[^"\\\x00-\x1f]|\\["\\bfnrt]|\\u00(?:0[1-7bef]|1[0-9a-f]))*"'
_J_NUM = r"(?:-?[1-9]\d*|0)(?:\.\d+)?|-0\.\d*[1-9]\d*"
_J_SCALAR = f"(?:{_J_STR}|{_J_NUM}|true|false|null)"
_flat_batches: dict[tuple[str, ...], re.Pattern[str]] = {}


def flat_batch_pattern(first: str) -> re.Pattern[str] | None:
    """A regex matching a newline-joined batch of canonical flat objects with the keys of
    ``first`` (None when ``first`` is not a flat object)."""
    try:
        o = _loads_plain(first)
    except (HasFloat, ValueError, RecursionError):
        o = _loads_exact(first) if first.lstrip().startswith("{") else None
    if type(o) is not dict or not o or not _CONTAINERS.isdisjoint(map(type, o.values())):
        return None
    keys = tuple(sorted(o, key=_jsonb_key))
    pat = _flat_batches.get(keys)
    if pat is None:
        one = r"\{" + ", ".join(re.escape(_encode(k)) + ": " + _J_SCALAR for k in keys) + r"\}"
        pat = re.compile(f"(?:{one}\n)*{one}")
        if len(_flat_batches) < 1000:
            _flat_batches[keys] = pat
    return pat
