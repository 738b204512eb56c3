"""The charge policy's rule: which units of a cart line are charged now and which move to the
Pending order (seed 001), from the cart's own split."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.availability import (
    Backorders,
    LineSplit,
    OptionStock,
    Split,
    StockSettings,
    option_availability,
)
from configurator.core.charging import (
    DEFAULT_CHARGE_POLICY,
    ChargePolicy,
    ChargePolicyError,
    charge_split,
    line_reason,
    parse_charge_policy,
    stored_charge_policy,
)
from configurator.core.checkout import CartLineIn, plan_cart
from configurator.core.configuration import resolve
from configurator.core.promises import Delivery
from tests.unit.specs import tracked_bike

NOW = ChargePolicy.CHARGE_NOW
ON_RESTOCK = ChargePolicy.CHARGE_ON_RESTOCK


def units(split: LineSplit | None) -> tuple[int, int, tuple[tuple[int, int], ...]] | None:
    if split is None:
        return None
    return (
        split.in_stock,
        split.backordered,
        tuple((o.in_stock, o.backordered) for o in split.options),
    )


def test_charge_now_is_the_default_and_charges_the_whole_line() -> None:
    assert DEFAULT_CHARGE_POLICY is NOW
    split = LineSplit(3, 2, (Split(3, 2), Split(5, 0)))
    charge = charge_split(NOW, split)
    assert charge.now == split and charge.later is None and charge.charged_later == 0
    assert line_reason(charge, 5) == ""


def test_a_line_with_nothing_backordered_is_charged_now_under_either_policy() -> None:
    split = LineSplit(4, 0, (Split(4, 0),))
    assert charge_split(ON_RESTOCK, split).now == split
    assert charge_split(ON_RESTOCK, split).later is None


def test_a_wholly_backordered_line_moves_to_the_pending_order() -> None:
    charge = charge_split(ON_RESTOCK, LineSplit(0, 2, (Split(0, 2), Split(2, 0))))
    assert charge.now is None
    assert units(charge.later) == (0, 2, ((0, 2), (2, 0)))
    assert charge.charged_later == 2
    assert line_reason(charge, 2).startswith("Not charged now: backordered")


def test_a_split_line_charges_the_in_stock_items_and_defers_the_backordered_ones() -> None:
    """The quantity question's line: 3 of 5 in stock. The wheels (the bottleneck) have 3, the
    frame has 4: the pending order's 2 items wait for 2 wheels, 1 of their frames is on hand."""
    charge = charge_split(ON_RESTOCK, LineSplit(3, 2, (Split(3, 2), Split(4, 1))))
    assert units(charge.now) == (3, 0, ((3, 0), (3, 0)))
    assert units(charge.later) == (0, 2, ((0, 2), (1, 1)))
    assert line_reason(charge, 5) == (
        "2 of 5 are backordered: they are charged when they ship, not now "
        "(they move to your Pending order)."
    )


@given(
    quantity=st.integers(1, 99),
    stocks=st.lists(st.integers(0, 120), min_size=1, max_size=5),
)
def test_the_two_parts_add_up_to_the_line(quantity: int, stocks: list[int]) -> None:
    options = tuple(Split(min(s, quantity), quantity - min(s, quantity)) for s in stocks)
    in_stock = min(o.in_stock for o in options)
    split = LineSplit(in_stock, quantity - in_stock, options)
    charge = charge_split(ON_RESTOCK, split)
    now_units = charge.now.in_stock if charge.now else 0
    assert now_units + charge.charged_later == quantity
    assert charge.charged_later == split.backordered
    if charge.now:
        assert charge.now.backordered == 0
    if charge.later:
        assert charge.later.in_stock == 0
        assert [o.backordered for o in charge.later.options] == [o.backordered for o in options]
        assert all(o.quantity == charge.charged_later for o in charge.later.options)


def test_with_the_cart_plan_only_the_backordered_units_of_an_option_are_deferred() -> None:
    """3 wheels on hand, backorders allowed: 5 wanted split 3 now, 2 to the Pending order."""
    wheels = resolve(tracked_bike(3, 10, backorders=Backorders.ALLOW_AND_NOTIFY), {})
    plan = plan_cart([CartLineIn(1, 5, False, wheels)])[1]
    charge = charge_split(ON_RESTOCK, plan.split)
    assert charge.now is not None and charge.now.in_stock == 3
    assert charge.charged_later == 2


def test_the_setting_accepts_only_the_offered_policies() -> None:
    assert parse_charge_policy("charge_on_restock") is ON_RESTOCK
    assert parse_charge_policy(" charge_now ") is NOW
    with pytest.raises(ChargePolicyError, match='Choose "Charge now" or "Charge on restock"'):
        parse_charge_policy("charge_later")
    assert stored_charge_policy(None) is NOW
    assert stored_charge_policy("nonsense") is NOW
    assert stored_charge_policy("charge_on_restock") is ON_RESTOCK


def test_the_pending_part_keeps_the_units_ahead_of_it_on_earlier_lines() -> None:
    """Two lines of 2 items share wheels that are all backordered: the second line's wheels
    queue behind the first line's 2, on the Pending order as in the cart, so a delivery of 2
    then one of 5 promises the second line the later date."""
    jan_14, feb_2 = date(2027, 1, 14), date(2027, 2, 2)
    settings = StockSettings(stock_management=True, backorders=Backorders.ALLOW_AND_NOTIFY)
    wheels = option_availability(
        settings,
        OptionStock(
            enabled=True,
            track_inventory=True,
            quantity=0,
            incoming=(Delivery(jan_14, 2), Delivery(feb_2, 5)),
            today=date(2026, 12, 1),
        ),
    )
    first = LineSplit(0, 2, (wheels.split(2),))
    second = LineSplit(0, 2, (wheels.split(2, already_taken=2),))
    dates = []
    for line in (first, second):
        pending = charge_split(ON_RESTOCK, line).later
        assert pending is not None and pending.options == line.options
        [option] = pending.options
        dates.append(wheels.promised_date(option.backordered, ahead=option.ahead))
    assert dates == [jan_14, feb_2]


def test_a_silent_backorder_is_charged_now_and_never_moves_to_the_pending_order() -> None:
    """ "Allow backorders" without notifying the customer: a Pending order would tell them."""
    silent = LineSplit(0, 2, (Split(0, 2), Split(2, 0)))
    charge = charge_split(ON_RESTOCK, silent, [False, True])
    assert charge.now == silent and charge.later is None
    assert line_reason(charge, 2) == ""
    # A line waiting for a told option (1 of 3 on hand) and a silent one (none on hand): the 2
    # items waiting for the told option move, their silent units queue behind the one kept.
    charge = charge_split(ON_RESTOCK, LineSplit(0, 3, (Split(1, 2), Split(0, 3))), [True, False])
    assert units(charge.now) == (0, 1, ((1, 0), (0, 1)))
    assert units(charge.later) == (0, 2, ((0, 2), (0, 2)))
    assert charge.later is not None and [o.ahead for o in charge.later.options] == [0, 1]
    assert line_reason(charge, 3).startswith("2 of 3 are backordered")
