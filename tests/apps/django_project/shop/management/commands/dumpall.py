"""Print every object of every model as JSON: per field, the value's repr and its type."""

import json
from decimal import Decimal

from django.apps import apps
from django.core.management.base import BaseCommand


def canonical(value: object) -> object:
    # psycopg2 hands bytea back as memoryview and sqlite3 as bytes, and Django's BinaryField
    # passes either through: that difference belongs to the drivers, not to the move.
    if isinstance(value, memoryview):
        return bytes(value)
    # Django's SQLite backend quantizes a decimal to the field's places when it reads it, its
    # PostgreSQL backend returns what the column holds: Decimal('1.10') == Decimal('1.1'), the
    # same value printed two ways. A DecimalField is a bare `decimal` in the SQLite file, so a
    # schema made from the file cannot know the places; the value is what must arrive.
    if isinstance(value, Decimal):
        return value.normalize()
    # jsonb keeps object keys in its own order; no application may rely on the order.
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def describe(value: object) -> list[str]:
    value = canonical(value)
    return [repr(value), type(value).__name__]


class Command(BaseCommand):
    help = "Dump every row of every model (auto-created many-to-many tables included)."

    def handle(self, *args: object, **options: object) -> None:
        out = {}
        for model in apps.get_models(include_auto_created=True):
            fields = [f.attname for f in model._meta.concrete_fields]
            try:
                rows = [{name: describe(getattr(obj, name)) for name in fields}
                        for obj in model._default_manager.order_by("pk")]
            except Exception as exc:  # a model that cannot be read is a finding, not a crash
                out[model._meta.label] = {"table": model._meta.db_table, "fields": fields,
                                          "error": f"{type(exc).__name__}: {exc}".strip()}
                continue
            out[model._meta.label] = {"table": model._meta.db_table, "fields": fields,
                                      "rows": rows}
        self.stdout.write(json.dumps(out, sort_keys=True))
