"""emails: the outbox, "Notify me when back in stock" requests, the low-stock alert's memory

Revision ID: 0016
Revises: 0015

- outbox_mail: every mail the shop writes, in the transaction of what caused it; a sender
  delivers it later and records the attempts (the admin's Emails page lists them).
- back_in_stock_request: one per option and address, confirmed by a link (double opt-in).
- option.low_stock_alerted: the merchant was told this option fell to Notify for Quantity
  Below; cleared when its quantity is above it again, so there is one alert per crossing.
  Existing options start unalerted (false). A plain ADD COLUMN keeps SQLite's AUTOINCREMENT.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_mail_created_at", "outbox_mail", ["created_at"], unique=False)
    op.create_index(
        "ix_outbox_mail_next_attempt_at", "outbox_mail", ["next_attempt_at"], unique=False
    )
    op.create_table(
        "back_in_stock_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("option_id", "email", name="uq_back_in_stock_request_option_email"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_back_in_stock_request_option_id", "back_in_stock_request", ["option_id"], unique=False
    )
    op.add_column(
        "option",
        sa.Column("low_stock_alerted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("low_stock_alerted")
    op.drop_index("ix_back_in_stock_request_option_id", table_name="back_in_stock_request")
    op.drop_table("back_in_stock_request")
    op.drop_index("ix_outbox_mail_next_attempt_at", table_name="outbox_mail")
    op.drop_index("ix_outbox_mail_created_at", table_name="outbox_mail")
    op.drop_table("outbox_mail")
