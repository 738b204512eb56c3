"""several views of a configurator: Front, Back, Detail...

Revision ID: 0013
Revises: 0012

The main view is the options' own images (`option.image_id`), named by
`product.main_view_name` ("Front" for every existing product). Other views are rows of
`product_view`; an option's image for one of them is a row of `option_view_image` (none: the
option shows nothing in that view). New tables and a plain ADD COLUMN, so existing tables keep
their AUTOINCREMENT on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "product",
        sa.Column("main_view_name", sa.String(length=40), nullable=False, server_default="Front"),
    )
    op.create_table(
        "product_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("product_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_view_product_id"), ["product_id"])
    op.create_table(
        "option_view_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["image.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["view_id"], ["product_view.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("option_id", "view_id", name="uq_option_view_image_option_view"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("option_view_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_option_view_image_option_id"), ["option_id"])
        batch_op.create_index(batch_op.f("ix_option_view_image_view_id"), ["view_id"])


def downgrade() -> None:
    op.drop_table("option_view_image")
    op.drop_table("product_view")
    with op.batch_alter_table(
        "product", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("main_view_name")
