"""The application's tables: a naming convention, named CHECKs, a non-native Enum and every
common column type."""

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Time,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Alembic's documented convention: every constraint gets a name the next revision can drop.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Status(enum.Enum):
    draft = "draft"
    active = "active"
    retired = "retired"


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool]
    joined_on: Mapped[dt.date] = mapped_column(Date)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (CheckConstraint("price >= 0", name="price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    # Non-native: VARCHAR plus a CHECK listing the values, named by the convention.
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, create_constraint=True, name="status", length=10))
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2))
    weight: Mapped[float] = mapped_column(Float)
    opens_at: Mapped[dt.time] = mapped_column(Time)
    # Stored by SQLAlchemy on SQLite as a DATETIME offset from 1970-01-01.
    lead_time: Mapped[dt.timedelta] = mapped_column(Interval)
    # On SQLite the same DATETIME text as DateTime(): the offset is not kept.
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    released: Mapped[dt.date | None] = mapped_column(Date)
    meta: Mapped[Any] = mapped_column(JSON)
    in_stock: Mapped[bool]
    picture: Mapped[bytes | None] = mapped_column(LargeBinary)
    uid: Mapped[uuid.UUID] = mapped_column(Uuid)


class ItemTag(Base):
    """Composite primary key."""

    __tablename__ = "item_tags"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)
    weight: Mapped[int]


class ItemTagNote(Base):
    """A composite foreign key onto the composite key."""

    __tablename__ = "item_tag_notes"
    __table_args__ = (ForeignKeyConstraint(["item_id", "tag"],
                                           ["item_tags.item_id", "item_tags.tag"]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int]
    tag: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(200))


class LegacyCode(Base):
    """Mixed-case names: SQLAlchemy quotes them, so PostgreSQL must keep their case."""

    __tablename__ = "LegacyCodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    Code: Mapped[str] = mapped_column("Code", String(10), unique=True)
    item_id: Mapped[int | None] = mapped_column("ItemId", ForeignKey("items.id"))
