"""Where an order stands between checkout and shipment, and where a restock's units go."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from configurator.core.fulfilment import (
    Fulfilment,
    LineProgress,
    WaitingLine,
    age_in_words,
    line_fulfilment,
    oldest_first,
    order_fulfilment,
    plan_allocation,
)

MONDAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_an_order_with_nothing_backordered_is_ready_to_ship() -> None:
    assert order_fulfilment([LineProgress(2), LineProgress(1)]) is Fulfilment.READY_TO_SHIP


def test_an_order_whose_only_line_waits_is_awaiting_stock() -> None:
    assert order_fulfilment([LineProgress(2, waiting_by_option=(2,))]) is Fulfilment.AWAITING_STOCK


def test_some_items_ready_and_some_waiting_is_partly_ready() -> None:
    lines = [LineProgress(1), LineProgress(3, waiting_by_option=(2, 0))]
    assert order_fulfilment(lines) is Fulfilment.PARTLY_READY
    assert line_fulfilment(lines[1]) is Fulfilment.PARTLY_READY
    assert line_fulfilment(lines[0]) is Fulfilment.READY_TO_SHIP


def test_an_item_ships_whole_so_the_option_that_waits_most_decides() -> None:
    line = LineProgress(4, waiting_by_option=(1, 3))
    assert (line.waiting, line.ready) == (3, 1)


def test_once_every_waiting_unit_is_allocated_the_order_is_ready_to_ship() -> None:
    assert order_fulfilment([LineProgress(2, waiting_by_option=(0,))]) is Fulfilment.READY_TO_SHIP


def test_shipping_the_ready_part_leaves_the_rest_awaiting_stock() -> None:
    lines = [LineProgress(1, shipped=1), LineProgress(2, waiting_by_option=(2,))]
    assert order_fulfilment(lines) is Fulfilment.AWAITING_STOCK


def test_everything_shipped_is_shipped_and_cancelled_wins_over_all() -> None:
    lines = [LineProgress(2, shipped=2), LineProgress(1, shipped=1)]
    assert order_fulfilment(lines) is Fulfilment.SHIPPED
    assert order_fulfilment(lines, cancelled=True) is Fulfilment.CANCELLED


def test_labels_are_the_merchants_words() -> None:
    assert [status.label for status in Fulfilment] == [
        "Awaiting stock",
        "Partly ready",
        "Ready to ship",
        "Shipped",
        "Cancelled",
    ]


def waiting(key: int, hours_ago: int, units: int, order_id: int | None = None) -> WaitingLine:
    return WaitingLine(
        key=key,
        order_id=order_id if order_id is not None else key,
        placed=MONDAY - timedelta(hours=hours_ago),
        position=0,
        waiting=units,
    )


def test_a_restock_fills_the_oldest_waiting_line_first() -> None:
    newer, older = waiting(1, hours_ago=1, units=1), waiting(2, hours_ago=5, units=1)

    plan = plan_allocation(1, [newer, older])

    assert [(a.key, a.units) for a in plan.allocations] == [(2, 1)]
    assert plan.leftover == 0


def test_what_no_line_waits_for_is_left_over_as_salable() -> None:
    plan = plan_allocation(10, [waiting(1, 2, 3), waiting(2, 1, 2)])

    assert [(a.key, a.units) for a in plan.allocations] == [(1, 3), (2, 2)]
    assert (plan.allocated, plan.leftover) == (5, 5)


def test_nothing_received_allocates_nothing() -> None:
    assert plan_allocation(0, [waiting(1, 1, 1)]).allocations == ()
    assert plan_allocation(-3, [waiting(1, 1, 1)]).leftover == 0


def test_within_one_order_lines_go_in_their_order() -> None:
    first = WaitingLine(7, 1, MONDAY, position=0, waiting=1)
    second = WaitingLine(3, 1, MONDAY, position=1, waiting=1)
    assert oldest_first([second, first]) == [first, second]


def test_age_in_words() -> None:
    assert age_in_words(MONDAY, MONDAY + timedelta(seconds=30)) == "just now"
    assert age_in_words(MONDAY, MONDAY + timedelta(minutes=1)) == "1 minute"
    assert age_in_words(MONDAY, MONDAY + timedelta(hours=5, minutes=3)) == "5 hours"
    assert age_in_words(MONDAY.replace(tzinfo=None), MONDAY + timedelta(days=3)) == "3 days"


waiting_lines = st.lists(
    st.builds(
        WaitingLine,
        key=st.integers(1, 40),
        order_id=st.integers(1, 10),
        placed=st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
        ),
        position=st.integers(0, 3),
        waiting=st.integers(-2, 6),
    ),
    max_size=12,
    unique_by=lambda line: line.key,
)


@given(st.integers(-5, 60), waiting_lines)
def test_a_restock_never_allocates_more_than_received_nor_a_line_twice(
    received: int, lines: list[WaitingLine]
) -> None:
    plan = plan_allocation(received, lines)
    keys = [a.key for a in plan.allocations]

    assert plan.allocated + plan.leftover == max(0, received)
    assert len(keys) == len(set(keys))
    assert all(a.units > 0 for a in plan.allocations)
    first_of: dict[int, WaitingLine] = {}
    for line in oldest_first(lines):
        first_of.setdefault(line.key, line)
    for allocation in plan.allocations:
        assert allocation.units <= first_of[allocation.key].waiting


@given(st.integers(0, 60), waiting_lines)
def test_a_younger_line_gets_units_only_once_every_older_line_is_filled(
    received: int, lines: list[WaitingLine]
) -> None:
    plan = plan_allocation(received, lines)
    got = {a.key: a.units for a in plan.allocations}
    queue: list[WaitingLine] = []
    for line in oldest_first(lines):
        if line.waiting > 0 and line.key not in {q.key for q in queue}:
            queue.append(line)
    for index, line in enumerate(queue):
        if got.get(line.key, 0) and index > 0:
            for older in queue[:index]:
                assert got.get(older.key, 0) == older.waiting
    if plan.leftover:
        assert all(got.get(line.key, 0) == line.waiting for line in queue)


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 5), st.lists(st.integers(0, 5), max_size=3)),
        min_size=1,
        max_size=5,
    )
)
def test_ready_and_waiting_never_exceed_what_is_left_to_ship(
    specs: list[tuple[int, int, list[int]]],
) -> None:
    lines = [LineProgress(q, min(s, q), tuple(w)) for q, s, w in specs]
    for line in lines:
        assert line.ready + line.waiting + line.shipped == line.quantity
    status = order_fulfilment(lines)
    if status is Fulfilment.SHIPPED:
        assert all(line.shipped == line.quantity for line in lines)
    if status is Fulfilment.READY_TO_SHIP:
        assert all(line.waiting == 0 for line in lines)
