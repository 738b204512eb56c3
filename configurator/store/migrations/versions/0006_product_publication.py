"""products start as drafts and are published by the merchant

Revision ID: 0006
Revises: 0005

Every product that exists already is live in a shop, so it is published: upgrading must not
take a shop's products off its storefront. Products created from now on start as drafts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): recreating the table would lose its AUTOINCREMENT.
    op.add_column(
        "product", sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    product = sa.table("product", sa.column("published", sa.Boolean()))
    op.execute(product.update().values(published=True))


def downgrade() -> None:
    with op.batch_alter_table(
        "product", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("published")
