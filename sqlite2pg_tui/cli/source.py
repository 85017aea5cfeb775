"""The commands that read only the SQLite file: inspect (schema and profile) and plan (a
mapping proposed as TOML)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.errors import EXIT_OK, MappingError
from sqlite2pg_tui.core.plan.mapping import Mapping


def _framework_advice(schema: object) -> list[str]:
    from sqlite2pg_tui.core.source.frameworks import detect
    from sqlite2pg_tui.core.source.schema import SourceSchema

    assert isinstance(schema, SourceSchema)
    fw = detect(schema)
    if fw is None:
        return []
    steps = fw.data_only_steps(schema.path)
    return [f"made by {fw.name} ({fw.history_table}): load it data-only into the schema "
            f"{fw.name}'s own migrations create:", *(f"  {i}. {step}" for i, step in
                                                     enumerate(steps, 1))]


def _suggestion_lines(mapping: Mapping) -> list[str]:
    found = [(tm, c) for tm in mapping.tables for c in tm.columns if c.suggestion]
    if not found:
        return []
    return [f"{len(found)} type suggestion(s) from the data, not applied (the declared types "
            "win; --accept-suggestions or edit the mapping to take them):",
            *(f"  {tm.source}.{c.source}: {c.pg_type} → {c.suggestion.pg_type} "
              f"({c.suggestion.note})" for tm, c in found if c.suggestion)]


def cmd_inspect(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.core.source.inspection import inspect, inspection_to_dict

    ins = _inspect_with_progress(inspect, args)
    if args.json:
        print(json.dumps(inspection_to_dict(ins), indent=2, ensure_ascii=False, default=str))
        return EXIT_OK
    from sqlite2pg_tui.core.plan.propose import plan

    s = ins.schema
    print(f"{s.path}: {len(s.tables)} table(s), {s.total_rows:,} row(s), {s.size_bytes:,} bytes")
    for line in _framework_advice(s):
        print(line)
    proposed = {(tm.source, c.source): c for tm in plan(s, ins.profiles).tables for c in tm.columns}
    for t in s.tables:
        flags = [f for f, on in (("WITHOUT ROWID", t.without_rowid), ("AUTOINCREMENT", t.autoincrement)) if on]
        print(f"\n{t.name}  ({t.row_count:,} rows{', ' + ', '.join(flags) if flags else ''})")
        for c in t.columns:
            p = ins.profiles[t.name].columns.get(c.name)
            bits = [c.declared_type or "(no type)"]
            if c.pk:
                bits.append(f"PK{c.pk}")
            if c.notnull:
                bits.append("NOT NULL")
            if c.default is not None:
                bits.append(f"DEFAULT {c.default}")
            holds = p.storage_mix() if p else "generated"
            nulls = f", {p.nulls:,} NULL" if p and p.nulls else ""
            print(f"  {c.name:<24} {' '.join(bits):<34} holds: {holds}{nulls}")
            cm = proposed.get((t.name, c.name))
            if cm is not None:
                print(f"  {'':<24} → {cm.pg_type}" + (f"   (data suggests {cm.suggestion.pg_type}: "
                                                     f"{cm.suggestion.note})" if cm.suggestion else ""))
        for i in t.indexes:
            print(f"  index {i.name}: {'unique ' if i.unique else ''}{i.columns}{' partial' if i.partial else ''}")
        for fk in t.foreign_keys:
            print(f"  foreign key {fk.columns} → {fk.ref_table}{fk.ref_columns} ON DELETE {fk.on_delete}")
    for v in s.views:
        print(f"\nview {v.name}")
    for tr in s.triggers:
        print(f"trigger {tr.name} on {tr.table}")
    for k in s.skipped:
        print(f"skipped {k.kind} {k.name}: {k.reason}")
    return EXIT_OK


def _inspect_with_progress(inspect: Callable[..., Any], args: argparse.Namespace) -> Any:
    """inspect, saying on stderr which table it is profiling (only on a terminal)."""
    limit = None if args.full else args.sample
    if not sys.stderr.isatty():
        return inspect(args.source, limit=limit)

    def show(table: str, _done: int, total: int) -> None:
        print(f"\r\x1b[Kprofiling {table} ({total:,} rows)…", end="", file=sys.stderr, flush=True)

    try:
        return inspect(args.source, limit=limit, on_table=show)
    finally:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.inspection import inspect

    ins = _inspect_with_progress(inspect, args)
    mapping = plan(ins.schema, ins.profiles, "snake" if args.snake_case else args.identifier_case)
    if args.accept_suggestions:
        for tm in mapping.tables:
            for cm in tm.columns:
                cm.accept_suggestion()
    if args.update:
        from sqlite2pg_tui.core.plan.mapping import drift, merge

        saved = Mapping.load(args.update)
        for d in drift(saved, ins.schema):
            print(f"  changed: {d}", file=sys.stderr)
        mapping = merge(saved, mapping)
        if not args.output and not args.stdout:
            args.output, args.force = args.update, True
    if args.schema:
        mapping.schema = args.schema
    for line in _framework_advice(ins.schema) + _suggestion_lines(mapping):
        print(line, file=sys.stderr)
    if args.stdout:
        sys.stdout.write(mapping.to_toml())
        return EXIT_OK
    out = Path(args.output) if args.output else locations.default_mapping_path(args.source)
    if out.exists() and not args.force:
        raise MappingError(f"{out} exists; use --force to overwrite it")
    mapping.save(out)
    print(f"mapping written to {out}")
    return EXIT_OK
