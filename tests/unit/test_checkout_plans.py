"""The cart's and checkout's plans: what each line ships now, what is refused, what to take."""

from dataclasses import dataclass

from configurator.core.availability import Backorders
from configurator.core.checkout import (
    CART_EMPTY,
    CART_NEEDS_ATTENTION,
    CartLineIn,
    LinePlan,
    plan_cart,
    plan_checkout,
    stock_demand,
)
from configurator.core.configuration import Configuration, resolve
from tests.unit.specs import bike, tracked_bike

NOTIFY = Backorders.ALLOW_AND_NOTIFY


def build(wheels: int, frame: int, backorders: Backorders = Backorders.NO) -> Configuration:
    return resolve(tracked_bike(wheels, frame, backorders=backorders), {})


def splits(plans: dict[int, LinePlan]) -> dict[int, tuple[int, int]]:
    return {i: (p.split.in_stock, p.split.backordered) for i, p in plans.items()}


def test_lines_of_the_same_option_share_its_stock_in_cart_order() -> None:
    wheels = build(3, 10, backorders=NOTIFY)
    plans = plan_cart([CartLineIn(1, 2, False, wheels), CartLineIn(2, 2, False, wheels)])
    assert splits(plans) == {1: (2, 0), 2: (1, 1)}
    assert all(not plan.problems for plan in plans.values())


def test_ordinary_lines_have_first_claim_on_stock_before_back_ordered_lines() -> None:
    wheels = build(3, 10, backorders=NOTIFY)
    plans = plan_cart([CartLineIn(1, 2, True, wheels), CartLineIn(2, 2, False, wheels)])
    assert splits(plans) == {1: (1, 1), 2: (2, 0)}


def test_a_cart_asking_for_more_than_can_be_sold_says_so_on_each_line() -> None:
    wheels = build(3, 10)
    plans = plan_cart([CartLineIn(1, 2, False, wheels), CartLineIn(2, 2, False, wheels)])
    said = "Only 3 of Option 11 (Wheels) can be ordered, and your cart has 4. Lower the quantity."
    assert plans[1].problems == plans[2].problems == (said,)


def test_only_tracked_options_are_taken_from_stock() -> None:
    tracked = build(3, 10)
    untracked = resolve(bike(), {})
    assert stock_demand([(tracked, 2), (tracked, 1), (untracked, 5)]) == {11: 3, 21: 3}


@dataclass(frozen=True)
class Item:
    configuration: Configuration | None
    quantity: int
    problems: tuple[str, ...] = ()


def test_checkout_refuses_an_empty_cart_or_one_with_problems() -> None:
    assert plan_checkout([]).refusal == CART_EMPTY
    refused = plan_checkout([Item(build(3, 10), 1), Item(None, 1, ("No longer sold.",))])
    assert refused.refusal == CART_NEEDS_ATTENTION
    assert refused.demand == {}


def test_checkout_takes_the_tracked_units_down_to_each_options_floor() -> None:
    plan = plan_checkout([Item(build(3, 10), 2), Item(build(3, 10), 1)])
    assert plan.refusal == ""
    assert plan.demand == {11: 3, 21: 3}
    assert plan.floors == {11: 0, 21: 0}  # without backorders nothing is sold below zero
    assert plan.seen == {11: 3, 21: 10}
    backordering = plan_checkout([Item(build(3, 10, backorders=NOTIFY), 5)])
    assert backordering.floors == {11: None, 21: None}  # backorders without a cap


def test_lines_are_split_again_only_when_another_order_took_stock_first() -> None:
    configuration = build(3, 10, backorders=NOTIFY)
    plan = plan_checkout([Item(configuration, 3)])
    assert plan.specs_as_taken({11: 3, 21: 10}) == {}
    exact = plan.specs_as_taken({11: 1, 21: 10})
    spec = exact[1]
    assert spec is not None
    again = resolve(spec, configuration.selection)
    assert (again.split(3).in_stock, again.split(3).backordered) == (1, 2)


def test_a_sold_out_option_is_named() -> None:
    plan = plan_checkout([Item(build(3, 10), 1)])
    assert plan.sold_out(21) == (
        "Option 21 (Frame) sold out while you were checking out; nothing was ordered."
    )
    assert plan.sold_out(999).startswith("An option sold out")
