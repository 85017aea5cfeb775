"""Booleans: 0/1 and the yes/no words SQLite applications store."""

from __future__ import annotations

from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.converters.base import Convert, Converter, Reject, register
from sqlite2pg_tui.core.values.pgtype import PgType

TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off"}


def _make_boolean(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> bool:
        if type(v) is int or isinstance(v, float):
            if v == 1:
                return True
            if v == 0:
                return False
            raise Reject(f"{v!r} is neither 0 nor 1")
        if isinstance(v, str):
            s = v.strip().lower()
            if s in TRUE_WORDS:
                return True
            if s in FALSE_WORDS:
                return False
            raise Reject("not a yes/no value")
        raise Reject("a blob, not a boolean")

    return conv


def _vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if not pg.is_bool:
        return None
    return vectors.Form("integer", lambda: vectors.pyarrow().bool_(), vectors.boolean01)


def true_sql(column: str) -> str:
    """SQLite SQL counting the values this converter makes true (the default checks)."""
    ws = "' ' || char(9, 10, 11, 12, 13)"
    words = ", ".join(f"'{w}'" for w in sorted(TRUE_WORDS))
    return (f"coalesce(sum(CASE WHEN typeof({column}) IN ('integer', 'real') THEN {column} = 1 "
            f"WHEN typeof({column}) = 'text' THEN lower(trim({column}, {ws})) IN ({words}) "
            f"ELSE 0 END), 0)")


register(Converter("boolean", "boolean",
                   "0/1, true/false, t/f, yes/no, y/n, on/off (any case) → boolean.",
                   "boolean", _make_boolean, fits={"boolean": 0}, check="boolean",
                   vector=_vector, canonical="bool01", profile_dirt="parses"))
