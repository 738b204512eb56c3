"""import_job: a stock CSV import's check and apply run in the background, with progress

Revision ID: 0018
Revises: 0017

The admin's Inventory page starts the check (and then the apply) of an uploaded CSV as a job
and polls its row for progress; the row holds the file until it is applied, the result the
page shows, and the merchant it belongs to. Finished jobs are pruned after a day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_job_owner", "import_job", ["owner"], unique=False)
    op.create_index("ix_import_job_updated_at", "import_job", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_import_job_updated_at", table_name="import_job")
    op.drop_index("ix_import_job_owner", table_name="import_job")
    op.drop_table("import_job")
