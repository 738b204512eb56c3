"""housekeeping: what pruning old carts, sessions and sign-in attempts needs

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Placeholder: filled in by the change that needs it."""


def downgrade() -> None:
    """Placeholder: filled in by the change that needs it."""
