"""JSON documents, UUIDs and bytes."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.canonical_json import reject_constant
from sqlite2pg_tui.core.values.converters.base import (
    Convert,
    Converter,
    Reject,
    has_surrogates,
    register,
    text_of,
)
from sqlite2pg_tui.core.values.pgtype import PgType


def _make_json(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> str:
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise Reject("blob is not UTF-8 JSON") from None
        if isinstance(v, int | float):
            if isinstance(v, float) and not math.isfinite(v):
                raise Reject("infinite numbers are not JSON")
            return json.dumps(v)
        if "\x00" in v or "\\u0000" in v:
            raise Reject("contains NUL, which jsonb cannot hold")
        try:
            json.loads(v, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            raise Reject("not valid JSON") from None
        if has_surrogates(v):
            raise Reject("not valid UTF-8")
        return v

    return conv


def _make_uuid(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> uuid.UUID:
        try:
            if isinstance(v, bytes) and len(v) == 16:
                return uuid.UUID(bytes=v)
            return uuid.UUID(text_of(v).strip())
        except (ValueError, Reject):
            raise Reject("not a UUID") from None

    return conv


def _make_bytea(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> bytes:
        if isinstance(v, bytes):
            return v
        if isinstance(v, str):
            return v.encode("utf-8", "surrogateescape")
        if isinstance(v, float):
            return repr(v).encode()
        return str(v).encode()

    return conv


def _json_vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "jsonb" or pg.array:
        return None
    # jsonb's parser accepts a subset of what json.loads does: what it takes means the same,
    # and a text it refuses makes PostgreSQL refuse the batch (the per-value engine then
    # finds the row and says why).
    return vectors.Form("text", lambda: vectors.pyarrow().string(), vectors.text(None, json=True),
                        jsonb=True)


def _uuid_vector(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "uuid" or pg.array:
        return None
    return vectors.Form("text", lambda: vectors.pyarrow().binary(), vectors.uuid16,
                        encode=vectors.uuid_binary)


def _bytea_vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "bytea" or pg.array:
        return None
    return vectors.Form("blob", lambda: vectors.pyarrow().binary(), vectors.same)


register(Converter("json", "jsonb", "Valid JSON text (objects, arrays and scalars) → jsonb.",
                   "jsonb", _make_json, fits={"json": 0, "jsonb": 0}, vector=_json_vector,
                   canonical="json", profile_dirt="parses"))
register(Converter("uuid", "uuid", "UUID text or 16-byte blobs → uuid.", "uuid", _make_uuid,
                   fits={"uuid": 0}, vector=_uuid_vector, canonical="uuid"))
register(Converter("bytea", "bytea", "Bytes exactly as stored; text is stored as its UTF-8 bytes.",
                   "bytea", _make_bytea, fits={"bytea": 0}, check="bytes", vector=_bytea_vector,
                   canonical="blob"))
