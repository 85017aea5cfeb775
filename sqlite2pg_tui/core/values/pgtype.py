"""A PostgreSQL type name, parsed once: the base name, its modifiers and whether it is an array.

Mappings, existing tables and check queries all name types as text ('varchar(20)',
'numeric(10,2)', 'timestamp(3) with time zone'); every place that needs the parts asks
:func:`PgType.of` instead of splitting the text itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SHAPE = re.compile(
    r"^\s*([a-z_][a-z0-9 _]*?)\s*(?:\(\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?\))?\s*"
    r"(with time zone|without time zone)?\s*((?:\[\d*\])*)\s*$")
INTEGERS = frozenset({"bigint", "integer", "smallint", "int", "int2", "int4", "int8"})
TEXTS = frozenset({"text", "varchar", "character varying", "char", "character", "bpchar", "citext"})
PADDED = frozenset({"char", "character", "bpchar"})
TIMES = frozenset({"timestamp", "timestamptz", "date"})


@dataclass(frozen=True)
class PgType:
    text: str  # as written
    name: str  # lower case, no modifiers; 'timestamp … with time zone' is 'timestamptz'
    args: tuple[int, ...] = ()  # the modifiers: varchar(n), numeric(p, s), timestamp(p)
    array: bool = False

    @staticmethod
    def of(text: str) -> PgType:
        return _parse(text)

    @property
    def is_integer(self) -> bool:
        return self.name in INTEGERS and not self.array

    @property
    def is_text(self) -> bool:
        return self.name in TEXTS and not self.array

    @property
    def is_padded(self) -> bool:
        return self.name in PADDED and not self.array

    @property
    def is_time(self) -> bool:
        return self.name in TIMES and not self.array

    @property
    def is_bool(self) -> bool:
        return self.name in ("boolean", "bool") and not self.array

    @property
    def is_json(self) -> bool:
        return self.name in ("json", "jsonb") and not self.array

    @property
    def length(self) -> int | None:
        """varchar(n) / char(n): n."""
        return self.args[0] if self.args and self.is_text else None

    @property
    def precision(self) -> int | None:
        return self.args[0] if self.args else None

    @property
    def scale(self) -> int | None:
        """numeric(p, s): s (0 when only p is written); None without modifiers."""
        if not self.args:
            return None
        return self.args[1] if len(self.args) > 1 else 0


@lru_cache(maxsize=1024)
def _parse(text: str) -> PgType:
    t = " ".join(text.lower().split())
    m = _SHAPE.match(t)
    if not m:  # something we don't know the grammar of: its first word stands for it
        return PgType(text, t.split("(")[0].strip(), (), t.endswith("]"))
    name, a, b, zone, brackets = m.groups()
    name = name.strip()
    if name in ("timestamp", "timestamptz") and zone:
        name = "timestamptz" if zone == "with time zone" else "timestamp"
    elif name in ("time", "timetz") and zone:
        name = "timetz" if zone == "with time zone" else "time"
    args = tuple(int(x) for x in (a, b) if x is not None)
    return PgType(text, name, args, bool(brackets))
