"""Names in SQL: which ones PostgreSQL reads as written, and how to write the others."""

from __future__ import annotations

import re

# PostgreSQL's reserved key words (and those reserved as function or type names) that
# SQLite lets people use as bare column or table names; bare, PostgreSQL reads them
# as key words, e.g. `SELECT user FROM t` returns the current role.
PG_RESERVED = frozenset(["all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select", "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with"])

_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_ident(name: str) -> str:
    """``name`` as PostgreSQL must see it: bare when it folds to itself, else quoted."""
    if _PLAIN_IDENT.match(name) and name not in PG_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'
