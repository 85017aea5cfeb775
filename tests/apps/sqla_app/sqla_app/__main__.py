"""`python -m sqla_app fill|dump|create|filters`: what the tests ask of the application.

dump, create and filters print JSON; a failure of one model or one query is one entry in it.
"""

import datetime as dt
import json
import random
import sys
import uuid
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sqla_app.db import engine
from sqla_app.models import Base, Item, ItemTag, ItemTagNote, LegacyCode, Status, Supplier

UTC = dt.UTC
MODELS = (Supplier, Item, ItemTag, ItemTagNote, LegacyCode)
SCALARS = [7, "just a string", True, None, 2.5, ["a", 1]]
LEADS = [dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(days=400, seconds=5),
         dt.timedelta(hours=-3), dt.timedelta(days=20000, microseconds=999999)]


def fill(s: Session) -> None:
    rnd = random.Random(7)
    suppliers = [Supplier(name=f"Supplier {i} ✓" if i % 2 else f"Supplier {i}",
                          active=i % 3 != 0, joined_on=dt.date(2020, 1, 1) + dt.timedelta(days=i * 40))
                 for i in range(8)]
    s.add_all(suppliers)
    s.flush()
    for i in range(200):
        item = Item(
            supplier_id=suppliers[i % 8].id, code=f"C{i:04d}", status=list(Status)[i % 3],
            price=Decimal(rnd.randrange(0, 99_999_999)) / 100,
            weight={3: float("inf"), 4: float("-inf")}.get(i, rnd.random() * 1000),
            opens_at=dt.time(i % 24, i % 60, (i * 7) % 60, (i * 99991) % 1_000_000),
            lead_time=LEADS[i % len(LEADS)],
            created_at=dt.datetime(2024, 3, 30, 22, 0, tzinfo=UTC) + dt.timedelta(hours=i * 5,
                                                                                 microseconds=i),
            updated_at=None if i % 6 == 0 else dt.datetime(2024, 5, 1, 12, 0) + dt.timedelta(minutes=i),
            released=None if i % 9 == 0 else dt.date(2024, 1, 1) + dt.timedelta(days=i),
            meta=SCALARS[i % len(SCALARS)] if i % 5 == 4 else {"color": ["red", "blue"][i % 2],
                                                                "n": i, "deep": {"x": [i]}},
            in_stock=i % 4 != 0, picture=None if i % 3 == 0 else bytes(range(i % 20)),
            uid=uuid.UUID(int=rnd.getrandbits(128)))
        s.add(item)
    s.flush()
    for item in s.scalars(select(Item).order_by(Item.id)):
        for k in range(item.id % 3):
            s.add(ItemTag(item_id=item.id, tag=f"tag{k}", weight=k * 10))
    s.flush()
    for i in range(12):
        s.add(LegacyCode(Code=f"L-{i:03d}", item_id=None if i % 4 == 0 else i + 1))
    for n, tag in enumerate(s.scalars(select(ItemTag).order_by(ItemTag.item_id, ItemTag.tag))):
        if n % 2 == 0:
            s.add(ItemTagNote(item_id=tag.item_id, tag=tag.tag, note=f"note «{n}»"))


def describe(value: object) -> list[str]:
    # SQLAlchemy's SQLite dialect keeps no offset (DateTime(timezone=True) reads back naive);
    # on PostgreSQL a timestamptz reads back aware in the session's zone. The application
    # stores UTC: the same instant is the same value.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict):  # jsonb keeps keys in its own order
        value = {k: value[k] for k in sorted(value)}
    return [repr(value), type(value).__name__]


def dump(s: Session) -> dict[str, object]:
    out: dict[str, object] = {}
    for model in MODELS:
        cols = [c.key for c in model.__mapper__.column_attrs]
        pk = list(model.__mapper__.primary_key)
        try:
            rows = [{c: describe(getattr(o, c)) for c in cols}
                    for o in s.scalars(select(model).order_by(*pk))]
            out[model.__tablename__] = {"fields": cols, "rows": rows}
        except Exception as exc:  # a table that cannot be read is a finding
            s.rollback()
            out[model.__tablename__] = {"fields": cols, "error": f"{type(exc).__name__}: {exc}"}
    return out


def creates(s: Session) -> dict[str, Callable[[], object]]:
    made: dict[str, object] = {}

    def add(name: str, obj: object) -> object:
        s.add(obj)
        s.flush()
        made[name] = obj
        return obj

    return {
        "suppliers": lambda: add("suppliers", Supplier(name="New supplier", active=True,
                                                       joined_on=dt.date(2025, 1, 1))),
        "items": lambda: add("items", Item(
            supplier_id=made["suppliers"].id, code="NEW", status=Status.retired,
            price=Decimal("1.05"), weight=0.5, opens_at=dt.time(6, 5, 4, 3),
            lead_time=dt.timedelta(days=3, microseconds=7),
            created_at=dt.datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC), updated_at=None,
            released=dt.date(2025, 2, 3), meta={"new": True}, in_stock=False, picture=b"\x01",
            uid=uuid.UUID(int=99))),
        "item_tags": lambda: add("item_tags", ItemTag(item_id=made["items"].id, tag="fresh",
                                                      weight=1)),
        "item_tag_notes": lambda: add("item_tag_notes", ItemTagNote(
            item_id=made["items"].id, tag="fresh", note="n")),
        "LegacyCodes": lambda: add("LegacyCodes", LegacyCode(Code="NEW", item_id=None)),
    }


def filters(s: Session) -> dict[str, Callable[[], object]]:
    def count(*where: object) -> int:
        return s.scalar(select(func.count()).select_from(Item).where(*where))

    def money(value: object) -> str:
        return f"Decimal {value.quantize(Decimal('0.01'))}" if isinstance(value, Decimal) else repr(value)

    return {
        "enum active": lambda: count(Item.status == Status.active),
        "bool in_stock": lambda: count(Item.in_stock.is_(True)),
        "bool supplier active": lambda: s.scalar(select(func.count()).select_from(Supplier)
                                                 .where(Supplier.active.is_(True))),
        "numeric price > 500000": lambda: count(Item.price > Decimal("500000")),
        "numeric price sum": lambda: money(s.scalar(select(func.sum(Item.price)))),
        "float weight infinite": lambda: count(Item.weight > 1e308),
        "time opens_at >= 12:00": lambda: count(Item.opens_at >= dt.time(12, 0)),
        "interval lead_time > 1 day": lambda: count(Item.lead_time > dt.timedelta(days=1)),
        "tz created_at >= instant": lambda: count(
            Item.created_at >= dt.datetime(2024, 4, 10, 0, 0, tzinfo=UTC)),
        "naive updated_at >= ": lambda: count(Item.updated_at >= dt.datetime(2024, 5, 1, 13, 0)),
        "date released < 2024-03-01": lambda: count(Item.released < dt.date(2024, 3, 1)),
        "json color red": lambda: count(Item.meta["color"].as_string() == "red"),
        "uuid equals": lambda: count(Item.uid == s.scalar(select(Item.uid).order_by(Item.id))),
        "mixed case join": lambda: s.scalar(select(func.count()).select_from(LegacyCode).join(
            Item, Item.id == LegacyCode.item_id).where(Item.in_stock.is_(True))),
        "blob not null": lambda: count(Item.picture.is_not(None)),
        "composite join": lambda: s.scalar(select(func.count()).select_from(ItemTagNote).join(
            ItemTag, (ItemTag.item_id == ItemTagNote.item_id) & (ItemTag.tag == ItemTagNote.tag))),
    }


def run_each(s: Session, steps: dict[str, Callable[[], object]], commit: bool) -> dict[str, object]:
    result: dict[str, object] = {}
    for name, step in steps.items():
        try:
            value = step()
            if commit:
                s.commit()
                value = "ok"
            result[name] = value
        except Exception as exc:  # each failure is one finding
            s.rollback()
            result[name] = f"error {type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return result


def main(command: str) -> None:
    with Session(engine()) as s:
        if command == "fill":
            fill(s)
            s.commit()
            return
        out = {"dump": lambda: dump(s), "create": lambda: run_each(s, creates(s), commit=True),
               "filters": lambda: run_each(s, filters(s), commit=False)}[command]()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    assert Base.metadata.tables  # the models are imported: the mapper knows every table
    main(sys.argv[1])
