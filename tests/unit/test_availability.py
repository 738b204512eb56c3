"""The stock and backorder rules of the seed, with no database and no web."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.availability import (
    BACKORDER_CART_LABEL,
    BACKORDER_NOTICE,
    OUT_OF_STOCK_NOTICE,
    AvailabilityCode,
    LayerStock,
    StockPolicy,
    StockStatus,
    combined_availability,
    option_availability,
)

IN = StockStatus.IN_STOCK
OUT = StockStatus.OUT_OF_STOCK


@pytest.mark.parametrize(
    ("stock_management", "backorder", "layer_enabled", "status", "expected"),
    [
        # The seed's case: stock management on, Enable Backorder on, layer Out of Stock.
        (True, True, True, OUT, AvailabilityCode.BACKORDER),
        # Backorder off: an Out of Stock layer cannot be bought.
        (True, False, True, OUT, AvailabilityCode.UNAVAILABLE),
        # In Stock is always fine.
        (True, True, True, IN, AvailabilityCode.IN_STOCK),
        (True, False, True, IN, AvailabilityCode.IN_STOCK),
        # The layer's own Stock Management off: its status is not counted.
        (True, False, False, OUT, AvailabilityCode.IN_STOCK),
        (True, True, False, OUT, AvailabilityCode.IN_STOCK),
        # Configurator stock management off: no stock is counted, backorder has no effect.
        (False, True, True, OUT, AvailabilityCode.IN_STOCK),
        (False, False, True, OUT, AvailabilityCode.IN_STOCK),
    ],
)
def test_option_availability_follows_the_seed(
    stock_management: bool,
    backorder: bool,
    layer_enabled: bool,
    status: StockStatus,
    expected: AvailabilityCode,
) -> None:
    policy = StockPolicy(stock_management=stock_management, backorder=backorder)
    result = option_availability(policy, LayerStock(enabled=layer_enabled, status=status))
    assert result.code is expected


def test_backorder_wording_is_the_seeds() -> None:
    backorder = option_availability(StockPolicy(True, True), LayerStock(True, OUT))
    assert backorder.notice == BACKORDER_NOTICE == "Available on Backorder"
    assert backorder.cart_label == BACKORDER_CART_LABEL == "(Available Backorder)"
    assert backorder.is_purchasable and backorder.is_backorder


def test_unavailable_option_says_out_of_stock_and_cannot_be_bought() -> None:
    refused = option_availability(StockPolicy(True, False), LayerStock(True, OUT))
    assert refused.notice == OUT_OF_STOCK_NOTICE
    assert not refused.is_purchasable
    assert refused.cart_label == ""


def test_enable_backorder_has_no_effect_while_stock_management_is_off() -> None:
    assert not StockPolicy(stock_management=False, backorder=True).backorder_effective
    assert StockPolicy(stock_management=True, backorder=True).backorder_effective


@given(st.booleans(), st.booleans(), st.booleans(), st.sampled_from(list(StockStatus)))
def test_only_an_out_of_stock_counted_layer_is_ever_not_in_stock(
    stock_management: bool, backorder: bool, enabled: bool, status: StockStatus
) -> None:
    result = option_availability(
        StockPolicy(stock_management, backorder), LayerStock(enabled, status)
    )
    counted_out = stock_management and enabled and status is OUT
    assert (result.code is AvailabilityCode.IN_STOCK) == (not counted_out)
    if counted_out:
        assert result.is_purchasable == backorder


@given(st.lists(st.sampled_from(list(AvailabilityCode)), max_size=8))
def test_a_configuration_is_as_available_as_its_least_available_option(
    codes: list[AvailabilityCode],
) -> None:
    from configurator.availability import Availability

    combined = combined_availability(Availability(code) for code in codes)
    if AvailabilityCode.UNAVAILABLE in codes:
        assert combined.code is AvailabilityCode.UNAVAILABLE
    elif AvailabilityCode.BACKORDER in codes:
        assert combined.code is AvailabilityCode.BACKORDER
    else:
        assert combined.code is AvailabilityCode.IN_STOCK
