"""expected deliveries per option, and the date each backordered order line option was promised

Revision ID: 0019
Revises: 0018

- expected_delivery: stock the merchant expects for a tracked option (a date and a quantity);
  waiting backorders are matched against them oldest first (`core.promises`).
- order_line_option.promised_date: the date its waiting units were promised at checkout, moved
  when a delivery slips, shrinks or is cancelled. Existing lines were promised no date (NULL).
  A plain ADD COLUMN keeps SQLite's AUTOINCREMENT.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expected_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_expected_delivery_option_id", "expected_delivery", ["option_id"], unique=False
    )
    op.add_column("order_line_option", sa.Column("promised_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_line_option") as batch_op:
        batch_op.drop_column("promised_date")
    op.drop_index("ix_expected_delivery_option_id", table_name="expected_delivery")
    op.drop_table("expected_delivery")
