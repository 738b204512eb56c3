"""Small in-memory configurators for the unit tests."""

from configurator.availability import LayerStock, StockPolicy, StockStatus
from configurator.configuration import ConfiguratorSpec, LayerSpec, OptionSpec


def option(option_id: int, layer_id: int, price: int = 0, *, out: bool = False) -> OptionSpec:
    return OptionSpec(
        id=option_id,
        layer_id=layer_id,
        name=f"Option {option_id}",
        sku=f"SKU-{option_id}",
        price_delta=price,
        image_url=None,
        stock=LayerStock(
            enabled=True, status=StockStatus.OUT_OF_STOCK if out else StockStatus.IN_STOCK
        ),
    )


def bike(*, backorder: bool = True, stock_management: bool = True) -> ConfiguratorSpec:
    """Wheels (11 default, 12 out of stock +450.00), Frame (21, 22 +50.00), Bell optional (31)."""
    return ConfiguratorSpec(
        product_id=1,
        slug="bike",
        name="Bike",
        description="",
        base_price=100_000,
        policy=StockPolicy(stock_management=stock_management, backorder=backorder),
        layers=(
            LayerSpec(1, "Wheels", True, 11, (option(11, 1), option(12, 1, 45_000, out=True))),
            LayerSpec(2, "Frame", True, 21, (option(21, 2), option(22, 2, 5_000))),
            LayerSpec(3, "Bell", False, None, (option(31, 3, 1_900),)),
        ),
    )
