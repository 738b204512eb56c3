"""Stock and backorder rules: the one place that decides what a shopper may buy.

Pure: plain values in, plain answers out. No database, no web. The storefront, the cart,
checkout and the admin preview all ask this module; none of them re-derives a rule.

Vocabulary (from the WP Configurator Stock Management add-on):
- each configurator has Global Settings > Stock Management: the stock management switch and
  "Enable Backorder" (which only exists, and only has an effect, while stock management is on);
- each image layer (option) has its own Stock Management block: enabled or not, and a
  Stock Status of "In Stock" or "Out of Stock".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

BACKORDER_NOTICE = "Available on Backorder"
BACKORDER_CART_LABEL = "(Available Backorder)"
OUT_OF_STOCK_NOTICE = "Out of Stock"
SHIPS_ONCE_RESTOCKED = "Ships once restocked"
BACKORDER_EXPLANATION = (
    "Backordered options are not in stock right now; we will ship them once they are restocked."
)


class StockStatus(StrEnum):
    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"

    @property
    def label(self) -> str:
        return "In Stock" if self is StockStatus.IN_STOCK else "Out of Stock"


@dataclass(frozen=True, slots=True)
class StockPolicy:
    """A configurator's Global Settings > Stock Management section."""

    stock_management: bool
    backorder: bool

    @property
    def backorder_effective(self) -> bool:
        """Enable Backorder has no effect while stock management is off."""
        return self.stock_management and self.backorder


@dataclass(frozen=True, slots=True)
class LayerStock:
    """An image layer's own Stock Management block."""

    enabled: bool
    status: StockStatus


class AvailabilityCode(StrEnum):
    IN_STOCK = "in_stock"
    BACKORDER = "backorder"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Availability:
    """What a shopper may do with an option, and what we tell them about it."""

    code: AvailabilityCode

    @property
    def is_purchasable(self) -> bool:
        return self.code is not AvailabilityCode.UNAVAILABLE

    @property
    def is_backorder(self) -> bool:
        return self.code is AvailabilityCode.BACKORDER

    @property
    def notice(self) -> str:
        """The storefront notice shown next to the option ("" when in stock)."""
        if self.code is AvailabilityCode.BACKORDER:
            return BACKORDER_NOTICE
        if self.code is AvailabilityCode.UNAVAILABLE:
            return OUT_OF_STOCK_NOTICE
        return ""

    @property
    def cart_label(self) -> str:
        """The label shown after the option in the cart and the order ("" when in stock)."""
        return BACKORDER_CART_LABEL if self.is_backorder else ""


IN_STOCK = Availability(AvailabilityCode.IN_STOCK)
ON_BACKORDER = Availability(AvailabilityCode.BACKORDER)
UNAVAILABLE = Availability(AvailabilityCode.UNAVAILABLE)


def option_availability(policy: StockPolicy, stock: LayerStock) -> Availability:
    """Decide one option's availability.

    Stock is only counted when the configurator's stock management is on *and* the image
    layer's own Stock Management is enabled. Then an Out of Stock option is available on
    backorder when backorder is enabled, and unavailable otherwise.
    """
    if not (policy.stock_management and stock.enabled):
        return IN_STOCK
    if stock.status is StockStatus.IN_STOCK:
        return IN_STOCK
    return ON_BACKORDER if policy.backorder_effective else UNAVAILABLE


def combined_availability(parts: Iterable[Availability]) -> Availability:
    """A configuration is as available as its least available option."""
    result = IN_STOCK
    for part in parts:
        if part.code is AvailabilityCode.UNAVAILABLE:
            return UNAVAILABLE
        if part.code is AvailabilityCode.BACKORDER:
            result = ON_BACKORDER
    return result
