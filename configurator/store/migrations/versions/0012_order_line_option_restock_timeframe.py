"""the delivery timeframe an order promised for a backordered option, kept with the order

Revision ID: 0012
Revises: 0011

An order is a snapshot: the option's delivery timeframe ("ships in 2-3 weeks") as it was at
checkout, so the order's pages and documents keep saying what the customer was promised when
the merchant later edits or clears the option's timeframe. NULL: nothing was promised (and
every order placed before this revision). A plain ADD COLUMN, so the table keeps its
AUTOINCREMENT on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "order_line_option", sa.Column("restock_timeframe", sa.String(length=80), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "order_line_option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("restock_timeframe")
