"""the image each ordered option had at checkout, so an order's picture shows the build as ordered

Revision ID: 0021
Revises: 0020

An order's composed picture (cart confirmation, order pages, PDFs, mails) was drawn from the
option ids it recorded against the images the options have now: a later image change altered
old orders' pictures, and a deleted option dropped out of them. Each order line option now
records its option's main image (`image.id`: images are stored once per content hash and never
rewritten, so the id names the content). The foreign key is RESTRICT: an image an order shows
cannot be deleted. Orders placed before this revision get the image their option has at upgrade
time (the nearest record there is); an option already deleted leaves NULL (nothing drawn).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(
        "order_line_option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("image_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_order_line_option_image_id_image",
            "image",
            ["image_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index("ix_order_line_option_image_id", ["image_id"], unique=False)
    op.execute(
        "UPDATE order_line_option SET image_id = "
        "(SELECT option.image_id FROM option WHERE option.id = order_line_option.option_id) "
        "WHERE option_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "order_line_option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_order_line_option_image_id")
        batch_op.drop_constraint("fk_order_line_option_image_id_image", type_="foreignkey")
        batch_op.drop_column("image_id")
