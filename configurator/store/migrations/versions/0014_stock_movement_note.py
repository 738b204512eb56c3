"""a stock movement's note: which file an import came from, what a bulk edit or repair did

Revision ID: 0014
Revises: 0011

Free text beside the reason ("import" + "stock.csv"); empty for every earlier movement.
A plain ADD COLUMN with a server default, so the table keeps its AUTOINCREMENT on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stock_movement",
        sa.Column("note", sa.String(length=200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "stock_movement", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("note")
