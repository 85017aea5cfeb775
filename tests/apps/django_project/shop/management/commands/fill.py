"""Fill the database through the ORM with deterministic data, edge values included."""

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db import transaction

from shop.models import Category, LegacyNote, Product, Shipment, Tag

UTC = dt.UTC
# JSON values the application stores: objects mostly, scalars and lists too.
SCALARS = [42, "plain string", True, False, 3.25, [1, "two", None], "ünïcødé ✓", 0, -7]
IPS = ["10.0.0.1", "192.168.1.254", "::1", "2001:db8::8a2e:370:7334", "fe80::1",
       "255.255.255.255", "0.0.0.0"]
# Edge durations: zero, sub-second, negative, days, and a very large one (~31 years).
DURATIONS = [dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(seconds=-90),
             dt.timedelta(days=3, hours=4, minutes=5, seconds=6, microseconds=789),
             dt.timedelta(days=11574, seconds=86399, microseconds=999999),
             dt.timedelta(hours=36), dt.timedelta(microseconds=9_000_000_000_000)]
# Fifteen significant digits, negative, tiny, zero.
RATES = [Decimal("12345.6789012345"), Decimal("-0.0000000001"), Decimal("0E-10"),
         Decimal("99999.9999999999"), Decimal("1.1000000000")]


class Command(BaseCommand):
    help = "Fill every model with deterministic rows."

    def handle(self, *args: object, **options: object) -> None:
        rnd = random.Random(20240601)
        with transaction.atomic():
            self.fill(rnd)

    def fill(self, rnd: random.Random) -> None:
        tags = [Tag.objects.create(name=f"tag-{i}") for i in range(20)]
        cats: list[Category] = []
        for i in range(12):
            cats.append(Category.objects.create(
                name=f"Catégorie {i} – ünïcødé" if i % 3 == 0 else f"Category {i}",
                slug=f"category-{i}", parent=cats[i // 3] if i >= 3 else None,
                is_active=i % 4 != 3))
        base = dt.datetime(2024, 1, 1, 8, 30, tzinfo=UTC)
        products = []
        for i in range(300):
            if i % 10 == 7:
                attributes: object = SCALARS[i // 10 % len(SCALARS)]
            else:
                attributes = {"color": ["red", "green", "blue"][i % 3], "size": i % 40,
                              "tags": [f"t{i % 5}"], "nested": {"ok": i % 2 == 0}}
            # Decimals with every digit used, up to the constraint's bound.
            price = Decimal(rnd.randrange(1, 99_999_999)) / 100 if i % 50 else Decimal("999999.99")
            products.append(Product.objects.create(
                category=cats[i % 12], sku=f"SKU-{i:05d}", name=f"Product {i} «spécial» 🚀",
                description="" if i % 7 == 0 else f"Line one\nline two of {i}\ttabbed",
                slug=f"product-{i}", price=price,
                # SQLite and PostgreSQL both hold infinities in a double.
                weight={13: float("inf"), 14: float("-inf")}.get(i, rnd.random() * 100),
                priority=i % 2, stock=rnd.randrange(0, 2_147_483_647),
                rank=rnd.randrange(-32768, 32767), views=rnd.randrange(-2**63, 2**63 - 1),
                available=i % 3 != 0,
                released=None if i % 11 == 0 else dt.date(2023, 1, 1) + dt.timedelta(days=i * 3),
                # Some instants around midnight UTC, where Paris time is the next day.
                created_at=base + dt.timedelta(hours=i * 7, minutes=i, seconds=i,
                                               microseconds=i * 1001),
                opens_at=dt.time(i % 24, (i * 7) % 60, i % 60, (i * 123457) % 1_000_000),
                uuid=uuid.UUID(int=rnd.getrandbits(128)), attributes=attributes,
                contact_email=f"owner{i}@example.com",
                homepage=f"https://example.com/p/{i}?q=ü",
                thumbnail=bytes(rnd.getrandbits(8) for _ in range(i % 17))))
        for i, p in enumerate(products):
            p.tags.set([tags[(i + k) % 20] for k in range(i % 4)])
        for i, c in enumerate(cats):
            if i % 2 == 0:
                c.featured_product = products[i * 5]
                c.save()
        for i in range(320):
            tracking = None if i % 9 == 0 else (SCALARS[i % len(SCALARS)] if i % 4 == 0
                                                 else {"carrier": "DHL", "hops": i % 6})
            Shipment.objects.create(
                product=products[(i * 7) % 300], transit_time=DURATIONS[i % len(DURATIONS)],
                origin_ip=IPS[i % len(IPS)],
                shipped_at=dt.datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC)
                + dt.timedelta(minutes=i * 37, microseconds=i),
                tracking=tracking, exchange_rate=RATES[i % len(RATES)])
        for i in range(15):
            LegacyNote.objects.create(product=products[i * 11], Body=f"Legacy «{i}»")
        staff = Group.objects.create(name="staff")
        staff.permissions.set(Permission.objects.filter(content_type__app_label="shop"))
        users = []
        for i in range(5):
            u = User.objects.create_user(f"user{i}", f"user{i}@example.com", f"pw{i}",
                                         first_name="Zoë" if i == 0 else f"U{i}",
                                         is_staff=i < 2, is_superuser=i == 0)
            u.date_joined = dt.datetime(2023, 5, 1, 12, 0, tzinfo=UTC) + dt.timedelta(days=i)
            u.last_login = None if i == 4 else u.date_joined + dt.timedelta(hours=1)
            u.save()
            u.groups.set([staff] if i < 3 else [])
            if i == 3:
                u.user_permissions.set(Permission.objects.filter(codename__endswith="_tag"))
            users.append(u)
        ct = ContentType.objects.get_for_model(Product)
        for i in range(6):
            entry = LogEntry.objects.create(
                user=users[i % 2], content_type=ct, object_id=str(products[i].pk),
                object_repr=str(products[i].name)[:200], action_flag=ADDITION,
                change_message='[{"added": {}}]')
            entry.action_time = dt.datetime(2024, 2, 1, 9, 0, tzinfo=UTC) + dt.timedelta(minutes=i)
            entry.save()
        for i in range(4):
            Session.objects.create(session_key=f"k{i:031d}", session_data=f"data-{i}",
                                   expire_date=dt.datetime(2030, 1, 1, tzinfo=UTC))
