"""an index on order_line_option.option_id: a restock finds the lines waiting for one option

Revision ID: 0017
Revises: 0016

Restock fills waiting backorders oldest first (`services.stock.waiting_lines`), and the
backorder queue lists them per option: both look order line options up by option. Without an
index that read every option of every order ever placed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_order_line_option_option_id", "order_line_option", ["option_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_order_line_option_option_id", table_name="order_line_option")
