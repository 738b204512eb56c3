"""an option's restock timeframe: what a backorder notice promises ("ships in 2-3 weeks")

Revision ID: 0011
Revises: 0010

Lightspeed's delivery timeframes: free text per option, empty (NULL) when the merchant
promises nothing. A plain ADD COLUMN, so the table keeps its AUTOINCREMENT on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("option", sa.Column("restock_timeframe", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(
        "option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("restock_timeframe")
