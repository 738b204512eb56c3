"""one index on cart_line (cart_id, product_id): adding to a cart finds its line directly

Revision ID: 0010
Revises: 0009

Adding a build to a cart first looks for the same build among that cart's lines. With only
the single-column indexes on `cart_id` and `product_id`, SQLite (without ANALYZE statistics)
sometimes chose `product_id` and read every cart line of that product ever added; the
composite index makes the cart's own lines the obvious path on SQLite and PostgreSQL alike.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cart_line_cart_id_product_id", "cart_line", ["cart_id", "product_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cart_line_cart_id_product_id", table_name="cart_line")
