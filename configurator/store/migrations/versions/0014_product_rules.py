"""conditional logic: a configurator's rules and the options that make each one apply

Revision ID: 0014
Revises: 0013

Two new tables, nothing existing changes: `product_rule` (IF any of its options is chosen
THEN show / hide a layer or an option, or enable / disable an option, with an optional
reverse) and `product_rule_option` (those options). Deleting the product, the target or a
condition's option deletes the rows that name it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=True),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("otherwise", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["layer_id"], ["layer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("product_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_rule_product_id"), ["product_id"])
    op.create_table(
        "product_rule_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["product_rule.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["option_id"], ["option.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("product_rule_option", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_rule_option_rule_id"), ["rule_id"])
        batch_op.create_index(batch_op.f("ix_product_rule_option_option_id"), ["option_id"])


def downgrade() -> None:
    op.drop_table("product_rule_option")
    op.drop_table("product_rule")
