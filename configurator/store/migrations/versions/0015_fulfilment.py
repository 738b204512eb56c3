"""fulfilment: backordered lines from checkout to shipment

Revision ID: 0015
Revises: 0014

- `order_line_option.quantity_allocated`: of a line's Qty Backordered, what restocks allocated
  to it since (oldest first);
- `order_line.quantity_shipped`, and `shipment` (what the merchant marked shipped, with an
  optional tracking reference);
- `customer_order.fulfilment` (Awaiting stock, Partly ready, Ready to ship, Shipped,
  Cancelled), indexed for the order list and the dashboard's counts;
- `stock_movement.order_line_id` (the line an allocated unit went to) and `note` (what the
  merchant typed with "Receive stock").

Plain ADD COLUMNs, so the tables keep their AUTOINCREMENT on SQLite. Existing orders get the
status their lines give today: nothing was allocated or shipped before this revision, so a
placed order with a backordered line waits (Partly ready when another line is in stock).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "order_line_option",
        sa.Column("quantity_allocated", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "order_line",
        sa.Column("quantity_shipped", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "customer_order",
        sa.Column("fulfilment", sa.String(length=16), nullable=False, server_default="ready"),
    )
    op.create_index("ix_customer_order_fulfilment", "customer_order", ["fulfilment"])
    op.add_column("stock_movement", sa.Column("order_line_id", sa.Integer(), nullable=True))
    op.add_column(
        "stock_movement",
        sa.Column("note", sa.String(length=200), nullable=False, server_default=""),
    )
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("tracking_reference", sa.String(length=100), nullable=False),
        sa.Column("items", sa.String(length=2000), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_shipment_order_id", "shipment", ["order_id"])
    # A line waits while one of its options has backordered units (none were allocated yet);
    # an order with a waiting line and a line that is not all backordered is Partly ready.
    op.execute(
        """
        UPDATE customer_order SET fulfilment = CASE
        WHEN status = 'cancelled' THEN 'cancelled'
        WHEN EXISTS (
            SELECT 1 FROM order_line ol JOIN order_line_option olo ON olo.order_line_id = ol.id
            WHERE ol.order_id = customer_order.id AND olo.quantity_backordered > 0
        ) AND EXISTS (
            SELECT 1 FROM order_line ol WHERE ol.order_id = customer_order.id
            AND ol.quantity > (
                SELECT coalesce(max(olo.quantity_backordered), 0) FROM order_line_option olo
                WHERE olo.order_line_id = ol.id
            )
        ) THEN 'partly_ready'
        WHEN EXISTS (
            SELECT 1 FROM order_line ol JOIN order_line_option olo ON olo.order_line_id = ol.id
            WHERE ol.order_id = customer_order.id AND olo.quantity_backordered > 0
        ) THEN 'awaiting'
        ELSE 'ready' END
        """
    )


def downgrade() -> None:
    op.drop_index("ix_shipment_order_id", table_name="shipment")
    op.drop_table("shipment")
    for table, column in (
        ("stock_movement", "note"),
        ("stock_movement", "order_line_id"),
        ("order_line", "quantity_shipped"),
        ("order_line_option", "quantity_allocated"),
    ):
        with op.batch_alter_table(
            table, schema=None, table_kwargs={"sqlite_autoincrement": True}
        ) as batch_op:
            batch_op.drop_column(column)
    op.drop_index("ix_customer_order_fulfilment", table_name="customer_order")
    with op.batch_alter_table(
        "customer_order", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("fulfilment")
