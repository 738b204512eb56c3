"""Small in-memory configurators for the unit tests."""

from dataclasses import replace
from typing import Any

from configurator.core.availability import Backorders, OptionStock, StockSettings, StockStatus
from configurator.core.configuration import ConfiguratorSpec, LayerSpec, OptionSpec


def option(
    option_id: int, layer_id: int, price: int = 0, *, out: bool = False, **stock: object
) -> OptionSpec:
    return OptionSpec(
        id=option_id,
        layer_id=layer_id,
        name=f"Option {option_id}",
        sku=f"SKU-{option_id}",
        price_delta=price,
        image_url=None,
        stock=replace(
            OptionStock(
                enabled=True, status=StockStatus.OUT_OF_STOCK if out else StockStatus.IN_STOCK
            ),
            **stock,  # type: ignore[arg-type]
        ),
    )


def bike(
    *, backorder: bool = True, stock_management: bool = True, **settings: object
) -> ConfiguratorSpec:
    """Wheels (11 default, 12 out of stock +450.00), Frame (21, 22 +50.00), Bell optional (31)."""
    return ConfiguratorSpec(
        product_id=1,
        slug="bike",
        name="Bike",
        description="",
        base_price=100_000,
        settings=replace(
            StockSettings(
                stock_management=stock_management,
                backorders=Backorders.ALLOW_AND_NOTIFY if backorder else Backorders.NO,
            ),
            **settings,  # type: ignore[arg-type]
        ),
        layers=(
            LayerSpec(1, "Wheels", True, 11, (option(11, 1), option(12, 1, 45_000, out=True))),
            LayerSpec(2, "Frame", True, 21, (option(21, 2), option(22, 2, 5_000))),
            LayerSpec(3, "Bell", False, None, (option(31, 3, 1_900),)),
        ),
    )


def tracked_bike(
    wheels: int, frame: int, *, backorders: Backorders = Backorders.NO, **settings: Any
) -> ConfiguratorSpec:
    """A bike whose default wheels (11) and frame (21) track `wheels` and `frame` units
    (`settings`: bike()'s keywords, passed on as they are)."""
    spec = bike(**settings)
    spec = replace(spec, settings=replace(spec.settings, backorders=backorders))
    return replace(
        spec,
        layers=(
            replace(
                spec.layers[0],
                options=(
                    option(11, 1, track_inventory=True, quantity=wheels),
                    spec.layers[0].options[1],
                ),
            ),
            replace(
                spec.layers[1],
                options=(
                    option(21, 2, track_inventory=True, quantity=frame),
                    spec.layers[1].options[1],
                ),
            ),
            spec.layers[2],
        ),
    )
