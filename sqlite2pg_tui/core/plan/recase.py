"""The identifier case of a mapping changed after planning: table and column targets again."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlite2pg_tui.core.plan.mapping import IDENTIFIER_CASES, ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.plan.naming import folder, unique


def _planned(target: str, source: str, case: str) -> bool:
    """Whether ``target`` is what the case gave ``source`` (perhaps made unique with _N),
    as opposed to a name the person typed, which a new case must not undo."""
    folded = folder(case)(source)
    return target == folded or re.fullmatch(re.escape(folded) + r"_\d+", target) is not None


def recase(mapping: Mapping, case: str) -> Mapping:
    """``mapping`` with ``identifier_case`` set to ``case`` and every table and column name
    the old case produced folded the new way, unique as the plan keeps them. Names the
    person chose are kept as they are (and claimed first, so nothing takes them)."""
    if case not in IDENTIFIER_CASES:
        raise ValueError(f"identifier_case must be one of {', '.join(IDENTIFIER_CASES)}, "
                         f"not {case!r}")
    old, fold = mapping.identifier_case, folder(case)
    _retarget(mapping.tables, old, fold)
    for tm in mapping.tables:
        _retarget(tm.columns, old, fold)
    mapping.identifier_case = case
    return mapping


def _retarget(items: Sequence[TableMapping | ColumnMapping], old: str,
              fold: Callable[[str], str]) -> None:
    planned = [_planned(it.target, it.source, old) for it in items]
    taken = {it.target for it, p in zip(items, planned, strict=True) if not p}
    for it, p in zip(items, planned, strict=True):
        if p:
            it.target = unique(fold(it.source), taken)
            taken.add(it.target)
