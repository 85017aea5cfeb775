"""Indexes that only repeat what the primary key already gives PostgreSQL."""

from __future__ import annotations

from sqlite2pg_tui.core.source.schema import Table


def redundant_indexes(table: Table) -> list[str]:
    """Names of the unique indexes whose key is exactly the primary key: the same plain
    columns in the same order, ascending, default collation, not partial. The primary key's
    own index makes them a second copy PostgreSQL would maintain on every write."""
    pk = table.primary_key
    if not pk:
        return []
    return [idx.name for idx in table.indexes
            if idx.unique and idx.origin != "pk" and not idx.partial
            and list(idx.columns) == pk
            and not any(idx.descending) and not any(idx.collations)]
