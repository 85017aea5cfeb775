"""Application frameworks that made a SQLite file, recognised by their bookkeeping tables.

A framework's database carries its conventions: the declared types are the ones its SQLite
backend writes, and the application expects what its PostgreSQL backend would have created
(Django's ``datetime`` is a UTC instant, its ``char(32)`` a UUID). Such databases are best
loaded data-only into the schema the framework's own migrations create; when the tool
creates the schema, :func:`declared_type` applies the framework's PostgreSQL type map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite2pg_tui.core.source.schema import SourceSchema


@dataclass(frozen=True)
class Framework:
    key: str  # django | rails | alembic | prisma | laravel | flyway
    name: str
    history_table: str  # where it records the migrations it applied
    migrate_command: str  # how its own migrations build the schema on PostgreSQL
    history_key: tuple[str, ...]  # the columns that name one applied migration

    def data_only_steps(self, source: str, dsn: str = "DSN") -> list[str]:
        """The commands for the recommended path: the framework makes the schema, we load."""
        return [
            f"point the application at PostgreSQL and run: {self.migrate_command}",
            f"sqlite2pg-tui run {source} --pg {dsn} --if-exists truncate",
        ]


KNOWN: tuple[Framework, ...] = (
    Framework("django", "Django", "django_migrations", "python manage.py migrate",
              ("app", "name")),
    Framework("rails", "Rails (Active Record)", "schema_migrations", "bin/rails db:migrate",
              ("version",)),
    Framework("alembic", "SQLAlchemy + Alembic", "alembic_version", "alembic upgrade head",
              ("version_num",)),
    Framework("prisma", "Prisma", "_prisma_migrations", "npx prisma migrate deploy",
              ("migration_name",)),
    Framework("laravel", "Laravel", "migrations", "php artisan migrate", ("migration",)),
    Framework("flyway", "Flyway", "flyway_schema_history", "flyway migrate",
              ("version", "script")),
)
# Where each framework records the migrations it applied, and what names one migration.
HISTORY_KEYS: dict[str, tuple[str, ...]] = {f.history_table: f.history_key for f in KNOWN}


def by_key(key: str) -> Framework | None:
    return next((f for f in KNOWN if f.key == key), None)


def detect(schema: SourceSchema) -> Framework | None:
    """The framework whose bookkeeping the file holds (the most specific sign wins)."""
    tables = {t.name.lower(): t for t in schema.tables}
    if "django_migrations" in tables:
        return by_key("django")
    if "schema_migrations" in tables and "ar_internal_metadata" in tables:
        return by_key("rails")
    for key in ("alembic", "prisma", "flyway"):
        fw = by_key(key)
        if fw and fw.history_table in tables:
            return fw
    laravel = tables.get("migrations")
    if laravel and {c.name for c in laravel.columns} >= {"migration", "batch"}:
        return by_key("laravel")
    return None


# Django's JSONField on SQLite: text guarded by CHECK ((JSON_VALID("col") OR "col" IS NULL)).
_JSON_VALID = re.compile(
    r'^\(*\s*JSON_VALID\s*\(\s*["`\[]?(?P<col>[^"`\]\s)]+)["`\]]?\s*\)\s*'
    r'(OR\s+["`\[]?(?P=col)["`\]]?\s+IS\s+NULL\s*)?\)*$', re.I)


def json_valid_column(check: str) -> str | None:
    """The column a CHECK only asks to hold valid JSON, or None for any other CHECK."""
    m = _JSON_VALID.match(check.strip())
    return m.group("col") if m else None


def unknowable(framework: str | None, declared: str, pg_type: str) -> str:
    """What a framework's SQLite file cannot tell about a column, for the plan's note."""
    t = declared.upper()
    if framework == "django" and pg_type == "numeric":
        return ("Django: a DecimalField's max_digits and decimal_places are not in the SQLite "
                "file (it declares plain decimal), so values read back without trailing zeros "
                "(12.5, not 12.50: equal, not identical); load data-only for numeric(p,s)")
    if framework == "django" and pg_type == "bigint":
        return ("Django: a DurationField is a plain bigint of microseconds on SQLite; if this is "
                "one, load data-only into the schema Django makes (it converts to interval)")
    if framework == "alembic" and ("DATETIME" in t or "TIMESTAMP" in t):
        return ("SQLAlchemy: DateTime(timezone=True) and Interval are stored like DateTime on "
                "SQLite; if this is one, load data-only into the schema Alembic makes")
    return ""
