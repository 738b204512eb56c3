"""Promised dates (`core.promises`): waiting backorders matched oldest first against expected
deliveries in date order; what a new shopper is promised; what a slip or a shrink moves."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from configurator.core.availability import (
    Backorders,
    OptionStock,
    StockSettings,
    option_availability,
)
from configurator.core.promises import (
    Delivery,
    WaitingUnits,
    consume_received,
    day_in_words,
    is_overdue,
    moved,
    moved_later,
    next_units_date,
    parse_delivery,
    promise_dates,
    ships_around,
    unit_promises,
)

TODAY = date(2026, 12, 1)
JAN_14 = date(2027, 1, 14)
FEB_1 = date(2027, 2, 1)

days = st.integers(min_value=0, max_value=60).map(lambda n: TODAY + timedelta(days=n))
deliveries_st = st.lists(
    st.builds(Delivery, days, st.integers(min_value=0, max_value=6), st.integers(0, 10_000)),
    max_size=6,
    unique_by=lambda d: d.key,
)
waiting_st = st.lists(st.integers(min_value=0, max_value=5), max_size=8).map(
    lambda units: [WaitingUnits(key, n) for key, n in enumerate(units)]
)


def later_or_equal(before: date | None, after: date | None) -> bool:
    """None (no date: beyond every delivery) is later than any date."""
    if before is None:
        return after is None
    return after is None or after >= before


# Examples -----------------------------------------------------------------------------------


def test_units_are_matched_oldest_first_to_deliveries_in_date_order() -> None:
    waiting = [WaitingUnits(1, 2), WaitingUnits(2, 3), WaitingUnits(3, 1)]
    deliveries = [Delivery(FEB_1, 10, key=8), Delivery(JAN_14, 3, key=9)]

    assert promise_dates(waiting, deliveries) == {1: JAN_14, 2: FEB_1, 3: FEB_1}
    assert [d for _key, d in unit_promises(waiting, deliveries)] == [
        JAN_14,
        JAN_14,
        JAN_14,
        FEB_1,
        FEB_1,
        FEB_1,
    ]


def test_units_beyond_every_delivery_get_no_date() -> None:
    waiting = [WaitingUnits(1, 2), WaitingUnits(2, 2)]
    assert promise_dates(waiting, [Delivery(JAN_14, 3)]) == {1: JAN_14, 2: None}
    assert promise_dates(waiting, []) == {1: None, 2: None}


def test_the_next_shopper_queues_behind_every_waiting_unit() -> None:
    deliveries = [Delivery(JAN_14, 3), Delivery(FEB_1, 2)]
    assert next_units_date(0, 1, deliveries) == JAN_14
    assert next_units_date(2, 1, deliveries) == JAN_14
    assert next_units_date(2, 2, deliveries) == FEB_1  # the second unit comes in February
    assert next_units_date(4, 1, deliveries) == FEB_1
    assert next_units_date(5, 1, deliveries) is None
    assert next_units_date(0, 0, deliveries) is None


def test_dates_are_said_like_14_january_with_the_year_only_when_it_is_another() -> None:
    assert ships_around(JAN_14, TODAY) == "ships around 14 January 2027"
    assert ships_around(JAN_14, date(2027, 1, 2)) == "ships around 14 January"
    assert day_in_words(date(2026, 12, 24), TODAY) == "24 December"


def test_a_slip_is_told_and_an_earlier_date_is_only_stored() -> None:
    before = {1: JAN_14, 2: None, 3: JAN_14}
    after = {1: FEB_1, 2: JAN_14, 3: JAN_14}
    assert moved(before, after) == {1: FEB_1, 2: JAN_14}
    assert moved_later(before, after) == {1: FEB_1}
    assert moved_later({1: JAN_14}, {1: None}) == {1: None}


def test_receiving_counts_against_the_earliest_delivery_first() -> None:
    deliveries = [Delivery(FEB_1, 4, key=2), Delivery(JAN_14, 3, key=1)]
    assert consume_received(2, deliveries) == {1: 1, 2: 4}
    assert consume_received(5, deliveries) == {1: 0, 2: 2}
    assert consume_received(50, deliveries) == {1: 0, 2: 0}


def test_the_delivery_form_is_checked() -> None:
    ok, errors = parse_delivery({"expected_on": "2027-01-14", "expected_quantity": "20"}, TODAY)
    assert errors == {} and ok is not None
    assert (ok.expected_on, ok.quantity) == (JAN_14, 20)
    _, errors = parse_delivery({"expected_on": "2026-11-30", "expected_quantity": "1"}, TODAY)
    assert "in the past" in errors["expected_on"]
    # An edited delivery may keep a date that has passed; it may not move to another one.
    kept, errors = parse_delivery(
        {"expected_on": "2026-11-30", "expected_quantity": "1"},
        TODAY,
        current=date(2026, 11, 30),
    )
    assert errors == {} and kept is not None
    for bad in ("0", "-1", "1.5", "", "x", "1" * 10):
        _, errors = parse_delivery({"expected_on": "2027-01-14", "expected_quantity": bad}, TODAY)
        assert "expected_quantity" in errors, bad


def test_a_backordered_option_promises_the_delivery_that_covers_the_next_unit() -> None:
    settings = StockSettings(stock_management=True, backorders=Backorders.ALLOW_AND_NOTIFY)

    def stock(quantity: int, *incoming: Delivery, today: date = TODAY) -> OptionStock:
        return OptionStock(
            enabled=True,
            track_inventory=True,
            quantity=quantity,
            restock_timeframe="ships in 2-3 weeks",
            incoming=incoming,
            today=today,
        )

    covered = option_availability(settings, stock(-2, Delivery(JAN_14, 3)))
    assert covered.notice == "Available on Backorder - ships around 14 January 2027"
    assert covered.cart_label == "(Available Backorder) - ships around 14 January 2027"
    assert covered.cart_label_for(2) == "(Available Backorder) - ships in 2-3 weeks"
    # Three units already wait for the three coming: the timeframe applies to the next.
    beyond = option_availability(settings, stock(-3, Delivery(JAN_14, 3)))
    assert beyond.notice == "Available on Backorder - ships in 2-3 weeks"
    # A delivery whose date has passed promises nothing new.
    overdue = option_availability(settings, stock(0, Delivery(JAN_14, 3), today=FEB_1))
    assert overdue.notice == "Available on Backorder - ships in 2-3 weeks"
    # In stock: nothing is said about deliveries.
    assert option_availability(settings, stock(5, Delivery(JAN_14, 3))).notice == ""
    # A silent backorder stays silent.
    silent = StockSettings(stock_management=True, backorders=Backorders.ALLOW)
    assert option_availability(silent, stock(0, Delivery(JAN_14, 3))).notice == ""


def test_the_backordered_units_of_a_line_partly_in_stock_are_promised_a_delivery() -> None:
    """3 on hand, 5 wanted: the option is In Stock, yet the 2 units beyond it wait for the
    delivery that covers them, and the line says so."""
    settings = StockSettings(stock_management=True, backorders=Backorders.ALLOW_AND_NOTIFY)
    stock = OptionStock(
        enabled=True,
        track_inventory=True,
        quantity=3,
        restock_timeframe="ships in 2-3 weeks",
        incoming=(Delivery(JAN_14, 2), Delivery(FEB_1, 5)),
        today=TODAY,
    )
    wheels = option_availability(settings, stock)
    split = wheels.split(5)
    assert (split.in_stock, split.backordered) == (3, 2)
    assert wheels.promised_date(split.backordered, ahead=split.ahead) == JAN_14
    assert wheels.cart_label_for(2) == "(Available Backorder) - ships around 14 January 2027"
    # A later line of the same option queues behind those 2: the next delivery.
    later = wheels.split(1, already_taken=5)
    assert wheels.promised_date(later.backordered, ahead=later.ahead) == FEB_1
    assert wheels.notice == ""  # nothing is said about deliveries while it is in stock


# Properties ---------------------------------------------------------------------------------


@given(waiting_st, deliveries_st)
def test_no_unit_is_promised_twice_and_never_more_than_is_coming(
    waiting: list[WaitingUnits], deliveries: list[Delivery]
) -> None:
    units = unit_promises(waiting, deliveries)
    assert len(units) == sum(w.units for w in waiting)
    for delivery in deliveries:
        taken = sum(1 for _key, d in units if d == delivery.expected_on)
        coming = sum(d.quantity for d in deliveries if d.expected_on == delivery.expected_on)
        assert taken <= coming
    assert sum(1 for _key, d in units if d is not None) <= sum(d.quantity for d in deliveries)


@given(waiting_st, deliveries_st)
def test_a_date_is_never_earlier_than_the_delivery_that_covers_it(
    waiting: list[WaitingUnits], deliveries: list[Delivery]
) -> None:
    units = unit_promises(waiting, deliveries)
    dates = sorted(d.expected_on for d in deliveries for _ in range(d.quantity))
    for index, (_key, day) in enumerate(units):
        covering = dates[index] if index < len(dates) else None
        assert day == covering
    lines = promise_dates(waiting, deliveries)
    for key, day in lines.items():
        own = [d for k, d in units if k == key]
        if day is not None:
            assert all(d is not None and d <= day for d in own)
        else:
            assert None in own


@given(waiting_st, deliveries_st)
def test_older_lines_never_get_a_later_date_than_newer_ones(
    waiting: list[WaitingUnits], deliveries: list[Delivery]
) -> None:
    promised = promise_dates(waiting, deliveries)
    ordered = [promised[w.key] for w in waiting if w.units > 0]
    for older, newer in pairwise(ordered):
        assert later_or_equal(older, newer)


@given(
    waiting_st,
    deliveries_st.filter(bool),
    st.data(),
)
def test_a_slip_or_a_shrink_only_moves_dates_later(
    waiting: list[WaitingUnits], deliveries: list[Delivery], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(deliveries) - 1))
    target = deliveries[index]
    change = data.draw(st.sampled_from(["slip", "shrink", "cancel"]))
    if change == "slip":
        changed = Delivery(
            target.expected_on + timedelta(days=data.draw(st.integers(1, 30))),
            target.quantity,
            target.key,
        )
        after_deliveries = [*deliveries[:index], changed, *deliveries[index + 1 :]]
    elif change == "shrink":
        changed = Delivery(
            target.expected_on, data.draw(st.integers(0, target.quantity)), target.key
        )
        after_deliveries = [*deliveries[:index], changed, *deliveries[index + 1 :]]
    else:
        after_deliveries = [*deliveries[:index], *deliveries[index + 1 :]]

    before = promise_dates(waiting, deliveries)
    after = promise_dates(waiting, after_deliveries)

    assert before.keys() == after.keys()
    for key in before:
        assert later_or_equal(before[key], after[key])
    # Exactly the lines whose date moved are told, and none is told of an earlier date.
    assert moved_later(before, after) == moved(before, after)


@given(waiting_st, deliveries_st, st.integers(0, 20))
def test_receiving_what_was_expected_keeps_the_rest_of_the_queue_on_its_dates(
    waiting: list[WaitingUnits], deliveries: list[Delivery], received: int
) -> None:
    """Receive stock fills the oldest units and counts against the earliest deliveries: every
    unit still waiting keeps the date it had."""
    units = unit_promises(waiting, deliveries)
    received = min(received, len(units))
    remaining = consume_received(received, deliveries)
    left = [Delivery(d.expected_on, remaining.get(d.key, d.quantity), d.key) for d in deliveries]
    still_waiting = [WaitingUnits(i, 1) for i in range(len(units) - received)]
    assert [d for _k, d in unit_promises(still_waiting, left)] == [d for _k, d in units[received:]]


def test_a_delivery_is_overdue_only_once_its_day_has_passed() -> None:
    today = date(2026, 12, 1)
    assert is_overdue(date(2026, 11, 30), today)
    assert not is_overdue(today, today)  # due today still promises
    assert not is_overdue(date(2026, 12, 2), today)
    assert not is_overdue(date(2026, 11, 30), None)
