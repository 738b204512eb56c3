"""The stock and backorder rules of the seeds, with no database and no web."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.availability import (
    BACKORDER_CART_LABEL,
    BACKORDER_NOTICE,
    OUT_OF_STOCK_NOTICE,
    AddOutcome,
    Availability,
    AvailabilityCode,
    Backorders,
    OptionStock,
    Split,
    StockSettings,
    StockStatus,
    backorder_label,
    backorder_question,
    combined_availability,
    decide_add,
    effective_stock,
    is_low_stock,
    lowest_quantity_after_sale,
    option_availability,
    salable_quantity,
    split_line,
    split_summary,
    stock_heading,
)

IN = StockStatus.IN_STOCK
OUT = StockStatus.OUT_OF_STOCK
NO, ALLOW, NOTIFY = Backorders.NO, Backorders.ALLOW, Backorders.ALLOW_AND_NOTIFY


def settings(stock_management: bool = True, backorder: bool = True, **kw: object) -> StockSettings:
    return replace(
        StockSettings(stock_management, NOTIFY if backorder else NO),
        **kw,  # type: ignore[arg-type]
    )


def tracked(quantity: int, **kw: object) -> OptionStock:
    return replace(
        OptionStock(enabled=True, track_inventory=True, quantity=quantity),
        **kw,  # type: ignore[arg-type]
    )


# The first version's rules (seed 000): manual Stock Status, Enable Backorder. -----------------


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
    result = option_availability(
        settings(stock_management, backorder), OptionStock(enabled=layer_enabled, status=status)
    )
    assert result.code is expected


def test_backorder_wording_is_the_seeds() -> None:
    backorder = option_availability(settings(), OptionStock(True, OUT))
    assert backorder.notice == BACKORDER_NOTICE == "Available on Backorder"
    assert backorder.cart_label == BACKORDER_CART_LABEL == "(Available Backorder)"
    assert backorder.is_purchasable and backorder.is_backorder


def test_unavailable_option_says_out_of_stock_and_cannot_be_bought() -> None:
    refused = option_availability(settings(backorder=False), OptionStock(True, OUT))
    assert refused.notice == OUT_OF_STOCK_NOTICE
    assert not refused.is_purchasable
    assert not refused.can_buy(1)


def test_enable_backorder_has_no_effect_while_stock_management_is_off() -> None:
    assert not settings(stock_management=False).backorder_effective
    assert settings().backorder_effective


def test_silent_backorders_are_sold_but_not_announced() -> None:
    silent = option_availability(replace(settings(), backorders=ALLOW), OptionStock(True, OUT))
    assert silent.is_backorder and silent.is_purchasable
    assert silent.notice == ""
    assert silent.cart_label == ""


@given(st.lists(st.sampled_from(list(AvailabilityCode)), max_size=8))
def test_a_configuration_is_as_available_as_its_least_available_option(
    codes: list[AvailabilityCode],
) -> None:
    combined = combined_availability(Availability(code) for code in codes)
    if AvailabilityCode.UNAVAILABLE in codes:
        assert combined.code is AvailabilityCode.UNAVAILABLE
    elif AvailabilityCode.BACKORDER in codes:
        assert combined.code is AvailabilityCode.BACKORDER
    else:
        assert combined.code is AvailabilityCode.IN_STOCK


# Quantities, thresholds and derived status (seed 004). ---------------------------------------


def test_magento_example_salable_quantity_is_quantity_minus_threshold() -> None:
    # Quantity 25, Out-of-Stock Threshold -50, backorders on: 75 salable.
    assert salable_quantity(25, ALLOW, -50) == 75
    result = option_availability(settings(out_of_stock_threshold=-50), tracked(25))
    assert result.salable == 75
    assert result.on_hand == 25
    assert result.code is AvailabilityCode.IN_STOCK


def test_threshold_zero_with_backorders_means_no_cap() -> None:
    result = option_availability(settings(), tracked(0))
    assert result.salable is None
    assert result.code is AvailabilityCode.BACKORDER
    assert result.can_buy(10_000)


def test_positive_threshold_keeps_a_reserve_without_backorders() -> None:
    result = option_availability(settings(backorder=False, out_of_stock_threshold=2), tracked(5))
    assert result.salable == 3
    assert result.can_buy(3) and not result.can_buy(4)


def test_status_is_derived_from_quantity() -> None:
    rules = settings(out_of_stock_threshold=-2)
    assert option_availability(rules, tracked(1)).code is AvailabilityCode.IN_STOCK
    assert option_availability(rules, tracked(0)).code is AvailabilityCode.BACKORDER
    assert option_availability(rules, tracked(-1)).code is AvailabilityCode.BACKORDER
    assert option_availability(rules, tracked(-2)).code is AvailabilityCode.UNAVAILABLE
    assert AvailabilityCode.BACKORDER.status_label == "On Backorder"


def test_only_x_left_shows_at_or_below_the_threshold_never_for_unlimited() -> None:
    rules = settings(backorder=False, only_x_left_threshold=5)
    assert option_availability(rules, tracked(6)).notice == ""
    assert option_availability(rules, tracked(5)).notice == "Only 5 left"
    assert option_availability(rules, tracked(3)).notice == "Only 3 left"
    unlimited = option_availability(settings(only_x_left_threshold=5), tracked(2))
    assert unlimited.salable is None and unlimited.only_left is None


def test_notify_for_quantity_below_marks_low_stock() -> None:
    rules = settings(notify_below=3)
    assert is_low_stock(rules, tracked(3))
    assert not is_low_stock(rules, tracked(4))
    assert not is_low_stock(rules, OptionStock(enabled=True, quantity=0))  # not tracked
    assert is_low_stock(rules, tracked(9, notify_below=10))


# Inheritance ("Use global setting"). -------------------------------------------------------


def test_an_option_overrides_each_global_value_and_reset_returns_to_it() -> None:
    rules = settings(out_of_stock_threshold=-5, only_x_left_threshold=4, notify_below=2)
    own = tracked(
        10, backorders=NO, out_of_stock_threshold=1, only_x_left_threshold=9, notify_below=7
    )
    effective = effective_stock(rules, own)
    assert (effective.backorders, effective.out_of_stock_threshold) == (NO, 1)
    assert (effective.only_x_left_threshold, effective.notify_below) == (9, 7)
    assert effective.inherited == frozenset()
    reset = effective_stock(rules, tracked(10))
    assert reset.backorders is NOTIFY
    assert (reset.out_of_stock_threshold, reset.only_x_left_threshold) == (-5, 4)
    assert reset.notify_below == 2
    assert "backorders" in reset.inherited


optional_backorders = st.none() | st.sampled_from(list(Backorders))
optional_int = st.none() | st.integers(-1000, 1000)
global_settings = st.builds(
    StockSettings,
    stock_management=st.booleans(),
    backorders=st.sampled_from(list(Backorders)),
    out_of_stock_threshold=st.integers(-1000, 1000),
    only_x_left_threshold=st.integers(0, 1000),
    notify_below=st.integers(-1000, 1000),
    allow_custom_backordering=st.booleans(),
)
option_stocks = st.builds(
    OptionStock,
    enabled=st.booleans(),
    status=st.sampled_from(list(StockStatus)),
    track_inventory=st.booleans(),
    quantity=st.integers(-1000, 1000),
    backorders=optional_backorders,
    out_of_stock_threshold=optional_int,
    only_x_left_threshold=st.none() | st.integers(0, 1000),
    notify_below=optional_int,
)


@given(global_settings, option_stocks)
def test_inheritance_yields_the_global_value_unless_overridden(
    rules: StockSettings, stock: OptionStock
) -> None:
    effective = effective_stock(rules, stock)
    for name in ("backorders", "out_of_stock_threshold", "only_x_left_threshold", "notify_below"):
        own = getattr(stock, name)
        expected = getattr(rules, name) if own is None else own
        assert getattr(effective, name) == expected
        assert (name in effective.inherited) == (own is None)


# Properties of salable quantity, splits and status. -----------------------------------------


@given(global_settings, option_stocks, st.integers(1, 3000))
def test_never_more_is_sold_than_quantity_minus_threshold(
    rules: StockSettings, stock: OptionStock, quantity: int
) -> None:
    result = option_availability(rules, stock)
    if not result.can_buy(quantity):
        return
    floor = lowest_quantity_after_sale(stock, rules)
    counted = rules.stock_management and stock.enabled and stock.track_inventory
    if counted and floor is not None:
        assert stock.quantity - quantity >= floor
        effective = effective_stock(rules, stock)
        assert quantity <= stock.quantity - effective.out_of_stock_threshold or (
            not effective.backorders.allowed and quantity <= stock.quantity
        )
    if counted and floor is None:
        assert effective_stock(rules, stock).backorders.allowed


@given(global_settings, option_stocks, st.integers(0, 3000), st.integers(0, 3000))
def test_a_split_always_adds_up_to_what_was_asked(
    rules: StockSettings, stock: OptionStock, quantity: int, already: int
) -> None:
    result = option_availability(rules, stock)
    split = result.split(quantity, already_taken=already)
    assert split.in_stock + split.backordered == quantity
    assert split.in_stock >= 0 and split.backordered >= 0
    if result.on_hand is not None:
        assert split.in_stock <= max(0, result.on_hand - already)


@given(global_settings, option_stocks)
def test_status_is_always_the_one_derived_from_quantity_and_policy(
    rules: StockSettings, stock: OptionStock
) -> None:
    result = option_availability(rules, stock)
    counted = rules.stock_management and stock.enabled
    effective = effective_stock(rules, stock)
    if not counted:
        assert result.code is AvailabilityCode.IN_STOCK
    elif not stock.track_inventory:
        if stock.status is IN:
            expected = AvailabilityCode.IN_STOCK
        elif effective.backorders.allowed:
            expected = AvailabilityCode.BACKORDER
        else:
            expected = AvailabilityCode.UNAVAILABLE
        assert result.code is expected
    else:
        salable = salable_quantity(
            stock.quantity, effective.backorders, effective.out_of_stock_threshold
        )
        on_hand = (
            max(0, stock.quantity) if salable is None else min(max(0, stock.quantity), salable)
        )
        if on_hand > 0:
            assert result.code is AvailabilityCode.IN_STOCK
        elif salable is None or salable > 0:
            assert result.code is AvailabilityCode.BACKORDER
        else:
            assert result.code is AvailabilityCode.UNAVAILABLE
        assert result.is_purchasable == (salable is None or salable > 0)


@given(
    st.lists(st.tuples(st.integers(-5, 30), st.integers(-10, 5)), min_size=1, max_size=4),
    st.integers(1, 60),
    st.booleans(),
)
def test_a_configuration_split_adds_up_and_ships_only_whole_items(
    parts: list[tuple[int, int]], quantity: int, allow: bool
) -> None:
    rules = settings(backorder=allow)
    availabilities = [
        option_availability(rules, tracked(q, out_of_stock_threshold=t)) for q, t in parts
    ]
    line = split_line(availabilities, quantity)
    assert line.in_stock + line.backordered == quantity
    assert line.in_stock == min(s.in_stock for s in line.options)
    for split in line.options:
        assert split.quantity == quantity


# Adding more than is in stock (seed 001). ---------------------------------------------------


def test_adding_more_than_in_stock_asks_when_custom_backordering_is_on() -> None:
    rules = settings(allow_custom_backordering=True)
    parts = [option_availability(rules, tracked(5)), option_availability(rules, tracked(8))]
    decision = decide_add(rules, parts, 10)
    assert decision.outcome is AddOutcome.ASK
    assert (decision.split.in_stock, decision.split.backordered) == (5, 5)
    assert decision.bottleneck == 0


def test_without_custom_backordering_it_adds_and_splits() -> None:
    rules = settings()
    parts = [option_availability(rules, tracked(5))]
    decision = decide_add(rules, parts, 10)
    assert decision.outcome is AddOutcome.ADD
    assert (decision.split.in_stock, decision.split.backordered) == (5, 5)


def test_more_than_salable_is_refused_with_what_can_still_be_bought() -> None:
    rules = settings(out_of_stock_threshold=-5)
    parts = [option_availability(rules, tracked(3))]
    decision = decide_add(rules, parts, 9, taken=[1])
    assert decision.outcome is AddOutcome.REFUSE
    assert decision.limit == 7  # 3 on hand + 5 backorders - 1 already in the cart
    assert decide_add(rules, parts, 7, taken=[1]).outcome is AddOutcome.ADD


def test_silent_backorders_do_not_ask() -> None:
    rules = replace(settings(allow_custom_backordering=True), backorders=ALLOW)
    parts = [option_availability(rules, tracked(2))]
    assert decide_add(rules, parts, 5).outcome is AddOutcome.ADD


def test_the_question_is_the_seeds() -> None:
    assert backorder_question("Carbon Deep (Wheels)", 5, 10) == (
        "There are only 5 of Carbon Deep (Wheels) in stock, and you have added 10, "
        "do you want to back order the other 5?"
    )
    assert "back order all 4" in backorder_question("X", 0, 4)


@given(
    st.lists(st.tuples(st.integers(-5, 30), st.integers(-10, 5)), min_size=1, max_size=4),
    st.integers(1, 60),
    st.booleans(),
    st.booleans(),
)
def test_a_decision_never_adds_more_than_can_be_sold(
    parts: list[tuple[int, int]], quantity: int, allow: bool, ask: bool
) -> None:
    rules = settings(backorder=allow, allow_custom_backordering=ask)
    availabilities = [
        option_availability(rules, tracked(q, out_of_stock_threshold=t)) for q, t in parts
    ]
    decision = decide_add(rules, availabilities, quantity)
    if decision.outcome is not AddOutcome.REFUSE:
        assert all(a.can_buy(quantity) for a in availabilities)
    else:
        assert decision.limit is not None and decision.limit < quantity
        assert all(a.can_buy(decision.limit) for a in availabilities) or decision.limit == 0


def test_only_x_left_is_never_said_of_an_option_already_on_backorder() -> None:
    silent = replace(settings(only_x_left_threshold=5), backorders=ALLOW)
    result = option_availability(silent, tracked(0, out_of_stock_threshold=-3))
    assert result.is_backorder
    assert result.only_left is None
    assert result.notice == ""


@pytest.mark.parametrize(
    ("in_stock", "backordered", "said"),
    [
        (0, 1, "Backordered: ships once restocked."),
        (0, 5, "All 5 backordered: they ship once restocked."),
        (3, 2, "3 ship now, 2 once restocked."),
        (1, 4, "1 ships now, 4 once restocked."),
        (4, 0, ""),
    ],
)
def test_a_split_says_what_ships_now_and_what_once_restocked(
    in_stock: int, backordered: int, said: str
) -> None:
    """Found failing: "0 in stock, 1 backordered" on a cart line."""
    assert split_summary(Split(in_stock, backordered)) == said


def test_the_question_heading_never_says_some_is_in_stock_when_none_is() -> None:
    assert stock_heading(0, 10) == "None in stock right now"
    assert stock_heading(5, 10) == "Only 5 of 10 in stock"


def test_a_backorder_notice_carries_the_options_delivery_timeframe() -> None:
    settings = StockSettings(stock_management=True, backorders=Backorders.ALLOW_AND_NOTIFY)
    out = OptionStock(
        enabled=True, status=StockStatus.OUT_OF_STOCK, restock_timeframe="ships in 2-3 weeks"
    )
    availability = option_availability(settings, out)
    assert availability.notice == "Available on Backorder - ships in 2-3 weeks"
    assert availability.cart_label == "(Available Backorder) - ships in 2-3 weeks"
    assert option_availability(settings, replace(out, restock_timeframe=None)).notice == (
        "Available on Backorder"
    )
    silent = replace(settings, backorders=Backorders.ALLOW)
    assert option_availability(silent, out).notice == ""
    assert option_availability(silent, out).timeframe_told is None
    refused = replace(settings, backorders=Backorders.NO)
    assert option_availability(refused, out).notice == "Out of Stock"
    assert backorder_label(None) == "(Available Backorder)"
