"""Values shown to people, three ways, one home:

* :func:`visible` — a raw value with tabs, newlines, NUL and invalid bytes spelled out
  (``'a\\tb'``, ``x'00ff'``): what the wizard and the reject messages show of SQLite's side;
* :func:`as_postgres` — a value the way PostgreSQL prints it (true/false, ISO timestamps,
  JSON), made visible; the same text whichever side (source, converted, PostgreSQL) it is from;
* :func:`as_json` — a value as the JSON report holds it: numbers and NULL as such, the rest text.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def visible(value: Any, limit: int = 60) -> str:
    """A value made visible for people: tabs, newlines, NUL and invalid bytes spelled out."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "x'" + value[: limit // 2].hex() + ("…" if len(value) > limit // 2 else "") + "'"
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch == "\t":
                out.append("\\t")
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\x00":
                out.append("␀")
            elif "\udc80" <= ch <= "\udcff":
                out.append(f"\\x{ord(ch) - 0xDC00:02x}")
            elif ord(ch) < 32:
                out.append(f"\\x{ord(ch):02x}")
            else:
                out.append(ch)
        s = "".join(out)
        text = f"'{s}'"
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(value)


def as_postgres(value: Any, limit: int = 200) -> str:
    """A value the way PostgreSQL would print it (true/false, ISO timestamps, JSON), made
    visible for people; the same text whichever side (source, converted, PostgreSQL) it is from."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if value is None or isinstance(value, str | bytes | int):
        return visible(value, limit)
    return str(value)


def as_json(v: Any) -> Any:
    """A value as the JSON report shows it: numbers and NULL as such, the rest as text."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, memoryview | bytes):
        return "\\x" + bytes(v).hex()
    if isinstance(v, datetime):
        return v.isoformat(" ")
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)
    return str(v)
