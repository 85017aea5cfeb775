"""next: the revision the application ships after the move

Drops constraints by their naming-convention names and changes a type. Written with
batch_alter_table, as the project's revisions are, so it runs on SQLite and PostgreSQL alike.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        # op.f: the names are final; the naming convention must not be applied to them again.
        batch.drop_constraint(op.f("uq_items_code"), type_="unique")
        batch.drop_constraint(op.f("ck_items_price_positive"), type_="check")
        batch.alter_column("code", type_=sa.String(40), existing_type=sa.String(20))
        batch.drop_constraint(op.f("fk_items_supplier_id_suppliers"), type_="foreignkey")
        batch.drop_index(op.f("ix_items_created_at"))
    with op.batch_alter_table("suppliers") as batch:
        batch.drop_constraint(op.f("uq_suppliers_name"), type_="unique")


def downgrade() -> None:
    raise NotImplementedError
