"""drop_fk_items_supplier_id_suppliers: one operation of ../0002_next.py, to apply it alone

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa  # noqa: F401  (the same header as every revision)
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint(op.f("fk_items_supplier_id_suppliers"), type_="foreignkey")


def downgrade() -> None:
    raise NotImplementedError
