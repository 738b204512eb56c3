"""Rules the storefront, checkout and the admin share: each is one function they all ask."""

import pytest

from configurator.core.availability import (
    IN_STOCK,
    INHERITABLE,
    ON_BACKORDER,
    SETTING_LABELS,
    UNAVAILABLE,
    Availability,
    AvailabilityCode,
    Backorders,
    OptionStock,
    StockSettings,
    applied_threshold,
    effective_stock,
    lowest_quantity_after_sale,
    option_settings,
    salable_quantity,
)
from configurator.core.configuration import (
    ConfiguratorSpec,
    Notice,
    availability_notices,
    parse_selection,
    resolve,
)
from tests.unit.specs import bike, tracked_bike

NO, ALLOW, NOTIFY = Backorders.NO, Backorders.ALLOW, Backorders.ALLOW_AND_NOTIFY


@pytest.mark.parametrize(
    ("backorders", "threshold", "applied"),
    [
        (NO, 0, 0),
        (NO, 3, 3),  # a reserve
        (NO, -5, 0),  # without backorders nothing is sold below zero
        (ALLOW, 0, None),  # no cap
        (NOTIFY, 0, None),
        (NOTIFY, -50, -50),  # 50 more may be backordered
        (ALLOW, 2, 2),
    ],
)
def test_the_out_of_stock_threshold_applies_clamped_once(
    backorders: Backorders, threshold: int, applied: int | None
) -> None:
    assert applied_threshold(backorders, threshold) == applied
    salable = salable_quantity(25, backorders, threshold)
    assert salable == (None if applied is None else max(0, 25 - applied))
    settings = StockSettings(True, backorders, out_of_stock_threshold=threshold)
    stock = OptionStock(enabled=True, track_inventory=True, quantity=25)
    assert lowest_quantity_after_sale(stock, settings) == applied
    assert effective_stock(settings, stock).applied_threshold == applied


def test_the_inheritable_settings_are_listed_once_with_their_labels() -> None:
    assert INHERITABLE == (
        "backorders",
        "out_of_stock_threshold",
        "only_x_left_threshold",
        "notify_below",
    )
    assert SETTING_LABELS["only_x_left_threshold"] == '"Only X left" threshold'
    assert SETTING_LABELS["out_of_stock_threshold"] == "Out-of-Stock Threshold"


def test_an_options_settings_show_its_own_value_next_to_the_global_one() -> None:
    settings = StockSettings(True, NOTIFY, out_of_stock_threshold=-5, notify_below=3)
    stock = OptionStock(enabled=True, backorders=NO, only_x_left_threshold=4)
    shown = option_settings(settings, stock)
    assert [s.name for s in shown] == list(INHERITABLE)
    assert [(s.own, s.global_value, s.inherited) for s in shown] == [
        (NO, NOTIFY, False),
        (None, -5, True),
        (4, 0, False),
        (None, 3, True),
    ]
    effective = effective_stock(settings, stock)
    assert [getattr(effective, s.name) for s in shown] == [s.effective for s in shown]
    assert effective.inherited == {s.name for s in shown if s.inherited}


def test_a_decision_says_whether_the_shopper_is_told_of_a_partial_backorder() -> None:
    told = resolve(tracked_bike(2, 10, backorders=NOTIFY), {}).decide_add(5)
    assert told.told and told.partly_backordered and not told.refused
    silent = resolve(tracked_bike(2, 10, backorders=ALLOW), {}).decide_add(5)
    assert not silent.told and not silent.partly_backordered
    whole = resolve(tracked_bike(0, 10, backorders=NOTIFY), {}).decide_add(5)
    assert whole.told and not whole.partly_backordered
    refused = resolve(tracked_bike(2, 10), {}).decide_add(5)
    assert refused.refused and refused.limit == 2


def notices_for(spec: ConfiguratorSpec, params: dict[str, str], quantity: int) -> list[Notice]:
    configuration = resolve(spec, parse_selection(spec, params))
    decision = configuration.decide_add(quantity) if configuration.can_purchase else None
    return list(availability_notices(configuration, quantity, decision))


def test_a_build_in_stock_is_ready_to_build() -> None:
    assert notices_for(bike(), {}, 1) == [Notice("instock", "In stock, ready to build.")]


def test_the_option_with_fewest_left_is_named() -> None:
    spec = tracked_bike(2, 10, only_x_left_threshold=3)
    assert notices_for(spec, {}, 1) == [Notice("low", "In stock. Only 2 left: Wheels · Option 11.")]


def test_options_on_backorder_are_named_with_when_they_ship() -> None:
    assert notices_for(bike(), {"layer-1": "12"}, 1) == [
        Notice(
            "backorder", "Wheels · Option 12. Ships once restocked.", lead="Available on Backorder:"
        )
    ]


def test_a_quantity_beyond_what_can_be_sold_names_the_option_that_limits_it() -> None:
    assert notices_for(tracked_bike(2, 10), {}, 5) == [
        Notice("error", "Only 2 of this build can be ordered (Wheels · Option 11 limits it).")
    ]
    # Said after the options on backorder, when both apply.
    spec = tracked_bike(2, 1, backorders=NOTIFY, out_of_stock_threshold=-1)
    said = notices_for(spec, {"layer-1": "12"}, 5)
    assert [n.kind for n in said] == ["backorder", "error"]
    assert said[1].text == "Only 2 of this build can be ordered (Frame · Option 21 limits it)."


def test_a_quantity_that_ships_partly_now_says_how_it_divides() -> None:
    spec = tracked_bike(2, 10, backorders=NOTIFY)
    assert notices_for(spec, {}, 5) == [Notice("backorder", "Of 5: 2 ship now, 3 once restocked.")]
    # A silent backorder says nothing of it.
    silent = tracked_bike(2, 10, backorders=ALLOW)
    assert notices_for(silent, {}, 5) == [Notice("instock", "In stock, ready to build.")]


def test_what_stops_the_purchase_is_all_that_is_said() -> None:
    spec = bike(backorder=False)
    assert notices_for(spec, {"layer-1": "12"}, 1) == [
        Notice("error", "Wheels: Option 12 is out of stock and cannot be ordered.")
    ]


def test_the_admin_says_what_shoppers_see_next_to_an_option() -> None:
    assert IN_STOCK.shopper_sees == "In stock"
    assert ON_BACKORDER.shopper_sees == "Available on Backorder"
    silent = Availability(AvailabilityCode.BACKORDER, tells_customer=False)
    assert silent.shopper_sees == "nothing (silent backorder)"
    assert UNAVAILABLE.shopper_sees == "Out of Stock (cannot be ordered)"
    low = Availability(AvailabilityCode.IN_STOCK, salable=2, on_hand=2, only_left=2)
    assert low.shopper_sees == "Only 2 left"
