"""options follow the global backorder setting unless the merchant overrides it

Revision ID: 0005
Revises: 0004

Until now a new configurator handed every option added to it its own "No backorders" (the
product's `new_option_backorders` was set to 'no'), so seed 000's steps (allow backorders in
Global Settings, mark an option Out of Stock) left the option unorderable. New configurators
now start with `new_option_backorders` NULL ("Use global setting"); this migration repairs
existing options only where the database proves the value came from that old default and
nobody relied on it. An option goes back to "Use global setting" (backorders NULL) when all
of these hold:

- its own backorders is 'no', the value the old default wrote, and its product's
  `new_option_backorders` is still 'no', the default that hands that value out;
- its Stock Management block is exactly as a new option starts and was never used: Stock
  Management off, Track inventory off, Stock Status In Stock, quantity 0, all three
  thresholds "Use global setting", and no stock movement ever recorded for it.

Such an option's backorder value has never had an effect on any shopper (stock management is
off for it, so it is always In Stock), and the change has none either until the merchant turns
its stock management on; then it follows Global Settings, as seed 000 says. Nothing else is
changed, because nothing else is provable: the option form and the Global Settings form submit
the backorder value they show, so an option the merchant saved with "No backorders", or a
product whose "Backorders for new image layers" says "No backorders", may be a deliberate
choice. Those stay as they are; the admin lists them in Global Settings and the option panel
says how to make one follow the global setting.

Downgrade changes no data: "Use global setting" (NULL) is valid in 0004 too, and which options
were repaired is not recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DEFAULT = "no"

product = sa.table(
    "product", sa.column("id", sa.Integer()), sa.column("new_option_backorders", sa.String())
)
layer = sa.table("layer", sa.column("id", sa.Integer()), sa.column("product_id", sa.Integer()))
option = sa.table(
    "option",
    sa.column("id", sa.Integer()),
    sa.column("layer_id", sa.Integer()),
    sa.column("stock_management", sa.Boolean()),
    sa.column("stock_status", sa.String()),
    sa.column("track_inventory", sa.Boolean()),
    sa.column("quantity", sa.Integer()),
    sa.column("backorders", sa.String()),
    sa.column("out_of_stock_threshold", sa.Integer()),
    sa.column("only_x_left_threshold", sa.Integer()),
    sa.column("notify_below", sa.Integer()),
)
stock_movement = sa.table("stock_movement", sa.column("option_id", sa.Integer()))


def upgrade() -> None:
    layers_with_old_default = (
        sa.select(layer.c.id)
        .join(product, product.c.id == layer.c.product_id)
        .where(product.c.new_option_backorders == OLD_DEFAULT)
    )
    op.execute(
        option.update()
        .where(
            option.c.backorders == OLD_DEFAULT,
            option.c.layer_id.in_(layers_with_old_default),
            option.c.stock_management == sa.false(),
            option.c.track_inventory == sa.false(),
            option.c.stock_status == "in_stock",
            option.c.quantity == 0,
            option.c.out_of_stock_threshold.is_(None),
            option.c.only_x_left_threshold.is_(None),
            option.c.notify_below.is_(None),
            ~sa.exists().where(stock_movement.c.option_id == option.c.id),
        )
        .values(backorders=None)
    )
    # Every worker must drop its cached configurators (see the catalog_version table).
    op.execute("UPDATE catalog_version SET version = version + 1")


def downgrade() -> None:
    """No data to give back: see the module docstring."""
