"""Pending orders: the charge policy "Charge on restock" moves backordered items to their own
order, linked to the main order

Revision ID: 0020
Revises: 0019

`customer_order.pending` marks such an order (charged when its items ship), and
`customer_order.main_order_id` names the order the same checkout placed with it (the main
order finds its Pending order through the index). Existing orders were all charged in full:
they are not pending and have no main order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "customer_order",
        sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("customer_order", sa.Column("main_order_id", sa.Integer(), nullable=True))
    op.create_index("ix_customer_order_main_order_id", "customer_order", ["main_order_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_order_main_order_id", table_name="customer_order")
    with op.batch_alter_table(
        "customer_order", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("main_order_id")
        batch_op.drop_column("pending")
