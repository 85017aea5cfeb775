"""The Mapping: what the user chose, per table and column. Saved as versioned TOML.

It flows from review to copy to verify and is the file a headless run repeats. It never
holds a password: the target is given at run time (DSN, PG* variables, .pgpass).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from sqlite2pg_tui.core.errors import MappingError
from sqlite2pg_tui.core.source.schema import SourceSchema
from sqlite2pg_tui.core.values import converters

FORMAT_VERSION = 1
ON_ERROR = ("reject", "null", "abort")
IF_EXISTS = ("fail", "replace", "append", "truncate")
IDENTIFIER_CASES = ("lower", "keep", "snake")
ORPHAN_POLICIES = ("not_valid", "null", "reject", "skip")


@dataclass
class Suggestion:
    """What the data suggests beyond the declared type; applied only when a person accepts."""

    pg_type: str
    converter: str
    options: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class ColumnMapping:
    source: str
    target: str
    declared: str
    pg_type: str
    converter: str
    options: dict[str, Any] = field(default_factory=dict)
    on_error: str = "reject"
    identity: bool = False
    note: str = ""  # why the planner proposed this, for people
    suggestion: Suggestion | None = None

    def set_type(self, pg_type: str) -> None:
        """A new target type, with a converter that produces it and the limits it imposes
        (varchar's length, numeric's precision, integer's width)."""
        if pg_type != self.pg_type:
            self.note = ""  # the planner's reason was for its own proposal, not this one
        self.pg_type = pg_type
        names = converters.converters_for(pg_type)
        conv = converters.REGISTRY.get(self.converter)
        # A converter whose options imply the type (varchar(n)) keeps it only for that type.
        implied = conv.pg_type({**conv.options, **self.options}) if conv and conv.pg_type else None
        if self.converter not in names or (
                implied is not None and converters.base_type(implied) != converters.base_type(pg_type)):
            self.converter, self.options = names[0], {}
        kept = {k: v for k, v in self.options.items() if k not in converters.TYPE_LIMITS}
        self.options = {**kept, **converters.type_options(self.converter, pg_type)}

    def accept_suggestion(self) -> bool:
        """Take the suggested type and converter; False when there is none."""
        s = self.suggestion
        if s is None:
            return False
        self.pg_type, self.converter, self.options = s.pg_type, s.converter, dict(s.options)
        self.note = f"accepted suggestion: {s.note}" if s.note else "accepted suggestion"
        self.suggestion = None
        return True

    @property
    def changed_name(self) -> bool:
        return self.source != self.target


@dataclass
class TableMapping:
    source: str
    target: str
    include: bool = True
    columns: list[ColumnMapping] = field(default_factory=list)
    note: str = ""
    skip_indexes: list[str] = field(default_factory=list)  # source index names not to build

    def column(self, source: str) -> ColumnMapping:
        for c in self.columns:
            if c.source == source:
                return c
        raise KeyError(source)

    def column_by_name(self, name: str) -> ColumnMapping:
        """The column a name in SQL text means: SQLite's names are case-insensitive."""
        for c in self.columns:
            if c.source.lower() == name.lower():
                return c
        raise KeyError(name)


@dataclass
class Check:
    """A query that must answer the same on both sides (see verify)."""

    name: str
    sqlite: str
    postgres: str = ""


@dataclass
class Mapping:
    tables: list[TableMapping] = field(default_factory=list)
    source: str = ""  # informational: the file it was planned from
    schema: str = "public"
    if_exists: str = "fail"
    orphans: str = "not_valid"
    identifier_case: str = "lower"  # lower | keep | snake
    framework: str = ""  # the application framework that made the file (frameworks.py)
    checks: list[Check] = field(default_factory=list)
    version: int = FORMAT_VERSION

    def table(self, source: str) -> TableMapping:
        for t in self.tables:
            if t.source == source:
                return t
        raise KeyError(source)

    @property
    def included(self) -> list[TableMapping]:
        return [t for t in self.tables if t.include]

    # --- file format -------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        out: dict[str, Any] = {"version": d.pop("version")}
        out.update({k: v for k, v in d.items() if k not in ("tables", "checks")})
        out["tables"] = d["tables"]
        for t in out["tables"]:
            for c in t["columns"]:
                if not c["options"]:
                    del c["options"]
                if not c["note"]:
                    del c["note"]
                if c["suggestion"] is None:
                    del c["suggestion"]
                elif not c["suggestion"]["options"]:
                    del c["suggestion"]["options"]
            if not t["note"]:
                del t["note"]
            if not t["skip_indexes"]:
                del t["skip_indexes"]
        if self.checks:
            out["checks"] = [{k: v for k, v in asdict(c).items() if v} for c in self.checks]
        return out

    def to_toml(self) -> str:
        header = ("# sqlite2pg-tui mapping. Edit freely: per table `include` and `target`;\n"
                  "# per column `pg_type`, `converter` (+ `options`) and `on_error`\n"
                  f"# ({' | '.join(ON_ERROR)}). No password is ever stored here.\n")
        return header + tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(self.to_toml(), encoding="utf-8")
        tmp.replace(p)
        return p

    @classmethod
    def from_dict(cls, d: dict[str, Any], origin: str = "mapping") -> Mapping:
        try:
            version = int(d.get("version", 0))
        except (TypeError, ValueError):
            raise MappingError(f"{origin}: 'version' must be a number") from None
        if version != FORMAT_VERSION:
            raise MappingError(f"{origin}: mapping format version {version} is not supported "
                               f"(this tool reads version {FORMAT_VERSION})")
        try:
            tables = []
            for t in d.get("tables", []):
                cols = [ColumnMapping(**{**c, "options": dict(c.get("options", {})),
                                         "suggestion": Suggestion(**c["suggestion"])
                                         if c.get("suggestion") else None})
                        for c in t.get("columns", [])]
                tables.append(TableMapping(**{**t, "columns": cols}))
            checks = [Check(**c) for c in d.get("checks", [])]
            m = cls(tables=tables, checks=checks,
                    **{k: d[k] for k in ("source", "schema", "if_exists", "orphans",
                                         "identifier_case", "framework") if k in d})
        except TypeError as e:
            raise MappingError(f"{origin}: unexpected or missing key ({e})") from None
        m.validate(origin)
        return m

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        p = Path(path).expanduser()
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MappingError(f"mapping file not found: {p}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise MappingError(f"cannot read mapping {p}: {e}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise MappingError(f"{p} is not valid TOML: {e}") from None
        return cls.from_dict(data, str(p))

    def validate(self, origin: str = "mapping") -> None:
        problems = []
        if self.if_exists not in IF_EXISTS:
            problems.append(f"if_exists must be one of {', '.join(IF_EXISTS)}")
        if self.orphans not in ORPHAN_POLICIES:
            problems.append(f"orphans must be one of {', '.join(ORPHAN_POLICIES)}")
        targets: set[str] = set()
        for t in self.tables:
            if t.include and t.target in targets:
                problems.append(f"two tables map to {t.target!r}")
            targets.add(t.target)
            cols: set[str] = set()
            for c in t.columns:
                where = f"{t.source}.{c.source}"
                if c.converter not in converters.REGISTRY:
                    problems.append(f"{where}: unknown converter {c.converter!r}")
                elif c.converter not in converters.converters_for(c.pg_type):
                    problems.append(
                        f"{where}: converter {c.converter!r} does not produce {c.pg_type!r} "
                        f"(for {c.pg_type!r} use: {', '.join(converters.converters_for(c.pg_type))})")
                if c.on_error not in ON_ERROR:
                    problems.append(f"{where}: on_error must be one of {', '.join(ON_ERROR)}")
                if c.target in cols:
                    problems.append(f"{where}: two columns map to {c.target!r}")
                cols.add(c.target)
        if problems:
            raise MappingError(f"{origin}: {problems[0]}", problems)


def drift(mapping: Mapping, schema: SourceSchema) -> list[str]:
    """Differences between a saved mapping and the database as it is now."""
    diffs = []
    live = {t.name: t for t in schema.tables}
    for tm in mapping.tables:
        t = live.get(tm.source)
        if t is None:
            diffs.append(f"table {tm.source!r} is in the mapping but not in the database")
            continue
        live_cols = {c.name: c for c in t.columns if not c.generated}
        for cm in tm.columns:
            c = live_cols.pop(cm.source, None)
            if c is None:
                diffs.append(f"column {tm.source}.{cm.source} is in the mapping but not in the database")
            elif c.declared_type != cm.declared:
                diffs.append(f"column {tm.source}.{cm.source} was declared {cm.declared!r}, "
                             f"now {c.declared_type!r}")
        for name in live_cols:
            diffs.append(f"column {tm.source}.{name} is new in the database (not in the mapping)")
    mapped = {tm.source for tm in mapping.tables}
    for name in live:
        if name not in mapped:
            diffs.append(f"table {name!r} is new in the database (not in the mapping)")
    return diffs


def merge(loaded: Mapping, planned: Mapping) -> Mapping:
    """A saved mapping's choices wherever they still fit the database, the fresh plan elsewhere.

    For a mapping that drifted: tables and columns that are gone are dropped, new ones come
    from the planner, and a column whose declared type changed is planned again.
    """
    old = {t.source: t for t in loaded.tables}
    tables: list[TableMapping] = []
    for pt in planned.tables:
        lt = old.get(pt.source)
        if lt is None:
            tables.append(pt)
            continue
        by_col = {c.source: c for c in lt.columns}
        cols = [lc if (lc := by_col.get(pc.source)) is not None and lc.declared == pc.declared
                else pc for pc in pt.columns]
        tables.append(TableMapping(pt.source, lt.target, lt.include, cols, lt.note or pt.note,
                                   list(lt.skip_indexes)))
    return Mapping(tables=tables, source=planned.source, schema=loaded.schema,
                   if_exists=loaded.if_exists, orphans=loaded.orphans,
                   identifier_case=loaded.identifier_case, framework=planned.framework,
                   checks=list(loaded.checks))
