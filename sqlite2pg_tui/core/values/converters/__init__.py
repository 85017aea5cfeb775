"""The converter registry: named, tested units turning a SQLite value into a PostgreSQL one.

A converter (base.py) is built from options into a plain function ``value -> python value``
that raises :class:`Reject` with a reason a person can read, and carries its capabilities:
the types it is offered for, its vectorized form, its canonical batch shape, its default
check, its SQL form. Each family lives in its own module here (text, numbers, booleans,
times, documents, pgtypes); a new converter is one ``register(Converter(...))`` call in one
of them, and the rest of the program asks the registry instead of testing names.
"""

from __future__ import annotations

from typing import Any

# isort: off
# The families register their converters when imported, in the order the picker lists them.
from sqlite2pg_tui.core.values.converters import text, numbers, booleans, times, documents, pgtypes
# isort: on
from sqlite2pg_tui.core.values.converters.base import (
    INT64_MAX,
    INT64_MIN,
    REGISTRY,
    Convert,
    Converter,
    Reject,
    SqlForm,
    StoredNumber,
    build,
    get,
    has_surrogates,
    preview,
    register,
)
from sqlite2pg_tui.core.values.converters.booleans import FALSE_WORDS, TRUE_WORDS
from sqlite2pg_tui.core.values.converters.numbers import fit_numeric
from sqlite2pg_tui.core.values.converters.times import (
    DMY_RE,
    EPOCH,
    EPOCH_DIVISOR,
    ISO_RE,
    JULIAN_UNIX_EPOCH,
    parse_iso,
    sub_microsecond,
)
from sqlite2pg_tui.core.values.copy_format import interval_text
from sqlite2pg_tui.core.values.display import as_postgres as show
from sqlite2pg_tui.core.values.display import visible as describe
from sqlite2pg_tui.core.values.pgtype import PgType

__all__ = [
    "DMY_RE", "EPOCH", "EPOCH_DIVISOR", "FALSE_WORDS", "INT64_MAX", "INT64_MIN", "ISO_RE",
    "JULIAN_UNIX_EPOCH", "REGISTRY", "TRUE_WORDS", "TYPE_LIMITS", "Convert", "Converter",
    "Reject", "SqlForm", "StoredNumber", "base_type", "build", "converters_for", "describe",
    "fit_numeric", "get", "has_surrogates", "interval_text", "parse_iso", "preview", "register",
    "show", "sub_microsecond", "target_type", "type_options",
    "text", "numbers", "booleans", "times", "documents", "pgtypes",
]


def base_type(pg_type: str) -> str:
    """'varchar(20)' → 'varchar', 'numeric(10,2)' → 'numeric' (see PgType)."""
    return PgType.of(pg_type).name


def converters_for(pg_type: str) -> list[str]:
    """The converters offered for a PostgreSQL type, best first: drives the picker."""
    base = base_type(pg_type)
    fitting = sorted((c.fits[base], i, c.name) for i, c in enumerate(REGISTRY.values())
                     if base in c.fits)
    return [name for _, _, name in fitting] or ["text"]


def target_type(name: str, options: dict[str, Any] | None, current: str) -> str:
    """The PostgreSQL type a converter choice gives a column, keeping ``current`` where the
    converter produces it (integer or numeric(10,2) rather than the generic target)."""
    conv = get(name)
    if conv.pg_type is not None:
        return conv.pg_type({**conv.options, **(options or {})})
    if name in converters_for(current) and base_type(current) != "varchar":
        return current
    return conv.target


# The options a type imposes (below); a new type replaces all of them.
TYPE_LIMITS = ("length", "precision", "scale", "min", "max")
_INT_RANGE = {"integer": 32, "int": 32, "int4": 32, "smallint": 16, "int2": 16}
_LENGTHS = {"varchar", "character varying", "char", "character", "bpchar"}


def type_options(converter: str, pg_type: str) -> dict[str, Any]:
    """The options a column's PostgreSQL type imposes on its converter (its ``limits``):
    varchar's (char's) length, integer's and smallint's range, numeric's precision and
    scale. Empty when the type has none."""
    limits = get(converter).limits if converter in REGISTRY else None
    t = PgType.of(pg_type)
    if limits == "length":
        return {"length": t.args[0]} if t.name in _LENGTHS and len(t.args) == 1 else {}
    if limits == "range" and t.name in _INT_RANGE and not t.args:
        bits = _INT_RANGE[t.name]
        return {"min": -(2 ** (bits - 1)), "max": 2 ** (bits - 1) - 1}
    if limits == "precision" and t.name in ("numeric", "decimal") and t.args:
        return {"precision": t.precision, "scale": t.scale}
    return {}
