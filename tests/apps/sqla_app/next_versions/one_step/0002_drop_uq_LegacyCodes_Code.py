"""drop_uq_LegacyCodes_Code: drop a mixed-case convention name (Alembic quotes it), alone

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
    with op.batch_alter_table("LegacyCodes") as batch:
        batch.drop_constraint(op.f("uq_LegacyCodes_Code"), type_="unique")


def downgrade() -> None:
    raise NotImplementedError
