"""Values written in SQL: 0/1 where the column became boolean, blob literals, LIMIT's "no limit"."""

from __future__ import annotations


def boolean(text: str) -> str | None:
    """TRUE/FALSE for SQLite's 1/0 compared with or stored in a column that became boolean."""
    return {"1": "TRUE", "0": "FALSE"}.get(text.strip())


def no_limit(count: int) -> bool:
    """A negative LIMIT is "no limit" to SQLite; PostgreSQL rejects it and spells it ALL (or NULL)."""
    return count < 0


def blob(hex_digits: str, as_text: bool) -> str:
    """X'..' as bytea; next to || SQLite reads the bytes as text, so they are decoded as UTF-8."""
    literal = "'\\x" + hex_digits + "'"
    return f"convert_from({literal}, 'UTF8')" if as_text else f"{literal}::bytea"


def concat_operand(text: str) -> str | None:
    """An integer literal joined with ||, as the text SQLite makes of it (PostgreSQL has no
    integer || integer); None for anything else."""
    t = text.strip()
    return f"'{t}'" if t.isdigit() else None
