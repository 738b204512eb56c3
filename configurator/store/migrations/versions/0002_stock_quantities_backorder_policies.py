"""stock quantities, backorder policies with inheritance, stock movements, checkout keys

Revision ID: 0002
Revises: 0001

Global Settings' "Enable Backorder" (a yes/no) becomes the three choices of the seeds: on maps
to "Allow backorders and notify customer" (what shoppers saw until now), off to "No backorders".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FALSE = sa.false()


NEVER_REUSE_IDS = (
    "product",
    "layer",
    "image",
    "option",
    "cart_line",
    "customer_order",
    "order_line",
    "order_line_option",
)


def upgrade() -> None:
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("option_name", sa.String(length=80), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("quantity_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_movement_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_movement_option_id"), ["option_id"], unique=False
        )

    with op.batch_alter_table("cart_line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backorder_line", sa.Boolean(), nullable=False, server_default=FALSE)
        )

    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backorder_told", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="placed")
        )
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checkout_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_customer_order_checkout_key"), ["checkout_key"], unique=True
        )
    op.execute("UPDATE customer_order SET backorder_told = has_backorder")

    with op.batch_alter_table("option", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("track_inventory", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(sa.Column("quantity", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("backorders", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("out_of_stock_threshold", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("only_x_left_threshold", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("notify_below", sa.Integer(), nullable=True))

    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backorder_told", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(
            sa.Column("backorder_line", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(
            sa.Column("quantity_in_stock", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("quantity_backordered", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE order_line SET backorder_told = has_backorder, "
        "quantity_in_stock = CASE WHEN has_backorder THEN 0 ELSE quantity END, "
        "quantity_backordered = CASE WHEN has_backorder THEN quantity ELSE 0 END"
    )

    with op.batch_alter_table("order_line_option", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_told", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("quantity_backordered", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("option_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("stock_taken", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key(
            "fk_order_line_option_option_id", "option", ["option_id"], ["id"], ondelete="SET NULL"
        )
    op.execute(
        "UPDATE order_line_option SET quantity_backordered = "
        "(SELECT order_line.quantity FROM order_line WHERE order_line.id = order_line_option.order_line_id) "
        "WHERE backordered"
    )

    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backorders", sa.String(length=16), nullable=False, server_default="no")
        )
        batch_op.add_column(
            sa.Column("out_of_stock_threshold", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("only_x_left_threshold", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("notify_below", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("new_option_backorders", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "allow_custom_backordering", sa.Boolean(), nullable=False, server_default=FALSE
            )
        )
    op.execute("UPDATE product SET backorders = CASE WHEN backorder THEN 'notify' ELSE 'no' END")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("backorder")

    # Last, so that no later batch operation rebuilds a table without it.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite reuses the highest deleted rowid unless a table says AUTOINCREMENT: a cart line
        # could then name a product created after its own was deleted.
        for table in NEVER_REUSE_IDS:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backorder", sa.Boolean(), nullable=False, server_default=FALSE)
        )
    op.execute("UPDATE product SET backorder = (backorders <> 'no')")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("allow_custom_backordering")
        batch_op.drop_column("new_option_backorders")
        batch_op.drop_column("notify_below")
        batch_op.drop_column("only_x_left_threshold")
        batch_op.drop_column("out_of_stock_threshold")
        batch_op.drop_column("backorders")

    with op.batch_alter_table("order_line_option", schema=None) as batch_op:
        batch_op.drop_constraint("fk_order_line_option_option_id", type_="foreignkey")
        batch_op.drop_column("stock_taken")
        batch_op.drop_column("option_id")
        batch_op.drop_column("quantity_backordered")
        batch_op.drop_column("customer_told")

    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_column("quantity_backordered")
        batch_op.drop_column("quantity_in_stock")
        batch_op.drop_column("backorder_line")
        batch_op.drop_column("backorder_told")

    with op.batch_alter_table("option", schema=None) as batch_op:
        batch_op.drop_column("notify_below")
        batch_op.drop_column("only_x_left_threshold")
        batch_op.drop_column("out_of_stock_threshold")
        batch_op.drop_column("backorders")
        batch_op.drop_column("quantity")
        batch_op.drop_column("track_inventory")

    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_order_checkout_key"))
        batch_op.drop_column("checkout_key")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("status")
        batch_op.drop_column("backorder_told")

    with op.batch_alter_table("cart_line", schema=None) as batch_op:
        batch_op.drop_column("backorder_line")

    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movement_option_id"))
        batch_op.drop_index(batch_op.f("ix_stock_movement_created_at"))
    op.drop_table("stock_movement")
