"""Inference: propose a PostgreSQL type and converter per column from its declared type
and, above all, from what the data holds (the profile)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlite2pg_tui.core.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.naming import snake
from sqlite2pg_tui.core.profile import ColumnProfile, TableProfile
from sqlite2pg_tui.core.schema import Column, SourceSchema, Table

# A declared type is honoured when at least this share of its values fit; the rest are
# dirty and go through the column's on-error policy. Below it, text keeps everything.
DECLARED_TYPE_MIN_FIT = 0.5
# Text columns become a richer type from their data only when nearly every value agrees.
DATA_TYPE_MIN_FIT = 0.9

_BOOL_NAME = re.compile(r"^(is|has|can|should|was|did)_|(_flag|_enabled|_active|_deleted)$|"
                        r"^(active|enabled|disabled|deleted|visible|hidden|archived|done|"
                        r"verified|published|admin|flag)$", re.I)
_TIME_NAME = re.compile(r"(_at|_on|_time|_ts|_date|timestamp|^created|^updated|^modified)$", re.I)
_LEN_RE = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
EPOCH_RANGES = {"s": (1e8, 4.2e9), "ms": (1e11, 4.2e12), "us": (1e14, 4.2e15)}


def affinity(declared: str) -> str:
    """SQLite's column affinity rules (datatype3.html §3.1), in their order."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def affinity_type(declared: str) -> str:
    """The PostgreSQL type a declared type stands for when there is no data to look at."""
    hint = _declared_hint(declared)
    return hint.pg_type if hint else "text"


@dataclass
class Proposal:
    pg_type: str
    converter: str
    options: dict
    note: str = ""


def _declared_hint(declared: str) -> Proposal | None:
    """What a person meant by the declared type, where it names something PostgreSQL has."""
    t = declared.upper().strip()
    words = set(re.findall(r"[A-Z]+", t))
    m = _LEN_RE.search(t)
    if "BOOL" in t or "BOOLEAN" in words:
        return Proposal("boolean", "boolean", {})
    if words & {"DATETIME", "TIMESTAMP", "TIMESTAMPTZ"}:
        return Proposal("timestamptz" if "TZ" in t or "ZONE" in t else "timestamp",
                        "timestamptz" if "TZ" in t or "ZONE" in t else "timestamp", {})
    if words == {"DATE"}:
        return Proposal("date", "date", {})
    if "JSON" in t:
        return Proposal("jsonb", "json", {})
    if "UUID" in words or "GUID" in words:
        return Proposal("uuid", "uuid", {})
    if words & {"DECIMAL", "NUMERIC", "NUMBER", "MONEY"}:
        if m and m.group(2) is not None:
            return Proposal(f"numeric({m.group(1)},{m.group(2)})", "numeric", {})
        return None  # plain NUMERIC: decided by the data
    aff = affinity(t)
    if aff == "INTEGER":
        return Proposal("bigint", "integer", {})
    if aff == "REAL":
        return Proposal("double precision", "real", {})
    if aff == "TEXT":
        return Proposal("text", "text", {})
    return None


def _epoch_unit(p: ColumnProfile) -> str | None:
    if not p.fits("integer") or p.min is None or not isinstance(p.min, int | float):
        return None
    for unit, (lo, hi) in EPOCH_RANGES.items():
        if lo <= p.min and p.max <= hi:
            return unit
    return None


def propose_column(col: Column, p: ColumnProfile, table: Table) -> Proposal:
    declared = col.declared_type
    hint = _declared_hint(declared)
    in_key = col.pk > 0 or any(col.name in fk.columns for fk in table.foreign_keys)

    if table.rowid_alias == col.name:
        return Proposal("bigint", "integer", {}, "INTEGER PRIMARY KEY: identity, ids kept")

    if p.non_null == 0:  # nothing to learn from; honour the declaration
        if hint:
            return Proposal(hint.pg_type, hint.converter, {}, "no values: from the declared type")
        if affinity(declared) == "NUMERIC":
            return Proposal("numeric", "numeric", {}, f"no values; declared {declared} (NUMERIC affinity)")
        if affinity(declared) == "BLOB" and declared.strip():
            return Proposal("bytea", "bytea", {}, f"no values; declared {declared}")
        return Proposal("text", "text", {}, "no values and no declared type")

    # The data speaks clearly: every value fits something more specific than text.
    only = set(p.storage)
    if only == {"blob"}:
        return Proposal("bytea", "bytea", {}, "every value is a blob")
    date_ish = hint is not None and hint.converter in ("timestamp", "timestamptz", "date")
    if p.fits("boolean") and not in_key and (
            (hint and hint.pg_type == "boolean") or _BOOL_NAME.search(col.name)
            or (only == {"integer"} and p.min == 0 and p.max == 1)
            or (only == {"text"} and _two_word_flag(p))):
        return Proposal("boolean", "boolean", {}, "only 0/1 (or yes/no words) seen")
    if only == {"integer"} or (p.fits("integer") and "text" not in only):
        unit = _epoch_unit(p)
        if unit and (date_ish or _TIME_NAME.search(col.name)):
            return Proposal("timestamptz", "epoch", {"unit": unit},
                            f"integers look like Unix time in {_UNIT_NAMES[unit]}")
        if hint and (hint.pg_type.startswith("numeric(") or hint.pg_type == "double precision"):
            # A declared REAL holding whole numbers today may hold 2.5 tomorrow.
            return Proposal(hint.pg_type, hint.converter, {}, f"declared {declared}")
        return Proposal("bigint", "integer", {}, "every value is a whole number")
    if only <= {"integer", "real"}:
        if date_ish and p.min is not None and p.min >= 2_000_000 and p.max <= 2_800_000:
            return Proposal("timestamp", "julian", {}, "reals look like Julian day numbers")
        if hint and hint.pg_type.startswith("numeric"):
            return hint
        if hint and hint.converter == "integer" and p.share("integer") >= DECLARED_TYPE_MIN_FIT:
            bad = p.sample_non_null - p.parses["integer"]
            return Proposal("bigint", "integer", {},
                            f"declared {declared}; {bad} value(s) with a fraction do not fit")
        return Proposal("double precision", "real", {}, "numbers with fractions")
    if p.fits("timestamptz") and p.with_time:
        if p.with_offset:
            mixed = " (values without one are taken as UTC)" if p.with_offset < p.non_null else ""
            return Proposal("timestamptz", "timestamptz", {},
                            f"ISO 8601 timestamps with UTC offsets{mixed}")
        return Proposal("timestamp", "timestamp", {}, "every value is an ISO 8601 timestamp")
    if p.fits("date") and "text" in only:
        return Proposal("date", "date", {}, "every value is an ISO 8601 date")
    if p.fits("json") and "text" in only and _looks_structured(p):
        return Proposal("jsonb", "json", {}, "every value is a JSON object or array")
    if p.fits("uuid") and only == {"text"}:
        return Proposal("uuid", "uuid", {}, "every value is a UUID")
    if only == {"text"} and (p.fits("date_dmy") or p.fits("date_mdy")):
        if p.fits("date_dmy") and p.fits("date_mdy"):
            # 03/04/2024: March or April? Not ours to guess: the person picks.
            return Proposal("text", "text", {}, "ambiguous dates (day/month order unknown): "
                            "choose date_dmy or date_mdy to make them timestamps")
        conv = "date_dmy" if p.fits("date_dmy") else "date_mdy"
        order = "day first" if conv == "date_dmy" else "month first"
        return Proposal("timestamp", conv, {}, f"dates written {order} (only that order fits all)")
    # Text that is almost all timestamps: the odd '0000-00-00' or 'yesterday' is dirty,
    # handled by the column's policy, rather than keeping the whole column as text.
    if "text" in only and p.share("timestamptz") >= DATA_TYPE_MIN_FIT:
        bad = p.sample_non_null - p.parses["timestamptz"]
        if p.with_time:
            kind = "timestamptz" if p.with_offset else "timestamp"
            return Proposal(kind, kind, {}, f"ISO 8601 timestamps; {bad} value(s) do not fit")
        return Proposal("date", "date", {}, f"ISO 8601 dates; {bad} value(s) do not fit")
    if hint and hint.converter == "integer" and p.fits("integer"):
        return Proposal("bigint", "integer", {}, "integers (some stored as text)")

    if "blob" in only and (affinity(declared) == "BLOB" and declared.strip()
                           or p.storage.get("blob", 0) * 2 >= p.non_null):
        return Proposal("bytea", "bytea", {}, "mostly blobs: text values are kept as their UTF-8 bytes")
    # Mixed data: the declared type wins if most values fit it; the rest are dirty.
    if hint and hint.converter != "text":
        share = p.share(_CANDIDATE_OF.get(hint.converter, hint.converter))
        if share >= DECLARED_TYPE_MIN_FIT:
            bad = p.sample_non_null - p.parses.get(_CANDIDATE_OF.get(hint.converter, hint.converter), 0)
            return Proposal(hint.pg_type, hint.converter, {},
                            f"declared {declared}; {bad} value(s) do not fit")
    if affinity(declared) == "NUMERIC" and p.share("real") >= DECLARED_TYPE_MIN_FIT:
        return Proposal("numeric", "numeric", {}, f"declared {declared}; mostly numbers")
    note = "text keeps every value"
    if hint and hint.converter != "text":
        note = f"declared {declared}, but most values do not fit it: text keeps every value"
    if "blob" in only:
        note += "; blobs must be UTF-8 to fit"
    if p.nul_bytes:
        note += f"; {p.nul_bytes} value(s) hold NUL bytes"
    if p.invalid_utf8:
        note += f"; {p.invalid_utf8} value(s) are not valid UTF-8"
    m = _LEN_RE.search(declared)
    if hint and hint.pg_type == "text" and m and "CHAR" in declared.upper():
        n = int(m.group(1))
        if p.max_text_len <= n:
            return Proposal(f"varchar({n})", "varchar", {"length": n}, f"declared {declared}")
        note = f"declared {declared} but the longest value has {p.max_text_len} characters"
    return Proposal("text", "text", {}, note)


_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}
# The profile candidate that measures a converter's fit.
_CANDIDATE_OF = {"numeric": "real", "varchar": "text", "epoch": "integer", "julian": "real"}


def _two_word_flag(p: ColumnProfile) -> bool:
    """'yes'/'no', 'T'/'F', 'on'/'off'… : at most two distinct spellings, one of each side."""
    seen = p.distinct_small
    return bool(seen) and len({str(v).strip().lower() for v in seen}) <= 2


def _looks_structured(p: ColumnProfile) -> bool:
    return all(isinstance(s, str) and s.lstrip()[:1] in "{[" for s in p.samples)


def _namer(case: str) -> Callable[[str, set[str]], str]:
    """Target names: kept as they are (quoted), or lower snake_case made unique."""
    def name(original: str, taken: set[str]) -> str:
        if case != "snake":
            return original
        base = snake(original)
        new, n = base, 2
        while new in taken:
            new, n = f"{base}_{n}", n + 1
        return new

    return name


def plan(schema: SourceSchema, profiles: dict[str, TableProfile],
         identifier_case: str = "keep") -> Mapping:
    if identifier_case not in ("keep", "snake"):
        raise ValueError(f"identifier_case must be keep or snake, not {identifier_case!r}")
    name = _namer(identifier_case)
    m = Mapping(source=schema.path, identifier_case=identifier_case)
    table_names: set[str] = set()
    for t in schema.tables:
        prof = profiles[t.name]
        cols = []
        col_names: set[str] = set()
        for c in t.columns:
            if c.generated:
                continue
            prop = propose_column(c, prof.columns[c.name], t)
            target = name(c.name, col_names)
            col_names.add(target)
            cols.append(ColumnMapping(
                source=c.name, target=target, declared=c.declared_type, pg_type=prop.pg_type,
                converter=prop.converter, options=prop.options,
                identity=t.rowid_alias == c.name, note=prop.note))
        note = ""
        if not t.primary_key:
            note = "no primary key: rows copied as they are, duplicates included"
        target = name(t.name, table_names)
        table_names.add(target)
        m.tables.append(TableMapping(source=t.name, target=target, columns=cols, note=note))
    return m
