"""Print, as JSON, what the application's typical queries return (counts and sums)."""

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db.models import Count, Max, Min, Sum

from shop.models import Category, LegacyNote, Product, Shipment

UTC = dt.UTC


def money(value: object) -> str:
    # SQLite sums a decimal column as REAL and Django quantizes it to its own context; the
    # amount, to the cent, and its type are what the application relies on.
    if isinstance(value, Decimal):
        return f"Decimal {value.quantize(Decimal('0.01'))}"
    return repr(value)


def queries() -> dict[str, Callable[[], object]]:
    p, s = Product.objects, Shipment.objects
    return {
        "bool available": lambda: p.filter(available=True).count(),
        "bool category active": lambda: p.filter(category__is_active=True).count(),
        "bool user is_staff": lambda: User.objects.filter(is_staff=True).count(),
        "int priority=1": lambda: p.filter(priority=1).count(),
        "int priority sum": lambda: p.aggregate(v=Sum("priority"))["v"],
        "date released>=2023-06-01": lambda: p.filter(released__gte=dt.date(2023, 6, 1)).count(),
        "date released year 2024": lambda: p.filter(released__year=2024).count(),
        "date released null": lambda: p.filter(released__isnull=True).count(),
        "datetime created_at >= instant": lambda: p.filter(
            created_at__gte=dt.datetime(2024, 2, 1, 12, tzinfo=UTC)).count(),
        "datetime created_at __date (Paris)": lambda: p.filter(
            created_at__date=dt.date(2024, 1, 10)).count(),
        "datetime created_at __hour (Paris)": lambda: p.filter(created_at__hour=0).count(),
        "datetime shipped_at max": lambda: repr(s.aggregate(v=Max("shipped_at"))["v"]),
        "json key color=red": lambda: p.filter(attributes__color="red").count(),
        "json has_key size": lambda: p.filter(attributes__has_key="size").count(),
        "json size > 20": lambda: p.filter(attributes__size__gt=20).count(),
        "json nested bool": lambda: p.filter(attributes__nested__ok=True).count(),
        "json scalar 42": lambda: p.filter(attributes=42).count(),
        "json scalar string": lambda: p.filter(attributes="plain string").count(),
        "json tracking carrier": lambda: s.filter(tracking__carrier="DHL").count(),
        "json tracking null": lambda: s.filter(tracking__isnull=True).count(),
        "decimal price >= 500000.5": lambda: p.filter(price__gte=Decimal("500000.50")).count(),
        "decimal price exact max": lambda: p.filter(price=Decimal("999999.99")).count(),
        "decimal price sum": lambda: money(p.aggregate(v=Sum("price"))["v"]),
        "decimal price min": lambda: money(p.aggregate(v=Min("price"))["v"]),
        "decimal exchange_rate exact": lambda: s.filter(
            exchange_rate=Decimal("12345.6789012345")).count(),
        "decimal exchange_rate < 0": lambda: s.filter(exchange_rate__lt=0).count(),
        "float weight infinite": lambda: p.filter(weight__gt=1e308).count(),
        "duration > 1 day": lambda: s.filter(transit_time__gt=dt.timedelta(days=1)).count(),
        "duration negative": lambda: s.filter(transit_time__lt=dt.timedelta(0)).count(),
        "duration sum": lambda: repr(s.aggregate(v=Sum("transit_time"))["v"]),
        "ip ::1": lambda: s.filter(origin_ip="::1").count(),
        "ip startswith 192.168.": lambda: s.filter(origin_ip__startswith="192.168.").count(),
        "time opens_at >= 09:00": lambda: p.filter(opens_at__gte=dt.time(9, 0)).count(),
        "time opens_at hour 8": lambda: p.filter(opens_at__hour=8).count(),
        "uuid exact": lambda: p.filter(uuid__in=list(p.order_by("pk").values_list("uuid", flat=True)[:5]))
        .count(),
        "fk cycle featured": lambda: Category.objects.filter(featured_product__isnull=False).count(),
        "fk self children": lambda: Category.objects.filter(parent__isnull=False).count(),
        "m2m tags tag-3": lambda: p.filter(tags__name="tag-3").count(),
        "m2m tag counts": lambda: sorted(p.annotate(n=Count("tags")).values_list("n", flat=True))[-5:],
        "mixed case table join": lambda: LegacyNote.objects.filter(
            product__available=True, Body__contains="Legacy").count(),
        "text unicode": lambda: p.filter(name__contains="🚀").count(),
        "text icontains": lambda: p.filter(description__icontains="LINE TWO").count(),
        "binary nonempty": lambda: sum(1 for t in p.values_list("thumbnail", flat=True) if len(t)),
    }


class Command(BaseCommand):
    help = "Count what typical filters return."

    def handle(self, *args: object, **options: object) -> None:
        result: dict[str, object] = {}
        for name, run in queries().items():
            try:
                result[name] = run()
            except Exception as exc:  # one failing query is one finding
                result[name] = f"error {type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        self.stdout.write(json.dumps(result, sort_keys=True))
