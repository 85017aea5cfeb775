"""Every common Django field type, a foreign-key cycle, a self reference, a many-to-many and
named constraints and index: what an ordinary application's tables look like."""

import uuid

from django.db import models
from django.db.models import Q


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    # Self reference: categories nest.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="children")
    # With Product.category this makes a cycle: neither table can be loaded "parents first".
    featured_product = models.ForeignKey("Product", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    slug = models.SlugField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    weight = models.FloatField()
    # An integer that happens to hold only 0 and 1: it must stay an integer.
    priority = models.IntegerField(default=0)
    stock = models.PositiveIntegerField()
    rank = models.SmallIntegerField()
    views = models.BigIntegerField()
    available = models.BooleanField()
    released = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    opens_at = models.TimeField()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    # Objects in most rows, JSON scalars (numbers, strings, booleans, lists) in some.
    attributes = models.JSONField(default=dict)
    contact_email = models.EmailField()
    homepage = models.URLField()
    thumbnail = models.BinaryField()
    tags = models.ManyToManyField(Tag, related_name="products", blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price__lt=1000000), name="price_not_absurd"),
            models.UniqueConstraint(fields=["category", "sku"], name="uniq_product_sku"),
        ]
        indexes = [models.Index(fields=["created_at", "priority"], name="product_created_prio")]


class Shipment(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="shipments")
    # A plain bigint of microseconds in SQLite, an interval in PostgreSQL.
    transit_time = models.DurationField()
    origin_ip = models.GenericIPAddressField()
    shipped_at = models.DateTimeField()
    tracking = models.JSONField(null=True, blank=True)
    # Fifteen significant digits: all a REAL in SQLite keeps, all of them must arrive.
    exchange_rate = models.DecimalField(max_digits=15, decimal_places=10)


class LegacyNote(models.Model):
    """A table and a column named in mixed case, as projects that grew out of older schemas
    have: Django quotes every identifier, so PostgreSQL must keep the case."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, db_column="ProductRef")
    Body = models.CharField(max_length=200, db_column="Body")

    class Meta:
        db_table = "LegacyNote"
