"""Class codes of a whole Arrow array at once: what each candidate converter does with
each value, decided in C (pyarrow.compute, RE2) instead of one Python call per value.

The codes and what each one means are profile_sql's (``EFFECTS``). A code is given only
where the rule is sure, so a value whose fate needs the converter itself gets
``UNDECIDED`` and goes through the Python converters, exactly as before. Every rule below
is a condition the converters are known to share (the test corpus in
tests/test_profile_exact.py puts a value on each edge and compares with the converters).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.source.profile_sql import (
    BLOB_NOTHING,
    BOOL_AND_JSON,
    BOOL_ONLY,
    JSON_ONLY,
    JSON_PENDING,
    PLAIN_TEXT,
    UNDECIDED,
)

if TYPE_CHECKING:
    import pyarrow as pa

# str.strip() removes these from ASCII text.
WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_BOOL_ONLY_WORDS = ["t", "yes", "y", "on", "f", "no", "n", "off"]
_FLOAT_WORDS = ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan",
                "-nan"]
# ASCII punctuation that starts no number, no JSON, no date and no yes/no word (" + - . [ {
# do, or may). A value starting so is plain text unless it is UUID-long (uuid.UUID strips
# braces at both ends and drops every '-').
_PLAIN_START = r"^[!#$%&'()*,/:;<=>?@\\\]^_`|}~]"
_DAY = (r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9][0-9]|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])-"
        r"(?:0[1-9]|[12][0-9]|3[01])")
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
# Non-ASCII that float(), int(), uuid.UUID and the ISO/DMY patterns all refuse: anything but
# a number, a separator or a control/format character (those may be Unicode digits or
# whitespace, which Python reads; they are left to the converters).
_ODD = r"[^\x00-\x7f\p{N}\p{Z}\p{C}]"
# JSON nests at most this deep in SQLite; Python's parser stops at its recursion limit. A
# value shorter than this cannot nest deeper, so both say the same.
JSON_TRUSTED_LEN = 400


def json_valid_trusted() -> bool:
    """SQLite 3.42–3.44 said yes to JSON5 in json_valid(); before and after, RFC 8259 only."""
    return not (3, 42, 0) <= sqlite3.sqlite_version_info < (3, 45, 0)


def _pa() -> tuple[object, object]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


def integer_codes(a: pa.Array) -> pa.Array:
    pa, pc = _pa()
    # (two comparisons: a fraction of is_in's hashing)
    zero_one = pc.and_(pc.greater_equal(a, 0), pc.less_equal(a, 1))
    code = pc.if_else(zero_one, pa.scalar(10, pa.int8()), pa.scalar(11, pa.int8()))
    return _keep_nulls(a, code)


def real_codes(a: pa.Array) -> pa.Array:
    pa, pc = _pa()
    zero_one = pc.or_(pc.equal(a, 0.0), pc.equal(a, 1.0))
    finite = pc.is_finite(a)
    # CAST(x AS INTEGER) = x in SQLite: whole, and inside the 64-bit range (2^63 is not)
    whole = pc.and_(pc.and_(finite, pc.equal(pc.floor(a), a)),
                    pc.and_(pc.greater_equal(a, -(2.0 ** 63)), pc.less(a, 2.0 ** 63)))
    code = pc.if_else(zero_one, 12, pc.if_else(whole, 13, pc.if_else(finite, 14, 15)))
    return _keep_nulls(a, code.cast(pa.int8()))


def blob_codes(a: pa.Array) -> pa.Array:
    """Blobs no candidate reads: not 16 bytes (uuid) and not starting like JSON text."""
    pa, pc = _pa()
    n = pc.binary_length(a)
    jsonish = pc.match_substring_regex(a, r'^[ \t\n\r{\["\-0-9tfn]')
    nothing = pc.or_(pc.equal(n, 0), pc.and_(pc.not_equal(n, 16), pc.invert(jsonish)))
    return _keep_nulls(a, pc.if_else(nothing, BLOB_NOTHING, UNDECIDED).cast(pa.int8()))


# Whole shapes most text columns are made of, each decided by one or two kernels; the
# rest of a batch goes through every rule (_text_codes_general). Each shape is a subset of
# what the general rules decide the same way (no whitespace at either end, so the
# trimmed value is the value; ASCII without NUL).
_PLAIN_LONG = r"^[A-Za-z!#$%&'()*,/:;<=>?@\\\]^_`|}~](?:[\x01-\x7f]*[\x21-\x7e])?$"
# A day of the proleptic Gregorian calendar (what strptime and date() agree on), as a
# regular expression: months of 30 and 31 days, and 29 February in leap years (divisible by
# 4 and not by 100, or by 400). One RE2 pass decides the common dates, with no day-of-month
# arithmetic; ISO-looking values it refuses go through the general rules (_real_day).
_MONTH_DAY = (r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
              r"|(?:0[13578]|1[02])-31)")
_LEAP = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_REAL_DAY = (f"(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9][0-9]|[1-9][0-9]{{3}})-{_MONTH_DAY}"
             f"|{_LEAP}-02-29)")
_DATED = f"^{_REAL_DAY}(?:[Tt ]{_TIME})?$"
# RFC 8259 JSON nested at most two deep, printable ASCII only, no \u escapes (so no
# \u0000, no surrogates), no space at either end: a subset of what json.loads and SQLite's
# json_valid() both accept, at any length. Such text is JSON_ONLY at once; other JSON-looking
# text still waits for json_valid() (JSON_PENDING).
_JW = r"[ \t\n\r]*"
_JSTR = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\/bfnrt])*"'
_JSCALAR = f"(?:{_JSTR}|-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"


def _json_level(inner: str) -> str:
    """An object or an array whose members are ``inner``."""
    member = f"{_JSTR}{_JW}:{_JW}{inner}"
    return (f"(?:\\{{{_JW}(?:{member}{_JW}(?:,{_JW}{member}{_JW})*)?\\}}"
            f"|\\[{_JW}(?:{inner}{_JW}(?:,{_JW}{inner}{_JW})*)?\\])")


_JSON_STRICT = f"^(?:{_JSTR}|{_json_level(f'(?:{_JSCALAR}|{_json_level(_JSCALAR)})')})$"
_JSON_SHAPE = r'^["{\[][\x01-\x7f]*[\x21-\x7e]$'
_DIGITS = "^[0-9]{1,18}$"
_UUID_LENGTHS = (32, 36, 38)
_WORDS = _BOOL_ONLY_WORDS + _FLOAT_WORDS + ["true", "false", "null"]


def text_codes(a: pa.Array, json_ok: bool, order: list[int] | None = None) -> pa.Array:
    """Codes of valid UTF-8 text (``a`` a string array; invalid rows must be NULL here).
    ``order``: the shapes' indexes, most useful first; kept up to date for the next batch
    of the same column (a column is mostly one shape)."""
    pa, pc = _pa()
    n = len(a)
    code = pa.nulls(n, pa.int8()).fill_null(UNDECIDED)
    todo = pc.is_valid(a)
    left = n - a.null_count
    nothing = pa.repeat(False, n)
    shapes = _SHAPES if json_ok else [s for s in _SHAPES if s is not _json_shaped]
    if order is None:
        order = list(range(len(shapes)))
    elif sorted(order) != list(range(len(shapes))):
        order[:] = range(len(shapes))
    gains = []
    for k in order:
        if not left:
            break
        whole = left == n
        sub = a if whole else a.filter(todo)
        sub_code, decided = shapes[k](sub)
        got = pc.sum(decided).as_py() or 0
        gains.append((got, k))
        if not got:
            continue
        if whole and got == n:
            code = sub_code
        else:
            full = decided if whole else pc.replace_with_mask(nothing, todo, decided)
            code = pc.replace_with_mask(code, full, sub_code.filter(decided))
            todo = pc.and_(todo, pc.invert(full))
        left -= got
    if left:
        sub = a.filter(todo)
        code = pc.replace_with_mask(code, todo, _text_codes_general(sub, json_ok).fill_null(UNDECIDED))
    tried = [k for _, k in sorted(gains, key=lambda g: -g[0])]
    order[:] = tried + [k for k in order if k not in tried]
    return _keep_nulls(a, code)


def _lengths(a: pa.Array) -> pa.Array:
    _, pc = _pa()
    return pc.utf8_length(a)


def _plain_long(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Plain ASCII: no yes/no, float or JSON word, not UUID-long."""
    pa, pc = _pa()
    n = _lengths(a)
    ok = pc.and_(pc.match_substring_regex(a, _PLAIN_LONG),
                 pc.invert(pc.is_in(n, value_set=pa.array(_UUID_LENGTHS, pa.int32()))))
    short = pc.and_(ok, pc.less_equal(n, 9))
    if pc.any(short).as_py():  # (no space at either end: the value is its own word)
        ok = pc.and_(ok, pc.invert(pc.is_in(pc.utf8_lower(a), value_set=pa.array(_WORDS))))
    return pa.repeat(pa.scalar(PLAIN_TEXT, pa.int8()), len(a)), ok


def _dated(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    """ISO days and day + time of the plain shapes that are real days (see _REAL_DAY)."""
    pa, pc = _pa()
    dated = pc.match_substring_regex(a, _DATED)
    if not pc.any(dated).as_py():
        return pa.nulls(len(a), pa.int8()), dated
    # Matched values are ASCII, 10 or 19 long: bytes are characters, and a stamp's time is
    # its last 8.
    stamp = pc.greater(pc.binary_length(a), 10)
    midnight = pc.ends_with(a, "00:00:00")
    code = pc.if_else(stamp, pc.if_else(midnight, 21, 22), 20).cast(pa.int8())
    return code, dated


def _json_strict(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    """JSON both parsers accept (_JSON_STRICT), not UUID-long: JSON_ONLY without asking
    SQLite."""
    pa, pc = _pa()
    ok = pc.match_substring_regex(a, _JSON_STRICT)
    if not pc.any(ok).as_py():
        return pa.nulls(len(a), pa.int8()), ok
    ok = pc.and_(ok, pc.invert(pc.is_in(pc.binary_length(a),
                                        value_set=pa.array(_UUID_LENGTHS, pa.int32()))))
    return pa.repeat(pa.scalar(JSON_ONLY, pa.int8()), len(a)), ok


def _json_shaped(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    pa, pc = _pa()
    n = _lengths(a)
    ok = pc.and_(pc.and_(pc.match_substring_regex(a, _JSON_SHAPE),
                         pc.less(n, JSON_TRUSTED_LEN)),
                 pc.and_(pc.invert(pc.is_in(n, value_set=pa.array(_UUID_LENGTHS, pa.int32()))),
                         pc.invert(pc.match_substring(a, "\\u0000"))))
    return pa.repeat(pa.scalar(JSON_PENDING, pa.int8()), len(a)), ok


def _digits(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    pa, pc = _pa()
    ok = pc.match_substring_regex(a, _DIGITS)
    if not pc.any(ok).as_py():
        return pa.nulls(len(a), pa.int8()), ok
    code = pc.if_else(pc.is_in(a, value_set=pa.array(["0", "1"])), 30,
                      pc.if_else(pc.starts_with(a, "0"), 32, 31)).cast(pa.int8())
    return code, ok


def _odd_plain(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Non-ASCII holding a letter or symbol, not starting like JSON, no NUL, not UUID-long."""
    pa, pc = _pa()
    n = pc.utf8_length(pc.utf8_trim(a, WS))
    ok = pc.and_(pc.and_(pc.invert(pc.string_is_ascii(a)), pc.match_substring_regex(a, _ODD)),
                 pc.and_(pc.invert(pc.match_substring_regex(a, r'^[ \t\n\r]*["{\[]')),
                         pc.invert(pc.match_substring(a, "\x00"))))
    ok = pc.and_(ok, pc.invert(pc.is_in(n, value_set=pa.array(_UUID_LENGTHS, pa.int32()))))
    return pa.repeat(pa.scalar(PLAIN_TEXT, pa.int8()), len(a)), ok


def _text_codes_general(a: pa.Array, json_ok: bool) -> pa.Array:
    """Every rule, on whatever the shapes above left."""
    pa, pc = _pa()
    code = pa.nulls(len(a), pa.int8()).fill_null(UNDECIDED)
    if len(a) == 0:
        return code

    def put(mask: pa.Array, value: int) -> None:
        nonlocal code
        code = pc.if_else(pc.fill_null(mask, False), value, code)

    # Applied from the least to the most certain, each later rule overriding: ``decided``
    # rules come last and only NUL and UUID length can veto them (set again at the end).
    ascii_ = pc.string_is_ascii(a)
    trimmed = pc.utf8_trim(a, WS)
    word = pc.utf8_lower(trimmed)
    uuid_long = pc.is_in(pc.utf8_length(trimmed), value_set=pa.array([32, 36, 38], pa.int32()))
    letter = pc.match_substring_regex(a, "^[A-Za-z]")
    # Plain: ASCII starting with a letter (and no yes/no, float or JSON word) or with inert
    # punctuation.
    put(pc.and_(ascii_, pc.or_(letter, pc.match_substring_regex(a, _PLAIN_START))), PLAIN_TEXT)
    put(pc.and_(letter, pc.is_in(word, value_set=pa.array(_FLOAT_WORDS + ["null", "true",
                                                                          "false"]))), UNDECIDED)
    put(pc.and_(letter, pc.is_in(word, value_set=pa.array(_BOOL_ONLY_WORDS))), BOOL_ONLY)
    put(pc.is_in(a, value_set=pa.array(["true", "false"])), BOOL_AND_JSON)
    put(pc.equal(a, "null"), JSON_ONLY)
    # Digits only, up to 18 (always inside 64 bits): 0/1, leading zero (not JSON), other.
    digits = pc.and_(pc.match_substring_regex(a, "^[0-9]+$"), pc.less_equal(pc.utf8_length(a), 18))
    put(digits, 31)
    put(pc.and_(digits, pc.starts_with(a, "0")), 32)
    put(pc.is_in(a, value_set=pa.array(["0", "1"])), 30)
    # ISO day and day + time of the plain shapes; the day of the month checked below.
    day = pc.match_substring_regex(a, f"^{_DAY}$")
    stamp = pc.match_substring_regex(a, f"^{_DAY}[Tt ]{_TIME}$")
    dated = pc.or_(day, stamp)
    if pc.any(dated).as_py():
        real = _real_day(a, dated)
        put(pc.and_(day, real), 20)
        midnight = pc.equal(pc.utf8_slice_codeunits(a, 11, 19), "00:00:00")
        put(pc.and_(pc.and_(stamp, real), midnight), 21)
        put(pc.and_(pc.and_(stamp, real), pc.invert(midnight)), 22)
        put(pc.and_(dated, pc.invert(real)), UNDECIDED)
    # JSON objects, arrays and strings: SQLite's json_valid decides later (see JSON_PENDING).
    jsonish = pc.and_(ascii_, pc.match_substring_regex(a, r'^["{\[]'))
    if json_ok and pc.any(jsonish).as_py():
        put(pc.and_(jsonish, pc.less(pc.utf8_length(a), JSON_TRUSTED_LEN)), JSON_PENDING)
        put(pc.and_(jsonish, pc.match_substring(a, "\\u0000")), UNDECIDED)
    # Non-ASCII holding a letter or symbol: no number, word, date or UUID; JSON only if it
    # starts like JSON (then the converters decide).
    odd = pc.and_(pc.invert(ascii_), pc.match_substring_regex(a, _ODD))
    put(odd, PLAIN_TEXT)
    put(pc.and_(odd, pc.match_substring_regex(a, r'^[ \t\n\r]*["{\[]')), UNDECIDED)
    put(pc.match_substring(a, "\x00"), UNDECIDED)
    put(uuid_long, UNDECIDED)
    return _keep_nulls(a, code)


_SHAPES = [_plain_long, _dated, _json_strict, _json_shaped, _digits, _odd_plain]


def _keep_nulls(a: pa.Array, code: pa.Array) -> pa.Array:
    """NULL where ``a`` is NULL (is_in and friends say False there)."""
    pa, pc = _pa()
    code = code.cast(pa.int8())
    if not a.null_count:
        return code
    return pc.if_else(pc.is_valid(a), code, pa.scalar(None, pa.int8()))


def _real_day(a: pa.Array, dated: pa.Array) -> pa.Array:
    """Is YYYY-MM-DD (at the start of ``a``) a day of the calendar? Up to the 28th always."""
    pa, pc = _pa()
    dom = pc.cast(pc.if_else(dated, pc.utf8_slice_codeunits(a, 8, 10), "01"), pa.int8())
    late = pc.and_(dated, pc.greater(dom, 28))
    if not pc.any(late).as_py():
        return pc.fill_null(dated, False)
    # strptime rolls 2023-02-29 over into March: a real day keeps its day of the month.
    got = pc.strptime(pc.if_else(late, pc.utf8_slice_codeunits(a, 0, 10), None),
                      format="%Y-%m-%d", unit="s", error_is_null=True)
    ok_late = pc.fill_null(pc.equal(pc.cast(pc.day(got), pa.int8()), dom), False)
    return pc.and_(pc.fill_null(dated, False), pc.or_(pc.invert(late), ok_late))
