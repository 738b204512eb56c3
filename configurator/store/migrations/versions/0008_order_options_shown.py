"""orders record which options the shopper saw

Revision ID: 0008
Revises: 0007

A layer shoppers never see (a required layer with a single option, "Backdrop: Studio") is not
listed on the customer's order page, though the order records it. Until now the order page
asked the catalog as it is today, so a merchant adding a second Backdrop option made old
orders list "Backdrop: Studio", and cutting a layer down to one option took the customer's
own choice off their order. Checkout now records, per order line option, whether the shopper
saw its layer (`order_line_option.shown_to_shopper`), and the order pages go by that.

Existing rows are filled in here from the catalog as it is at upgrade time, with the rule of
`LayerSpec.shown_to_shopper` (written out below, frozen as of this revision: a migration must
not follow later changes to the application's code). That is exactly what the order pages
showed the moment before the upgrade, so upgrading changes no order page, and from then on a
catalog change cannot either. Leaving them NULL and asking the catalog on every view (the old
behaviour) would keep the defect alive for every order placed before the upgrade. An option no
longer in the catalog (option_id NULL) counts as shown, as before: nothing says it was hidden.

The column stays nullable, and the order pages still ask the catalog for a NULL: a row written
by a worker still running the previous release during a rolling upgrade has no value.

Downgrade drops the column; the previous release asks the catalog again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

layer = sa.table("layer", sa.column("id", sa.Integer()), sa.column("required", sa.Boolean()))
option = sa.table("option", sa.column("id", sa.Integer()), sa.column("layer_id", sa.Integer()))
order_line_option = sa.table(
    "order_line_option",
    sa.column("option_id", sa.Integer()),
    sa.column("shown_to_shopper", sa.Boolean()),
)


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): recreating the table would lose its AUTOINCREMENT.
    op.add_column("order_line_option", sa.Column("shown_to_shopper", sa.Boolean(), nullable=True))
    sibling = option.alias("sibling")
    options_on_the_layer = (
        sa.select(sa.func.count())
        .select_from(sibling)
        .where(sibling.c.layer_id == layer.c.id)
        .scalar_subquery()
    )
    # Hidden: the option's layer is required and has this one option only.
    on_a_hidden_layer = sa.exists().where(
        option.c.id == order_line_option.c.option_id,
        layer.c.id == option.c.layer_id,
        layer.c.required == sa.true(),
        options_on_the_layer == 1,
    )
    op.execute(
        order_line_option.update().values(
            shown_to_shopper=sa.case((on_a_hidden_layer, sa.false()), else_=sa.true())
        )
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "order_line_option", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("shown_to_shopper")
