"""Names PostgreSQL will accept: at most 63 bytes and unique among a schema's relations.

Indexes and tables share one namespace in PostgreSQL (SQLite too, but our generated
constraint names can collide), so every relation name goes through one allocator that
remembers what it had to rename, for the report.
"""

from __future__ import annotations

import hashlib
import re

MAX_IDENT_BYTES = 63


def fit(name: str, taken: set[str]) -> str:
    """``name`` itself when free and short enough; else a truncated name with a hash suffix."""
    if len(name.encode()) <= MAX_IDENT_BYTES and name not in taken:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()
    for n in range(6, 41):
        suffix = "_" + digest[:n]
        head = name.encode()[: MAX_IDENT_BYTES - len(suffix)].decode("utf-8", "ignore")
        candidate = head + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"cannot find a free name for {name!r}")


class NameAllocator:
    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())
        self.renamed: list[tuple[str, str, str]] = []  # (kind, original, new)

    def claim(self, name: str, kind: str = "index") -> str:
        new = fit(name, self.taken)
        self.taken.add(new)
        if new != name:
            self.renamed.append((kind, name, new))
        return new


def snake(name: str) -> str:
    """'Order Details' → 'order_details', 'userID' → 'user_id'. Used when asked for."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    # \w is Unicode-aware: café and 日本 keep their letters, only separators become _.
    s = re.sub(r"[^\w]+", "_", s).strip("_").lower()
    if not s or s[0].isdigit():
        s = "_" + s
    return s
