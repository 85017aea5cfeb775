"""Inference: propose a PostgreSQL type and converter per column from its declared type
and, above all, from what the data holds (the profile)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from sqlite2pg_tui.core.plan.declared_types import LEN_RE, Declared, affinity, declared_type
from sqlite2pg_tui.core.plan.mapping import (
    IDENTIFIER_CASES,
    ColumnMapping,
    Mapping,
    Suggestion,
    TableMapping,
)
from sqlite2pg_tui.core.plan.naming import folder
from sqlite2pg_tui.core.plan.naming import unique as _unique
from sqlite2pg_tui.core.source import frameworks
from sqlite2pg_tui.core.source.profile import ColumnProfile, TableProfile
from sqlite2pg_tui.core.source.schema import Column, SourceSchema, Table
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.pgtype import PgType

# A declared type is honoured when at least this share of its values fit; the rest are
# dirty and go through the column's on-error policy. Below it, text keeps everything.
DECLARED_TYPE_MIN_FIT = 0.5
# Text columns become a richer type from their data only when nearly every value agrees.
DATA_TYPE_MIN_FIT = 0.9

_BOOL_NAME = re.compile(r"^(is|has|can|should|was|did)_|(_flag|_enabled|_active|_deleted)$|"
                        r"^(active|enabled|disabled|deleted|visible|hidden|archived|done|"
                        r"verified|published|admin|flag)$", re.I)
_TIME_NAME = re.compile(r"(_at|_on|_time|_ts|_date|timestamp|^created|^updated|^modified)$", re.I)
EPOCH_RANGES = {"s": (1e8, 4.2e9), "ms": (1e11, 4.2e12), "us": (1e14, 4.2e15)}


@dataclass
class Proposal:
    pg_type: str
    converter: str
    options: dict
    note: str = ""
    suggestion: Proposal | None = None  # what the data suggests beyond the declaration


def _declared_hint(declared: str) -> Proposal | None:
    """The declaration read without a framework, as the data-driven rules below use it."""
    d = declared_type(declared)
    if d is None or d.pg_type == "numeric":
        return None  # plain NUMERIC: decided by the data
    if PgType.of(d.pg_type).length is not None:
        return Proposal("text", "text", {})
    return Proposal(d.pg_type, d.converter, dict(d.options))


def _epoch_unit(p: ColumnProfile) -> str | None:
    if not p.fits("integer") or p.min is None or not isinstance(p.min, int | float):
        return None
    for unit, (lo, hi) in EPOCH_RANGES.items():
        if lo <= p.min and p.max <= hi:
            return unit
    return None


def _from_data(col: Column, p: ColumnProfile, table: Table) -> Proposal:
    """What the data holds, read with the declaration as a hint (the rules before
    declarations won): the proposal where the declaration says nothing precise, and the
    suggestion where it does."""
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
    date_ish = hint is not None and PgType.of(hint.pg_type).is_time
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
        if hint and PgType.of(hint.pg_type).is_integer and p.share("integer") >= DECLARED_TYPE_MIN_FIT:
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
    if hint and PgType.of(hint.pg_type).is_integer and p.fits("integer"):
        return Proposal("bigint", "integer", {}, "integers (some stored as text)")

    if "blob" in only and (affinity(declared) == "BLOB" and declared.strip()
                           or p.storage.get("blob", 0) * 2 >= p.non_null):
        return Proposal("bytea", "bytea", {}, "mostly blobs: text values are kept as their UTF-8 bytes")
    # Mixed data: the declared type wins if most values fit it; the rest are dirty.
    if hint and hint.pg_type != "text":
        share = p.share(_measured_by(hint.converter))
        if share >= DECLARED_TYPE_MIN_FIT:
            bad = p.sample_non_null - p.parses.get(_measured_by(hint.converter), 0)
            return Proposal(hint.pg_type, hint.converter, {},
                            f"declared {declared}; {bad} value(s) do not fit")
    if affinity(declared) == "NUMERIC" and p.share("real") >= DECLARED_TYPE_MIN_FIT:
        return Proposal("numeric", "numeric", {}, f"declared {declared}; mostly numbers")
    note = "text keeps every value"
    if hint and hint.pg_type != "text":
        note = f"declared {declared}, but most values do not fit it: text keeps every value"
    if "blob" in only:
        note += "; blobs must be UTF-8 to fit"
    if p.nul_bytes:
        note += f"; {p.nul_bytes} value(s) hold NUL bytes"
    if p.invalid_utf8:
        note += f"; {p.invalid_utf8} value(s) are not valid UTF-8"
    m = LEN_RE.search(declared)
    if hint and hint.pg_type == "text" and m and "CHAR" in declared.upper():
        n = int(m.group(1))
        if p.max_text_len <= n:
            return Proposal(f"varchar({n})", "varchar", {"length": n}, f"declared {declared}")
        note = f"declared {declared} but the longest value has {p.max_text_len} characters"
    return Proposal("text", "text", {}, note)


# Target types within one family: a data proposal inside the declared family is a choice of
# converter, not a different contract; across families it is only a suggestion.
_FAMILY = {"smallint": "number", "integer": "number", "bigint": "number", "numeric": "number",
           "double precision": "number", "real": "number", "timestamp": "time",
           "timestamptz": "time"}


def _family(pg_type: str) -> str:
    base = PgType.of(pg_type).name
    return _FAMILY.get(base, base)


def _framework_type(col: Column, p: ColumnProfile, table: Table, framework: str | None,
                    decl: Declared) -> Declared:
    """Where a framework's SQLite declaration is ambiguous, its PostgreSQL type map decides."""
    if framework not in ("django", "alembic"):
        return decl
    base = decl.pg_type.split("(")[0]
    width = LEN_RE.search(col.declared_type)
    n = int(width.group(1)) if width else 0
    # Django's UUIDField and SQLAlchemy's Uuid are char(32) hex on SQLite, uuid on PostgreSQL.
    if base == "varchar" and n == 32 and (p.non_null == 0 or p.fits("uuid")):
        return Declared("uuid", "uuid", why=f"{framework}: char(32) hex is a UUID field")
    if framework == "django" and base == "varchar" and n == 39 and (p.non_null == 0 or _all_ips(p)):
        return Declared("inet", "inet", why="Django: char(39) is a GenericIPAddressField (inet)")
    if base == "text" and any(
            (frameworks.json_valid_column(c) or "").lower() == col.name.lower() for c in table.checks):
        return Declared("jsonb", "json", why=f"{framework}: text with CHECK (JSON_VALID) is a JSONField")
    return decl


def _all_ips(p: ColumnProfile) -> bool:
    if set(p.storage) != {"text"} or not p.samples:
        return False
    try:
        for v in p.samples:
            ipaddress.ip_interface(v)
    except ValueError:
        return False
    return True


def propose_column(col: Column, p: ColumnProfile, table: Table,
                   framework: str | None = None) -> Proposal:
    """The declared type where it names one (values that don't fit are dirty); the data's
    proposal where it doesn't. What the data says beyond a declaration is a suggestion."""
    if table.rowid_alias == col.name:
        return Proposal("bigint", "integer", {}, "INTEGER PRIMARY KEY: identity, ids kept")
    data = _from_data(col, p, table)
    decl = declared_type(col.declared_type, framework)
    if decl is None or not decl.precise:
        return data
    decl = _framework_type(col, p, table, framework, decl)
    chosen = _honour(col, p, decl, data)
    if caveat := frameworks.unknowable(framework, col.declared_type, chosen.pg_type):
        chosen.note = f"{chosen.note}; {caveat}"
    if (data.converter != chosen.converter and _family(data.pg_type) != _family(chosen.pg_type)
            and data.pg_type != "text"):
        chosen.suggestion = data
    elif chosen.pg_type == "text" and decl.pg_type != "text":
        chosen.suggestion = Proposal(decl.pg_type, decl.converter, dict(decl.options),
                                     f"the declared type; {data.note}")
    return chosen


def _honour(col: Column, p: ColumnProfile, decl: Declared, data: Proposal) -> Proposal:
    declared = col.declared_type or "no type"
    why = f"declared {declared}" + (f"; {decl.why}" if decl.why else "")
    if p.non_null == 0:
        return Proposal(decl.pg_type, decl.converter, dict(decl.options),
                        f"{why}; no values to check")
    # The data may choose how values become the declared type (Unix time, Julian days or
    # ISO text with offsets into a timestamp column): the contract holds.
    if _family(decl.pg_type) == "time" and _family(data.pg_type) == "time" or (
            data.pg_type == decl.pg_type and data.pg_type != "text"):
        pg_type, conv = data.pg_type, data.converter
        if "timestamptz" in (decl.pg_type, data.pg_type) and _family(decl.pg_type) == "time":
            pg_type = "timestamptz"
            conv = "timestamptz" if conv == "timestamp" else conv  # naive values are UTC
        if conv not in converters.converters_for(pg_type):
            pg_type = data.pg_type  # (Julian days, dd/mm/yyyy: their converter's own type)
        return Proposal(pg_type, conv, {**decl.options, **data.options}, f"{why}; {data.note}")
    candidate = _measured_by(decl.converter)
    if candidate in p.parses and p.share(candidate) < DECLARED_TYPE_MIN_FIT:
        # Most values are not what the declaration says: the application never relied on
        # it. Text keeps every value; the declared type stays one key away.
        return Proposal("text", "text", {}, f"declared {declared}, but most values do not fit "
                        "it: text keeps every value")
    bad = p.sample_non_null - p.parses[candidate] if candidate in p.parses else 0
    if "length" in decl.options:
        n = int(decl.options["length"])
        over = p.max_text_len > n
        note = f"{why}; values longer than {n} characters are dirty" if over else why
        return Proposal(decl.pg_type, decl.converter, dict(decl.options), note)
    note = f"{why}; {bad} value(s) do not fit" if bad else why
    return Proposal(decl.pg_type, decl.converter, dict(decl.options), note)


_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}
# The profile candidate that measures a converter's fit.
def _measured_by(converter: str) -> str:
    """The profile candidate whose parse counts measure a converter's fit."""
    conv = converters.REGISTRY.get(converter)
    return conv.measured_by or converter if conv is not None else converter


def _two_word_flag(p: ColumnProfile) -> bool:
    """'yes'/'no', 'T'/'F', 'on'/'off'… : at most two distinct spellings, one of each side."""
    seen = p.distinct_small
    return bool(seen) and len({str(v).strip().lower() for v in seen}) <= 2


def _looks_structured(p: ColumnProfile) -> bool:
    return all(isinstance(s, str) and s.lstrip()[:1] in "{[" for s in p.samples)


def plan(schema: SourceSchema, profiles: dict[str, TableProfile],
         identifier_case: str | None = None) -> Mapping:
    """``identifier_case`` None: ``keep`` for a framework's database (its ORM quotes every
    name, so "LegacyNote" must stay "LegacyNote"), else ``lower`` (what PostgreSQL does to the
    unquoted names a plain application writes)."""
    fw = frameworks.detect(schema)
    framework = fw.key if fw else None
    if identifier_case is None:
        identifier_case = "keep" if framework else "lower"
    if identifier_case not in IDENTIFIER_CASES:
        raise ValueError(f"identifier_case must be one of {', '.join(IDENTIFIER_CASES)}, "
                         f"not {identifier_case!r}")
    fold = folder(identifier_case)
    m = Mapping(source=schema.path, identifier_case=identifier_case, framework=framework or "")
    table_names: set[str] = set()
    for t in schema.tables:
        prof = profiles[t.name]
        cols = []
        col_names: set[str] = set()
        renamed: list[str] = []
        for c in t.columns:
            if c.generated:
                continue
            prop = propose_column(c, prof.columns[c.name], t, framework)
            target = _unique(fold(c.name), col_names)
            if target != fold(c.name):
                renamed.append(f"column {c.name} → {target} (its name was taken)")
            col_names.add(target)
            sug = prop.suggestion
            cols.append(ColumnMapping(
                source=c.name, target=target, declared=c.declared_type, pg_type=prop.pg_type,
                converter=prop.converter, options=prop.options,
                identity=t.rowid_alias == c.name, note=prop.note,
                suggestion=Suggestion(sug.pg_type, sug.converter, dict(sug.options), sug.note)
                if sug else None))
        notes = []
        if not t.primary_key:
            notes.append("no primary key: rows copied as they are, duplicates included")
        target = _unique(fold(t.name), table_names)
        if target != fold(t.name):
            notes.append(f"named {target}: {fold(t.name)} was taken by another table")
        table_names.add(target)
        m.tables.append(TableMapping(source=t.name, target=target, columns=cols,
                                     note="; ".join(notes + renamed)))
    return m
