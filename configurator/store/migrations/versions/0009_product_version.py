"""a version per product: a merchant's edit of one configurator drops only its caches

Revision ID: 0009
Revises: 0008

Until now one `catalog_version` row moved with every change of any product and of any
quantity, so every sale emptied every worker's caches of every product, and on PostgreSQL
every checkout updated that one row (checkouts of unrelated products waited on its lock).
Now `product.version` moves with a merchant's edit of that product (its settings, layers or
options), and quantities are read from the option rows themselves. `catalog_version` stays
for what is truly global (a restore, a change made with SQL behind the app's back); no
checkout writes it.

Existing products start at 0: every worker's caches are keyed by (catalog version, product
version), and this release reads both, so nothing cached by the previous release is reused.

Downgrade drops the column; the previous release bumps `catalog_version` again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): recreating the table would lose its AUTOINCREMENT.
    op.add_column("product", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    # Whatever a worker of the previous release cached is dropped on its next request.
    op.execute("UPDATE catalog_version SET version = version + 1")


def downgrade() -> None:
    with op.batch_alter_table(
        "product", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("version")
    op.execute("UPDATE catalog_version SET version = version + 1")
