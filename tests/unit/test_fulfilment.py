"""What an order says about shipping: what ships now, what once restocked, or nothing at all."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from configurator.core.fulfilment import LineSnapshot, cancellation, in_words, shipping_summary

SNEAKERS = LineSnapshot("Court Sneaker", quantity=2, quantity_in_stock=2)
BIKES_WAITING = LineSnapshot(
    "Aero Road Bike", quantity=2, quantity_in_stock=0, backordered_options=("Wheels: Carbon Deep",)
)


def test_nothing_backordered_everything_ships_now() -> None:
    summary = shipping_summary([SNEAKERS])

    assert summary.headline == "Everything in this order is in stock and ships now."
    assert not summary.waits
    assert summary.ships_later == ()


def test_some_lines_ship_now_and_the_others_name_what_they_wait_for() -> None:
    summary = shipping_summary([SNEAKERS, BIKES_WAITING])

    assert summary.headline == "Part of this order ships now; the rest ships once restocked."
    assert summary.waits
    assert summary.now_heading == "Ships now"
    assert summary.ships_now == ("Court Sneaker \N{MULTIPLICATION SIGN} 2",)
    assert summary.later_heading == "Ships once restocked"
    assert summary.ships_later == (
        "Aero Road Bike \N{MULTIPLICATION SIGN} 2, waiting for Wheels: Carbon Deep",
    )


def test_a_line_split_by_stock_ships_its_whole_items_now_and_the_rest_later() -> None:
    line = LineSnapshot(
        "Aero Road Bike",
        quantity=3,
        quantity_in_stock=1,
        backordered_options=("Wheels: Gravel Tan", "Saddle: Honey Leather"),
    )

    summary = shipping_summary([line])

    assert summary.ships_now == ("Aero Road Bike \N{MULTIPLICATION SIGN} 1",)
    assert summary.ships_later == (
        "Aero Road Bike \N{MULTIPLICATION SIGN} 2, waiting for Wheels: Gravel Tan"
        " and Saddle: Honey Leather",
    )


def test_everything_backordered_says_none_of_it_ships_now() -> None:
    summary = shipping_summary([BIKES_WAITING])

    assert summary.headline == (
        "Nothing in this order is in stock yet: all of it ships once restocked."
    )
    assert summary.ships_now == ()
    assert "ships now" not in " ".join(summary.ships_later)


def test_a_silent_backorder_is_not_told_to_the_customer_and_promises_nothing() -> None:
    silent = LineSnapshot("Aero Road Bike", quantity=3, quantity_in_stock=2, silent=True)

    summary = shipping_summary([SNEAKERS, silent])

    assert summary.headline == "We will ship your order as soon as it is ready."
    assert summary.ships_now == summary.ships_later == ()
    told = shipping_summary([SNEAKERS, silent, BIKES_WAITING])
    assert all(
        "Aero Road Bike \N{MULTIPLICATION SIGN} 3" not in item
        for item in told.ships_now + told.ships_later
    )
    assert told.ships_now == ("Court Sneaker \N{MULTIPLICATION SIGN} 2",)


def test_the_merchant_is_told_what_to_ship_and_what_to_hold() -> None:
    assert shipping_summary([SNEAKERS], merchant=True).headline == (
        "Everything is in stock: ship the whole order now."
    )
    mixed = shipping_summary([SNEAKERS, BIKES_WAITING], merchant=True)
    assert mixed.headline == "Ship part of this order now and hold the rest until it is restocked."
    assert (mixed.now_heading, mixed.later_heading) == ("Ship now", "Hold until restocked")
    assert shipping_summary([BIKES_WAITING], merchant=True).headline == (
        "Nothing can ship yet: hold the whole order until it is restocked."
    )


@given(
    st.lists(
        st.tuples(st.integers(1, 99), st.integers(0, 99), st.booleans()), min_size=1, max_size=5
    )
)
def test_every_item_is_either_shipping_now_or_waiting(rows: list[tuple[int, int, bool]]) -> None:
    lines = [
        LineSnapshot(
            f"Product {i}",
            quantity=q,
            quantity_in_stock=min(q, s),
            backordered_options=("Layer: Option",) if told and s < q else (),
            silent=not told and s < q,
        )
        for i, (q, s, told) in enumerate(rows)
    ]

    summary = shipping_summary(lines, merchant=True)

    counted = sum(
        int(item.split(" \N{MULTIPLICATION SIGN} ")[1].split(",")[0]) for item in summary.ships_now
    )
    counted += sum(
        int(item.split(" \N{MULTIPLICATION SIGN} ")[1].split(",")[0])
        for item in summary.ships_later
    )
    assert counted == sum(line.quantity for line in lines)
    assert summary.waits == any(line.quantity_in_stock < line.quantity for line in lines)


def test_times_are_said_in_words_in_utc() -> None:
    assert (
        in_words(datetime(2026, 12, 1, 14, 32, tzinfo=UTC))
        == "Tuesday 1 December 2026 at 14:32 UTC"
    )
    assert in_words(datetime(2026, 12, 1, 14, 32)) == "Tuesday 1 December 2026 at 14:32 UTC"
    paris = timezone(timedelta(hours=1))
    assert in_words(datetime(2027, 1, 1, 0, 5, tzinfo=paris)) == (
        "Thursday 31 December 2026 at 23:05 UTC"
    )


def test_a_cancelled_order_says_when_and_that_nothing_ships() -> None:
    notice = cancellation("CFG-ABCD2345", datetime(2026, 12, 1, 14, 32, 9))

    assert notice.title == "Order CFG-ABCD2345 was cancelled"
    assert notice.when == "Tuesday 1 December 2026 at 14:32 UTC"
    assert notice.iso == "2026-12-01T14:32+00:00"
    assert notice.message == "Nothing from this order will ship."
    merchant = cancellation("CFG-ABCD2345", None, merchant=True)
    assert (merchant.when, merchant.iso) == ("", "")
    assert merchant.message.startswith("Nothing from this order ships")
