"""Text converters: text, text cleaned of NUL and invalid UTF-8, varchar(n)."""

from __future__ import annotations

from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.converters.base import (
    Convert,
    Converter,
    Reject,
    has_surrogates,
    register,
)
from sqlite2pg_tui.core.values.pgtype import PgType


def _to_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("blob is not valid UTF-8 text") from None
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _make_text(opts: dict[str, Any]) -> Convert:
    nul = opts.get("nul", "reject")  # reject | strip
    bad_utf8 = opts.get("invalid_utf8", "reject")  # reject | replace
    max_len = opts.get("length")

    def conv(v: Any) -> str:
        if isinstance(v, bytes) and bad_utf8 == "replace":
            s = v.decode("utf-8", "replace")
        else:
            s = _to_text(v)
        if "\x00" in s:
            if nul == "strip":
                s = s.replace("\x00", "")
            else:
                raise Reject("contains a NUL byte, which PostgreSQL text cannot hold")
        if has_surrogates(s):
            if bad_utf8 == "replace":
                s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            else:
                raise Reject("not valid UTF-8")
        if max_len is not None and len(s) > int(max_len):
            raise Reject(f"{len(s)} characters, longer than varchar({max_len})")
        return s

    return conv


# Text types whose binary input is the UTF-8 bytes as they are (char(n) pads: not here).
_PLAIN_TEXT = {"text", "varchar", "character varying", "citext"}


def _vector(default_length: int | None) -> Any:
    def form(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
        if pg.name not in _PLAIN_TEXT or pg.array:
            return None
        n = opts.get("length", default_length)
        # NUL and invalid UTF-8 rows are refused: the converter's policy (or the cleaning,
        # counted as an alteration) handles them one by one.
        return vectors.Form("text", lambda: vectors.pyarrow().string(),
                            vectors.text(int(n) if n is not None else None))

    return form


register(Converter("text", "text", "Keep as text; reject NUL bytes and invalid UTF-8.", "text",
                   _make_text, fits={"text": 0, "varchar": 1, "citext": 0}, limits="length",
                   check="text", vector=_vector(None), canonical="text", profile_dirt="clean"))
register(Converter("text_clean", "text, cleaned",
                   "Text with NUL bytes stripped and invalid UTF-8 replaced by U+FFFD (each counted).",
                   "text", lambda o: _make_text({**o, "nul": "strip", "invalid_utf8": "replace"}),
                   alters=True, fits={"text": 1, "varchar": 2, "citext": 1}, limits="length",
                   vector=_vector(None), profile_dirt="clean_text"))
register(Converter("varchar", "varchar(n)", "Text with a length limit; longer values are dirty.",
                   "varchar", _make_text, options={"length": 255}, fits={"text": 2, "varchar": 0},
                   limits="length", edits=("length",), measured_by="text",
                   pg_type=lambda o: f"varchar({int(o.get('length', 255))})",
                   check="text", vector=_vector(255), canonical="text", profile_dirt="clean_text"))
