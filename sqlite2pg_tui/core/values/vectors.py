"""Vectorized converter forms: a converter applied to a whole Arrow array at once.

A form reads one SQLite storage class (the columnar reader makes each column homogeneous
in SQL), and returns the converted array and a mask of the rows it refuses. A refused row
is read again and goes through the per-value converter and its on-error policy (reject
file, NULL, abort), so the mask may be generous but never too narrow: a row the form
accepts must convert to exactly what the per-value converter returns, and a row the
converter would alter (and count as altered) is refused too.

Most forms are ``pyarrow.compute`` expressions. A few types have no Arrow counterpart that
the binary COPY encoder writes (uuid, inet, cidr, timetz, interval with its days, numeric
with each value's own scale): their forms produce PostgreSQL's binary wire format
themselves, per value, into an Arrow ``binary`` array. :meth:`Form.to_arrow` turns values
converted one by one into the same Arrow type, so both kinds of rows join one stream.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.values.converters.base import Converter, Reject

if TYPE_CHECKING:
    import pyarrow as pa

Vector = Callable[["pa.Array"], tuple["pa.Array", "pa.Array | None"]]


@dataclass(frozen=True)
class Form:
    storage: str  # the SQLite storage class read: integer | real | text | blob
    arrow: Callable[[], pa.DataType]  # the Arrow type written
    vector: Vector  # (converted values, refused mask or None)
    jsonb: bool = False
    encode: Callable[[Any], bytes] | None = None  # binary forms: one value's wire format

    def to_arrow(self, values: list[Any]) -> pa.Array:
        """Values the per-value converter returned (None for NULL), as this form's array."""
        import pyarrow as pa

        if self.encode is not None:
            enc = self.encode
            return pa.array([None if v is None else enc(v) for v in values], pa.binary())
        return pa.array(values, type=self.arrow())


def pyarrow() -> Any:
    import pyarrow as pa

    return pa


# --- pyarrow.compute forms ------------------------------------------------------------

def same(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    return a, None


def boolean01(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.is_in(a, value_set=pa.array([0, 1], pa.int64()))
    return pc.equal(a, 1), pc.and_(pc.invert(ok), pc.is_valid(a))


def int_range(lo: int, hi: int, arrow: Callable[[], pa.DataType]) -> Vector:
    """Integers inside [lo, hi], narrowed to the column's Arrow integer type."""
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow.compute as pc

        refuse = pc.fill_null(pc.or_(pc.less(a, lo), pc.greater(a, hi)), False)
        kept = pc.if_else(refuse, None, a)
        return pc.cast(kept, arrow()), refuse

    return vec


def text(max_len: int | None, json: bool = False) -> Vector:
    """Text passed on as it is: NUL (the converter's policy) and overlong values refused."""
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow.compute as pc

        refuse = None
        if may_hold(a, b"\x00"):
            refuse = pc.match_substring(a, "\x00")
        if json and may_hold(a, b"\\u0000"):  # the converter refuses an escaped NUL too
            escaped = pc.match_substring(a, "\\u0000")  # (jsonb cannot hold it)
            refuse = escaped if refuse is None else pc.or_(refuse, escaped)
        if max_len is not None:
            long = pc.greater(pc.utf8_length(a), max_len)
            refuse = long if refuse is None else pc.or_(refuse, long)
        return a, None if refuse is None else pc.fill_null(refuse, False)

    return vec


def may_hold(a: pa.Array, needle: bytes) -> bool:
    """Whether a value of a string or binary array may hold ``needle``: False when the data
    buffer behind it (every value's bytes, and those of the arrays it was sliced from) lacks
    it. One search at memchr speed instead of a kernel call per value; the search per value
    runs only where this says True, so a rare NUL costs its batch, not the table."""
    bufs = a.buffers()
    if len(bufs) != 3:  # not a plain string/binary layout: look at each value
        return True
    return bufs[2] is not None and needle in bufs[2].to_pybytes()


# The ISO shapes read here exactly as converters.parse_iso reads them; anything else
# (fractions, offsets, lower-case t, spaces) is refused and parsed one by one.
_DAY = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"


def _real_day(text: pa.Array, got: pa.Array) -> pa.Array:
    """strptime rolls 2024-02-30 over into March: a real day keeps its day of the month."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.equal(pc.day(got), pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int64()))


def stamp(unit_tz: str | None, date_only: bool = False) -> Vector:
    """ISO dates and whole-second instants → date32 or timestamps (UTC when ``unit_tz``).

    Arrow's cast (its ISO 8601 parser, many times cheaper than a regex and strptime) reads
    the values 10 or 19 bytes long: of those it takes exactly YYYY-MM-DD and
    YYYY-MM-DD[ T]hh:mm:ss with every field in its range and a day the month has, the
    shapes parse_iso reads the same way, but for the year 0000 (refused below). Anything
    else of those lengths (an offset, 30 February, 't', a stray character) fails the whole
    cast, and that batch goes through :func:`_stamp_checked`, value by value in C."""
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa
        import pyarrow.compute as pc

        size = pc.binary_length(a)
        shaped = pc.equal(size, 10)
        if not date_only:
            shaped = pc.or_(shaped, pc.equal(size, 19))
        shaped = pc.fill_null(shaped, False)
        refuse = pc.and_(pc.is_valid(a), pc.invert(shaped))
        text = pc.if_else(shaped, a, None) if refuse.true_count else a
        try:
            out = pc.cast(text, pa.date32() if date_only else pa.timestamp("us"))
        except pa.ArrowInvalid:
            return _stamp_checked(a, date_only, unit_tz)
        before = pc.fill_null(pc.less(out, pa.scalar(_FIRST_DAY if date_only else _FIRST,
                                                     out.type)), False)
        if before.true_count:  # the year 0000, which Python's datetime does not have
            out = pc.if_else(before, pa.scalar(None, out.type), out)
            refuse = pc.or_(refuse, before)
        if unit_tz:  # a naive instant taken as UTC, as the converter's default does
            out = out.cast(pa.timestamp("us", tz=unit_tz))
        return out, refuse

    return vec


_FIRST = datetime(1, 1, 1)
_FIRST_DAY = _FIRST.date()


def _stamp_checked(a: pa.Array, date_only: bool,
                   unit_tz: str | None) -> tuple[pa.Array, pa.Array]:
    """:func:`stamp` for a batch the cast cannot take: the shapes parse_iso reads the same
    way by regex, strptime (which rolls a day the month lacks over into the next month) and
    a check that each day of the month stayed as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    shape = f"^{_DAY}$" if date_only else f"^{_DAY}(?:[ T]{_TIME})?$"
    shaped = pc.fill_null(pc.match_substring_regex(a, shape), False)
    text = pc.if_else(shaped, a, None)
    if date_only:
        got = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        good = pc.and_(shaped, _real_day(text, got))
        out = pc.cast(pc.if_else(good, got, None), pa.date32())
    else:
        text = pc.replace_substring(text, "T", " ")
        text = pc.if_else(pc.equal(pc.utf8_length(text), 10),
                          pc.binary_join_element_wise(text, "00:00:00", " "), text)
        got = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
        good = pc.and_(shaped, _real_day(text, got))  # the time's ranges are in the regex
        out = pc.if_else(good, got, None)
        if unit_tz:
            out = out.cast(pa.timestamp("us", tz=unit_tz))
    refuse = pc.and_(pc.is_valid(a), pc.invert(pc.fill_null(good, False)))
    return out, refuse


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The microseconds (from 1970) of the first and last instants Python's datetime holds.
_LO_US = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _EPOCH.resolution
_HI_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // _EPOCH.resolution


def micro_stamp(per_unit: int, tz: str | None) -> Vector:
    """Integers counting ``1/per_unit``-second units from 1970 → timestamps, as the epoch
    converter makes them; those outside datetime's range are refused (it rejects them)."""
    step = 1_000_000 // per_unit

    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa
        import pyarrow.compute as pc

        lo, hi = -(-_LO_US // step), _HI_US // step
        refuse = pc.fill_null(pc.or_(pc.less(a, lo), pc.greater(a, hi)), False)
        micro = pc.multiply(pc.if_else(refuse, None, a), step)
        return pc.cast(micro, pa.timestamp("us", tz=tz)), refuse

    return vec


def julian_stamp(epoch_day: float) -> Vector:
    """Julian day numbers → naive timestamps, rounded to the microsecond as the converter
    does (``round((v - epoch_day) * 86_400_000_000)``, ties to even)."""
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa
        import pyarrow.compute as pc

        micro = pc.round(pc.multiply(pc.subtract(a, epoch_day), 86_400_000_000.0),
                         round_mode="half_to_even")
        inside = pc.and_(pc.greater_equal(micro, float(_LO_US)), pc.less_equal(micro, float(_HI_US)))
        refuse = pc.and_(pc.is_valid(a), pc.invert(pc.fill_null(inside, False)))
        whole = pc.cast(pc.if_else(refuse, None, micro), pa.int64())
        return pc.cast(whole, pa.timestamp("us")), refuse

    return vec


_HEX = "[0-9a-fA-F]"
_UUID = f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$"


def uuid16(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """Hyphenated UUID text → its 16 bytes (uuid_recv's input): the hex of the whole batch
    decoded at once; other spellings (braces, no hyphens, spaces) are refused."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.fill_null(pc.match_substring_regex(a, _UUID), False)
    hexes = pc.if_else(ok, pc.replace_substring(a, "-", ""), "0" * 32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(a)], pa.int32()), hexes), "")
    raw = bytes.fromhex(joined[0].as_py())
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(a), [None, pa.py_buffer(raw)])
    out = pc.cast(pc.if_else(ok, fixed, pa.scalar(None, pa.binary(16))), pa.binary())
    return out, pc.and_(pc.is_valid(a), pc.invert(ok))


def day_first(first: bool) -> Vector:
    """dd/mm/yyyy (or mm/dd/yyyy) [hh:mm[:ss]] → timestamps, as the date_dmy (date_mdy)
    converter reads them; other spellings (spaces around, year 0000) are refused."""
    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa
        import pyarrow.compute as pc

        a_, b_ = ("d", "m") if first else ("m", "d")
        pat = (f"^(?P<{a_}>\\d{{1,2}})[/.-](?P<{b_}>\\d{{1,2}})[/.-](?P<y>\\d{{4}})"
               r"(?:[ T](?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2}))?)?$")
        shaped = pc.fill_null(pc.match_substring_regex(a, pat), False)
        parts = pc.extract_regex(pc.if_else(shaped, a, "01/01/1970"), pat)

        def two(name: str) -> pa.Array:
            f = pc.struct_field(parts, name)
            return pc.utf8_lpad(pc.if_else(pc.equal(f, ""), "0", f), 2, "0")

        text = pc.binary_join_element_wise(
            pc.binary_join_element_wise(pc.struct_field(parts, "y"), two("m"), two("d"), "-"),
            pc.binary_join_element_wise(two("hh"), two("mi"), two("ss"), ":"), " ")
        got = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
        # strptime rolls 30 February into March and a 60th second into the next minute:
        # a real instant keeps every field it was written with.
        real = pc.not_equal(pc.struct_field(parts, "y"), "0000")
        for name, field in (("m", pc.month), ("d", pc.day), ("hh", pc.hour), ("mi", pc.minute),
                            ("ss", pc.second)):
            real = pc.and_(real, pc.equal(field(got), pc.cast(two(name), pa.int64())))
        good = pc.and_(shaped, pc.fill_null(real, False))
        out = pc.if_else(good, got, pa.scalar(None, pa.timestamp("us")))
        return out, pc.and_(pc.is_valid(a), pc.invert(good))
    return vec


_CLOCK = r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?$"


def clock(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """HH:MM[:SS[.ffffff]] → time of day, as the time converter reads it (one-digit hours,
    offsets and finer fractions are refused)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.fill_null(pc.match_substring_regex(a, _CLOCK), False)
    t = pc.if_else(ok, a, "00:00")

    def num(start: int, stop: int) -> pa.Array:
        s = pc.utf8_slice_codeunits(t, start, stop)
        return pc.cast(pc.if_else(pc.equal(s, ""), "0", s), pa.int64())

    frac = pc.utf8_rpad(pc.utf8_slice_codeunits(t, 9, 15), 6, "0")
    micro = pc.add(pc.add(pc.multiply(num(0, 2), 3_600_000_000), pc.multiply(num(3, 5), 60_000_000)),
                   pc.add(pc.multiply(num(6, 8), 1_000_000), pc.cast(frac, pa.int64())))
    out = pc.cast(pc.if_else(ok, micro, None), pa.time64("us"))
    return out, pc.and_(pc.is_valid(a), pc.invert(ok))


# --- per-value forms -------------------------------------------------------------------

def per_value(conv: Converter, options: dict[str, Any], storage: str,
              arrow: Callable[[], pa.DataType], encode: Callable[[Any], bytes] | None = None,
              jsonb: bool = False) -> Form:
    """The converter applied value by value inside the batch: for types whose conversion
    has no compute kernel. Refusals and alterations are refused (the row path counts them)."""
    fn = conv.build(options)
    altered = conv.altered if conv.alters else None
    form: Form

    def vec(a: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        import pyarrow as pa

        out: list[Any] = []
        refuse: list[bool] = []
        for v in a.to_pylist():
            got = None
            bad = False
            if v is not None:
                try:
                    got = fn(v)
                except Reject:
                    bad = True
                else:
                    if altered is not None and altered(v, got):
                        got, bad = None, True
            out.append(got)
            refuse.append(bad)
        return form.to_arrow(out), pa.array(refuse, pa.bool_())

    form = Form(storage, (lambda: pyarrow().binary()) if encode is not None else arrow, vec,
                jsonb=jsonb, encode=encode)
    return form


# --- PostgreSQL's binary formats, for the types the COPY encoder has none of -------------

def uuid_binary(v: Any) -> bytes:
    return v.bytes


def inet_binary(v: str) -> bytes:
    """inet_recv's input: family (2 IPv4, 3 IPv6), mask bits, is-cidr, length, address."""
    iface = ipaddress.ip_interface(v)
    return _address(iface.ip.packed, iface.network.prefixlen, False)


def cidr_binary(v: str) -> bytes:
    net = ipaddress.ip_network(v)
    return _address(net.network_address.packed, net.prefixlen, True)


def _address(packed: bytes, bits: int, cidr: bool) -> bytes:
    return bytes((2 if len(packed) == 4 else 3, bits, int(cidr), len(packed))) + packed


def interval_binary(v: Any) -> bytes:
    """Microseconds of the time part, then days, then months: the days kept apart, as the
    text '<d> days <s> seconds' the per-value path writes gives them."""
    return struct.pack(">qii", v.seconds * 1_000_000 + v.microseconds, v.days, 0)


def timetz_binary(v: Any) -> bytes:
    micro = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    offset = v.utcoffset()
    return struct.pack(">qi", micro, -int(offset.total_seconds()) if offset else 0)


_NUMERIC_NAN, _NUMERIC_PINF, _NUMERIC_NINF, _NUMERIC_NEG = 0xC000, 0xD000, 0xF000, 0x4000


@lru_cache(maxsize=64)
def _numeric_layout(n: int) -> struct.Struct:
    return struct.Struct(f">hhHh{n}h")


def numeric_binary(v: Any) -> bytes:
    """numeric_recv's input for a Decimal (or int): base-10000 digits, weight, sign and the
    display scale, which keeps the value's own number of decimals as the text input does."""
    d = v if isinstance(v, Decimal) else Decimal(v)
    if not d.is_finite():
        flag = _NUMERIC_NAN if d.is_nan() else _NUMERIC_PINF if d > 0 else _NUMERIC_NINF
        return _numeric_layout(0).pack(0, 0, flag, 0)
    s = format(d, "f")  # plain notation, the value's own decimals
    neg = s[0] == "-"
    whole, _, frac = (s[1:] if neg else s).partition(".")
    whole = whole.lstrip("0")
    lead = -len(whole) % 4
    digits = "0" * lead + whole + frac + "0" * (-len(frac) % 4)
    weight = (lead + len(whole)) // 4 - 1
    groups = [int(digits[i:i + 4]) for i in range(0, len(digits), 4)]
    while groups and groups[-1] == 0:
        groups.pop()
    first = next((i for i, g in enumerate(groups) if g), len(groups))
    groups, weight = groups[first:], weight - first
    if not groups:  # zero: no digits, positive, whatever its sign was
        return _numeric_layout(0).pack(0, 0, 0, len(frac))
    return _numeric_layout(len(groups)).pack(len(groups), weight, _NUMERIC_NEG if neg else 0,
                                             len(frac), *groups)
