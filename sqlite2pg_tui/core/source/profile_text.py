"""One batch of a text column, as profile_columnar's ``_Column`` takes it: UTF-8 checked,
classified (profile_vector), its NULs, longest value and extremes measured, at the least
cost the batch allows.

- Per batch, the bytes every value lies in answer for the whole batch what a kernel would
  answer value by value: no NUL byte anywhere, or all ASCII (valid UTF-8, characters =
  bytes).
- A column that repeats its values (status words, categories, the same days) is classified
  through its distinct values: a value's code depends on the value alone, so each distinct
  value is classified once, in the first batch that holds it (``Distinct`` remembers the
  rest for the column's later batches), and its codes reach the rows by index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite2pg_tui.core.source import profile_vector

if TYPE_CHECKING:
    import pyarrow as pa

# A batch is classified through its distinct values while they are at most this share of
# its rows (a hash pass then saves the per-value kernels); a column whose batch is more
# varied than that is read value by value from then on.
BY_DISTINCT_SHARE = 0.25
# Distinct values a column remembers with their codes; past this, each batch classifies
# its own distinct values again (looking them up would cost more than it saves).
REMEMBERED = 1 << 14


@dataclass
class Measured:
    """What one batch adds to a column besides its codes."""

    codes: pa.Array  # int8 class code per row (NULL for NULL)
    text: pa.Array  # the valid UTF-8 values (string or dictionary of strings), NULL elsewhere
    bad: pa.Array | None  # the invalid UTF-8 values as bytes, NULL elsewhere
    distinct: dict[str, pa.Array]  # "text"/"bad": the batch's distinct values of each
    extremes: pa.Array | None  # values whose min/max stand for the batch's (None: none new)
    longest: int  # characters of the longest value (0: none new)
    nuls: int  # values holding a NUL byte


def bytes_of(arr: pa.Array) -> bytes | None:
    """The bytes every value of a string or binary array lies in (what NULL slots hold, if
    anything, as well), or None for another layout."""
    import pyarrow as pa

    if not (pa.types.is_string(arr.type) or pa.types.is_binary(arr.type)):
        return None
    _, offsets, data = arr.buffers()
    if data is None or offsets is None:
        return b""
    at = memoryview(offsets).cast("i")
    return memoryview(data)[at[arr.offset]:at[arr.offset + len(arr)]].tobytes()


def count_nuls(arr: pa.Array, data: bytes | None) -> int:
    """How many values hold a NUL byte (``data``: the array's bytes_of)."""
    import pyarrow.compute as pc

    if data is not None and b"\x00" not in data:
        return 0
    return pc.sum(pc.match_substring(arr, "\x00")).as_py() or 0


def _longest(text: pa.Array, data: bytes | None) -> int:
    """The most characters in a value (ASCII: as many as bytes, from the offsets alone)."""
    import pyarrow.compute as pc

    ascii_ = data is not None and data.isascii()
    return pc.max(pc.binary_length(text) if ascii_ else pc.utf8_length(text)).as_py() or 0


def valid_text(raw: pa.Array, data: bytes | None = None) -> tuple[pa.Array, pa.Array | None]:
    """(the valid UTF-8 text as strings, NULL elsewhere; the invalid values as bytes or None).
    The driver hands text over unchecked, and a binary read (split mode) is bytes anyway.
    ``data``: the array's bytes_of; ASCII is valid UTF-8 without a check."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if data is not None and data.isascii():
        return raw.view(pa.string()), None
    try:
        return raw.cast(pa.string()), None
    except pa.ArrowInvalid:
        pass
    ok = []
    for b in raw.to_pylist():
        if b is None:
            ok.append(None)
            continue
        try:
            b.decode("utf-8")
            ok.append(True)
        except UnicodeDecodeError:
            ok.append(False)
    good = pa.array(ok, pa.bool_())
    text = pc.if_else(good, raw, None).cast(pa.string())
    bad = pc.if_else(pc.invert(good), raw, None)
    return text, bad


def _codes(text: pa.Array, order: list[int]) -> pa.Array:
    return profile_vector.text_codes(text, profile_vector.json_valid_trusted(), order)


def by_value(raw: pa.Array, order: list[int]) -> Measured:
    """Every value classified where it stands."""
    data = bytes_of(raw)
    text, bad = valid_text(raw, data)
    return Measured(_codes(text, order), text, bad, {}, raw, _longest(text, data),
                    count_nuls(raw, data))


class Distinct:
    """A column's distinct values classified so far, with their codes (bytes → code), for
    the batches to come. Only values of valid UTF-8 without NUL are remembered; a batch
    holding any other is classified on its own (and the column remembers nothing more)."""

    def __init__(self) -> None:
        self.values: pa.Array | None = None  # binary
        self.codes: pa.Array | None = None  # int8, aligned with values
        self.on = True
        self.last = 0  # distinct values of the last batch measured

    def measure(self, raw: pa.Array, order: list[int]) -> Measured | None:
        """The batch through its distinct values; None when they are too many of them."""
        import pyarrow as pa
        import pyarrow.compute as pc

        enc = raw.dictionary_encode()
        d, at = enc.dictionary, enc.indices
        self.last = len(d)
        if len(d) > BY_DISTINCT_SHARE * len(raw):
            return None
        if self.on:
            got = self._known(d, order)
            if got is not None:
                codes_d, new, longest = got
                text_d = d.view(pa.string())
                return Measured(pc.take(codes_d, at), pa.DictionaryArray.from_arrays(at, text_d),
                                None, {"text": text_d}, new, longest, 0)
            self.on = False
        data = bytes_of(d)
        text_d, bad_d = valid_text(d, data)
        nuls = 0 if data is not None and b"\x00" not in data else (
            pc.sum(pc.take(pc.match_substring(d, "\x00"), at)).as_py() or 0)
        distinct = {"text": text_d.drop_null()}
        bad = None
        if bad_d is not None:
            distinct["bad"] = bad_d.drop_null()
            bad = pc.take(bad_d, at)
        return Measured(pc.take(_codes(text_d, order), at), pc.take(text_d, at), bad, distinct,
                        d, _longest(text_d, data), nuls)

    def _known(self, d: pa.Array, order: list[int]) -> tuple[pa.Array, pa.Array | None, int] | None:
        """(codes of ``d``'s values, the values not seen before, their longest) from what
        is remembered, the new values classified and remembered; None when ``d`` holds a
        value that cannot be remembered."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.values is None or self.codes is None:
            pos, fresh, new = None, None, d
        else:
            pos = pc.index_in(d, value_set=self.values)
            fresh = pc.is_null(pos)
            new = d.filter(fresh) if pos.null_count else None
        if new is None:
            assert self.codes is not None and pos is not None
            return pc.take(self.codes, pos), None, 0
        data = bytes_of(new)
        text, bad = valid_text(new, data)
        if bad is not None or data is None or b"\x00" in data:
            return None
        codes_new = _codes(text, order)
        longest = _longest(text, data)
        if pos is None or fresh is None or self.codes is None or self.values is None:
            codes = codes_new
            self.values, self.codes = new, codes_new
        else:
            codes = pc.replace_with_mask(pc.take(self.codes, pos), fresh, codes_new)
            if len(self.values) + len(new) <= REMEMBERED:
                self.values = pa.concat_arrays([self.values, new])
                self.codes = pa.concat_arrays([self.codes, codes_new])
        return codes, new, longest
