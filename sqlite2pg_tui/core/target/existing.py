"""Data-only loads into tables that already exist (created by Django, Alembic, …).

Columns are matched by name, not position; each column takes the target's type, with a
converter that produces it; what cannot fit is listed before anything is written. Tables
load parents first, and identity/serial sequences move past the loaded ids afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.errors import MappingError
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import qualified
from sqlite2pg_tui.core.values import converters

# information_schema's names for types, as the mapping writes them.
_TYPE_NAMES = {
    "character varying": "varchar", "character": "char", "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz", "double precision": "double precision",
    "real": "real", "integer": "integer", "bigint": "bigint", "smallint": "smallint",
    "boolean": "boolean", "numeric": "numeric", "text": "text", "jsonb": "jsonb", "json": "json",
    "uuid": "uuid", "bytea": "bytea", "date": "date", "time without time zone": "time",
    "time with time zone": "timetz", "interval": "interval", "inet": "inet", "cidr": "cidr",
}


@dataclass
class TargetColumn:
    name: str
    pg_type: str
    nullable: bool
    has_default: bool  # a DEFAULT, identity or generated: may be left out of the COPY


@dataclass
class Adapted:
    pairs: list[tuple[Table, TableMapping]]
    notes: list[dict[str, str]] = field(default_factory=list)
    existing: set[str] = field(default_factory=set)  # target tables that were already there
    not_null: dict[str, list[str]] = field(default_factory=dict)  # target → NOT NULL columns


def target_columns(cur: Any, schema: str, table: str) -> list[TargetColumn]:
    cur.execute(
        "SELECT column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END, "
        "character_maximum_length, numeric_precision, "
        "numeric_scale, is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES' "
        "OR is_generated <> 'NEVER' FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (schema, table))
    out = []
    for name, dtype, length, prec, scale, nullable, has_default in cur.fetchall():
        t = _TYPE_NAMES.get(dtype, dtype)
        if t in ("varchar", "char") and length:
            t = f"{t}({length})"
        elif t == "numeric" and prec is not None:
            t = f"numeric({prec},{scale or 0})"
        out.append(TargetColumn(name, t, nullable, has_default))
    return out


def adapt(cur: Any, schema: str, pairs: list[tuple[Table, TableMapping]],
          existing: list[str], *, loading: bool = True) -> Adapted:
    """Fit the mapping to the existing tables; MappingError lists every column that cannot.
    ``loading`` False (verifying what is there): only the columns both sides have count."""
    result = Adapted(pairs=[], existing=set(existing))
    problems: list[str] = []
    for table, tm in pairs:
        if tm.target not in result.existing:
            result.pairs.append((table, tm))
            continue
        cols = {c.name: c for c in target_columns(cur, schema, tm.target)}
        new_cols: list[ColumnMapping] = []
        for cm in tm.columns:
            tc = cols.pop(cm.target, None)
            if tc is None:
                if not loading:
                    continue
                problems.append(f"{tm.target}.{cm.target} is not in the existing table "
                                "(exclude it from the mapping, or add the column)")
                continue
            new_cols.append(_fit(cm, tc, tm.target, result.notes))
            if not tc.nullable:
                result.not_null.setdefault(tm.target, []).append(cm.target)
        for tc in cols.values() if loading else ():
            if tc.nullable or tc.has_default:
                result.notes.append({"table": tm.target, "note": f"column {tc.name} is not in "
                                     "the source: left to its default/NULL"})
            else:
                problems.append(f"{tm.target}.{tc.name} is NOT NULL without a default and has no "
                                "source column (map one to it, or give it a default)")
        result.pairs.append((table, replace(tm, columns=new_cols)))
    if problems:
        raise MappingError(f"the existing tables do not fit the data: {problems[0]}"
                           + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                           problems)
    return result


def _fit(cm: ColumnMapping, tc: TargetColumn, table: str, notes: list[dict[str, str]]) -> ColumnMapping:
    """The target column's type decides the converter; its length, precision and scale are
    the converter's limits, so what would not fit is found before anything is written."""
    choices = converters.converters_for(tc.pg_type)
    conv = cm.converter if cm.converter in choices else choices[0]
    if converters.get(conv).pg_type is not None and not converters.type_options(conv, tc.pg_type):
        # No limit to keep (varchar without a length): such a converter would impose its
        # default, so the type's first converter that takes the type as it is.
        conv = next((c for c in choices if converters.get(c).pg_type is None), conv)
    kept = {k: v for k, v in cm.options.items() if k not in converters.TYPE_LIMITS}
    options = {**(kept if conv == cm.converter else {}), **converters.type_options(conv, tc.pg_type)}
    if converters.base_type(tc.pg_type) == converters.base_type(cm.pg_type) and conv == cm.converter:
        return replace(cm, pg_type=tc.pg_type, options=options, identity=False)
    notes.append({"table": table, "note": f"column {cm.target} is {tc.pg_type} in the existing "
                  f"table (planned {cm.pg_type}): converted with {conv}"})
    return replace(cm, pg_type=tc.pg_type, converter=conv, options=options, identity=False)


def load_order(cur: Any, schema: str, pairs: list[tuple[Table, TableMapping]]) -> list[tuple[Table, TableMapping]]:
    """Parents before children, from the existing tables' foreign keys that are checked at
    once; deferrable ones are judged at the end of the load, whatever the order."""
    names = [tm.target for _, tm in pairs]
    cur.execute(
        "SELECT c.relname, p.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE k.contype = 'f' AND NOT k.condeferrable AND n.nspname = %s AND c.relname = ANY(%s) "
        "AND p.relname = ANY(%s)",
        (schema, names, names))
    parents: dict[str, set[str]] = {n: set() for n in names}
    for child, parent in cur.fetchall():
        if child != parent:
            parents[child].add(parent)
    order: list[str] = []
    done: set[str] = set()

    def visit(n: str, path: set[str]) -> None:
        if n in done or n in path:
            return  # a cycle: load in the given order and let PostgreSQL judge
        for p in sorted(parents[n]):
            visit(p, path | {n})
        done.add(n)
        order.append(n)

    for n in names:
        visit(n, set())
    by_target = {tm.target: (t, tm) for t, tm in pairs}
    return [by_target[n] for n in order]


def bump_sequences(cur: Any, schema: str, pairs: list[tuple[Table, TableMapping]]) -> None:
    """Identity and serial sequences of the existing tables past the loaded ids."""
    for table, tm in pairs:
        for cm in tm.columns:
            cur.execute("SELECT pg_get_serial_sequence(%s, %s)",
                        (sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(tm.target))
                         .as_string(cur.connection), cm.target))
            seq = cur.fetchone()[0]
            if not seq:
                continue
            cur.execute(sql.SQL("SELECT setval(%s::regclass, GREATEST((SELECT coalesce(max({}), 0) "
                                "FROM {}), %s, 1))").format(sql.Identifier(cm.target),
                                                             qualified(schema, tm.target)),
                        (seq, table.sequence or 0))
