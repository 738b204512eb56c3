"""housekeeping: what pruning old carts, sessions and sign-in attempts needs

Pruning finds idle carts by `cart.updated_at` and expired merchant sessions by
`admin_session.expires_at` (sign-in attempts already have an index on `created_at`).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cart", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admin_session_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_session_expires_at"))
    with op.batch_alter_table("cart", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_updated_at"))
