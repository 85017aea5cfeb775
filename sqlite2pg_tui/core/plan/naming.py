"""Names PostgreSQL will accept: at most 63 bytes and unique among a schema's relations.

Indexes and tables share one namespace in PostgreSQL (SQLite too, but our generated
constraint names can collide), so every relation name goes through one allocator that
remembers what it had to rename, for the report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

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


def unique(base: str, taken: set[str]) -> str:
    """``base`` made unique among ``taken`` (``_2``, ``_3``…) and at most 63 bytes, as
    PostgreSQL would cut it: how the plan names tables and columns."""
    new, n = fit(base, set()), 2
    while new in taken:
        suffix = f"_{n}"
        head = base.encode()[: MAX_IDENT_BYTES - len(suffix)].decode("utf-8", "ignore")
        new, n = head + suffix, n + 1
    return new


def folder(case: str) -> Callable[[str], str]:
    """How source names become target names. ``lower`` is what PostgreSQL does to unquoted
    names, so the application's unquoted SQL (and its migrations' constraint names) keep
    working, as pgloader does by default; ``keep`` quotes them as they are."""
    if case == "snake":
        return snake
    if case == "lower":
        return str.lower
    return str


class NameAllocator:
    """Names for the schema objects we create. ``fold`` is applied to every name first (the
    mapping's identifier case); only a change beyond that (length, a clash) is reported."""

    def __init__(self, taken: set[str] | None = None,
                 fold: Callable[[str], str] = str) -> None:
        self.taken: set[str] = set(taken or ())
        self.fold = fold
        self.renamed: list[tuple[str, str, str]] = []  # (kind, original, new)

    def claim(self, name: str, kind: str = "index") -> str:
        folded = self.fold(name)
        new = fit(folded, self.taken)
        self.taken.add(new)
        if new != folded:
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
