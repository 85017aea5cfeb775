"""create() one new object of every model and print, as JSON, "ok" or the error per model."""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db import transaction

from shop.models import Category, LegacyNote, Product, Shipment, Tag

UTC = dt.UTC


def steps() -> dict[str, Callable[[], object]]:
    made: dict[str, object] = {}

    def keep(name: str, obj: object) -> object:
        made[name] = obj
        return obj

    def product() -> object:
        p = Product.objects.create(
            category=made["shop.Category"], sku="NEW-1", name="Nouveau", slug="nouveau",
            price=Decimal("12.34"), weight=1.5, priority=1, stock=3, rank=-2, views=2**40,
            available=True, released=dt.date(2025, 1, 2),
            created_at=dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            opens_at=dt.time(7, 45, 1, 5), uuid=uuid.UUID(int=7), attributes={"k": [1, 2]},
            contact_email="new@example.com", homepage="https://example.com/new",
            thumbnail=b"\x00\x01")
        p.tags.add(made["shop.Tag"])
        return keep("shop.Product", p)

    return {
        "shop.Category": lambda: keep("shop.Category", Category.objects.create(
            name="New category", slug="new-category", parent=Category.objects.order_by("pk")
            .first())),
        "shop.Tag": lambda: keep("shop.Tag", Tag.objects.create(name="new-tag")),
        "shop.Product": product,
        "shop.Product_tags": lambda: Product.tags.through.objects.create(
            product=made["shop.Product"], tag=Tag.objects.create(name="another-new-tag")),
        "shop.Category featured (cycle)": lambda: Category.objects.filter(
            pk=made["shop.Category"].pk).update(featured_product=made["shop.Product"]),
        "shop.Shipment": lambda: Shipment.objects.create(
            product=made["shop.Product"], transit_time=dt.timedelta(days=2, microseconds=3),
            origin_ip="2001:db8::1", shipped_at=dt.datetime(2025, 1, 3, tzinfo=UTC),
            tracking="scalar", exchange_rate=Decimal("3.1415926535")),
        "shop.LegacyNote": lambda: LegacyNote.objects.create(product=made["shop.Product"],
                                                             Body="new"),
        "contenttypes.ContentType": lambda: keep("contenttypes.ContentType",
                                                 ContentType.objects.create(app_label="extra",
                                                                            model="thing")),
        "auth.Permission": lambda: keep("auth.Permission", Permission.objects.create(
            name="Can x", codename="x_thing", content_type=made["contenttypes.ContentType"])),
        "auth.Group": lambda: keep("auth.Group", Group.objects.create(name="new-group")),
        "auth.Group_permissions": lambda: made["auth.Group"].permissions.add(
            made["auth.Permission"]),
        "auth.User": lambda: keep("auth.User", User.objects.create_user("newbie", "n@e.com",
                                                                        "pw")),
        "auth.User_groups": lambda: made["auth.User"].groups.add(made["auth.Group"]),
        "auth.User_user_permissions": lambda: made["auth.User"].user_permissions.add(
            made["auth.Permission"]),
        "admin.LogEntry": lambda: LogEntry.objects.create(
            user=made["auth.User"], content_type=made["contenttypes.ContentType"],
            object_id="1", object_repr="x", action_flag=CHANGE, change_message="changed"),
        "sessions.Session": lambda: Session.objects.create(
            session_key="new-session-key-0000000000000001", session_data="d",
            expire_date=dt.datetime(2031, 1, 1, tzinfo=UTC)),
    }


class Command(BaseCommand):
    help = "Create one object per model; each in its own savepoint so one failure is one line."

    def handle(self, *args: object, **options: object) -> None:
        result: dict[str, str] = {}
        for name, step in steps().items():
            try:
                # Commit each, so deferred constraints are checked too.
                with transaction.atomic():
                    step()
                result[name] = "ok"
            except Exception as exc:  # every failure is a finding, reported per model
                result[name] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        self.stdout.write(json.dumps(result, sort_keys=True))
