"""What a SQLite declared type means in PostgreSQL.

The declared type is the contract the application was written against, so a declaration
that names a type maps to its PostgreSQL equivalent. Only where it says nothing precise (no
type, TEXT/CLOB, bare NUMERIC, a name nobody knows) does the data decide. A framework's
database is read with that framework's PostgreSQL type map (see frameworks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlite2pg_tui.core.values.converters import type_options

LEN_RE = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


@dataclass
class Declared:
    pg_type: str
    converter: str
    options: dict[str, Any] = field(default_factory=dict)
    precise: bool = True  # False: only a hint, the data decides
    why: str = ""  # a convention applied, said in the plan's note


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


# Integer names by size; "unsigned" needs the next size up to keep its upper half.
_INT_SIZES = ("smallint", "integer", "bigint")
_INT_WORDS = {"TINYINT": 0, "SMALLINT": 0, "INT2": 0, "MEDIUMINT": 1, "INT4": 1,
              "BIGINT": 2, "INT8": 2}


def _integer(words: set[str], framework: str | None) -> Declared:
    sized = [_INT_WORDS[w] for w in words if w in _INT_WORDS]
    if sized:
        size = max(sized)
    elif framework:
        # Django, Rails and SQLAlchemy all write "integer" for a 32-bit integer field and
        # create "integer" on PostgreSQL.
        size = 1
    else:
        # A plain SQLite INTEGER holds 64 bits: anything smaller could refuse a value the
        # application already stored.
        size = 2
    if "UNSIGNED" in words and not framework and size < 2:
        # SQLite stores at most a signed 64-bit integer, so only the smaller sizes grow.
        size += 1
    return Declared(_INT_SIZES[size], "integer", type_options("integer", _INT_SIZES[size]))


def declared_type(declared: str, framework: str | None = None) -> Declared | None:
    """The PostgreSQL type a declaration names, or None where it names nothing usable."""
    t = " ".join(declared.upper().split())
    if not t:
        return None
    words = set(re.findall(r"[A-Z][A-Z0-9]*", t))
    m = LEN_RE.search(t)
    tz = "TZ" in t or "ZONE" in t and "WITHOUT" not in t
    if "BOOL" in t:
        return Declared("boolean", "boolean")
    if words & {"DATETIME", "TIMESTAMP", "TIMESTAMPTZ"}:
        if not tz and framework == "django":
            return Declared("timestamptz", "timestamptz",
                            why="Django stores UTC instants (USE_TZ): timestamptz")
        kind = "timestamptz" if tz else "timestamp"
        return Declared(kind, kind)
    if words == {"DATE"}:
        return Declared("date", "date")
    if "TIME" in words or "TIMETZ" in words:
        return Declared("timetz", "timetz") if tz else Declared("time", "time")
    if "JSON" in t:
        return Declared("jsonb", "json")
    if words & {"UUID", "GUID", "UNIQUEIDENTIFIER"}:
        return Declared("uuid", "uuid")
    if words & {"INET", "CIDR"}:
        kind = "cidr" if "CIDR" in words else "inet"
        return Declared(kind, kind)
    if words & {"DECIMAL", "NUMERIC", "NUMBER", "MONEY"}:
        if m:
            # numeric(p,s) refuses what does not fit exactly, as PostgreSQL would round it.
            pg_type = f"numeric({int(m.group(1))},{int(m.group(2) or 0)})"
            return Declared(pg_type, "numeric", type_options("numeric", pg_type))
        if "DECIMAL" in words or framework:
            return Declared("numeric", "numeric")
        return Declared("numeric", "numeric", precise=False)  # bare NUMERIC: the data decides
    aff = affinity(t)
    if words & {"FLOAT", "FLOATING", "DOUBLE", "REAL"}:
        # "FLOATING POINT" has INTEGER affinity ("INT" in "POINT"), but it names a float.
        return Declared("double precision", "real")
    if aff == "INTEGER":
        return _integer(words, framework)
    if aff == "REAL":
        return Declared("double precision", "real")
    if aff == "TEXT":
        if m and words & {"CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "CHARACTER", "VARYING",
                          "NATIVE"}:
            n = int(m.group(1))
            why = "" if "VAR" in t else f"char({n}) pads with spaces in PostgreSQL: varchar({n})"
            return Declared(f"varchar({n})", "varchar", type_options("varchar", f"varchar({n})"),
                            why=why)
        # TEXT says "a string"; from a framework it is exactly that (Django's TextField).
        return Declared("text", "text", precise=bool(framework))
    if aff == "BLOB":
        return Declared("bytea", "bytea")
    return None


def affinity_type(declared: str) -> str:
    """The PostgreSQL type a declared type stands for when there is no data to look at."""
    d = declared_type(declared)
    if d is not None:
        return d.pg_type
    return "numeric" if affinity(declared) == "NUMERIC" else "text"
