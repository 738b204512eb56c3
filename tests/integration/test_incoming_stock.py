"""Incoming stock: the merchant records expected deliveries on a tracked option's panel; the
storefront, the cart and checkout promise "ships around <date>" from them; each order keeps the
date it was promised; a delivery that slips, shrinks or is cancelled moves the waiting orders'
dates and mails each customer whose items now ship later, once per order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event, text
from sqlmodel import select

from configurator.services import stock
from configurator.store.db import new_session
from configurator.store.models import Option, utcnow
from tests.integration.conftest import (
    CUSTOMER,
    HX,
    Shop,
    add_to_cart,
    field_errors,
    post_form,
    sign_in,
)
from tests.integration.test_charge_policy import set_policy
from tests.integration.test_fulfilment import (
    BIKE,
    option_page,
    order,
    quantity,
    set_on_hand,
    status,
    stock_is_consistent,
    two_waiting_orders,
)
from tests.integration.test_order_status import text_of

Client = TestClient[Litestar]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def today() -> date:
    return utcnow().date()


def words(day: date) -> str:
    """How the shop says a day: "14 January", with the year only when it is not this one."""
    said = f"{day.day} {MONTHS[day.month - 1]}"
    return said if day.year == today().year else f"{said} {day.year}"


def add_delivery(
    client: Client,
    shop: Shop,
    option_id: int,
    day: date | str,
    units: int | str,
    htmx: bool = False,
) -> Response:
    when = day.isoformat() if isinstance(day, date) else day
    return post_form(
        client,
        f"{option_page(shop, option_id)}/deliveries",
        {"expected_on": when, "expected_quantity": units},
        htmx=htmx,
    )


def deliveries(shop: Shop, option_id: int) -> list[tuple[str, int]]:
    with shop.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, expected_on, quantity FROM expected_delivery WHERE option_id = :o"
                " ORDER BY expected_on, id"
            ),
            {"o": option_id},
        ).all()
    return [(str(row[1])[:10], int(row[2])) for row in rows]


def delivery_id(shop: Shop, option_id: int, index: int = 0) -> int:
    return int(
        shop.scalar(
            "SELECT id FROM expected_delivery WHERE option_id = :o ORDER BY expected_on, id"
            " LIMIT 1 OFFSET :i",
            o=option_id,
            i=index,
        )
    )


def promised(shop: Shop, number: str) -> str | None:
    found = shop.scalar(
        "SELECT o.promised_date FROM order_line_option o"
        " JOIN order_line l ON l.id = o.order_line_id"
        " JOIN customer_order c ON c.id = l.order_id"
        " WHERE c.number = :n AND o.backordered",
        n=number,
    )
    return None if found is None else str(found)[:10]


def new_ship_date_mails(shop: Shop) -> list[tuple[str, str, str]]:
    with shop.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT order_number, subject, body FROM outbox_mail"
                " WHERE kind = 'new_ship_date' ORDER BY id"
            )
        ).all()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def gravel_page(shop: Shop, client: Client) -> str:
    ids = shop.ids(BIKE)
    return client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Gravel Tan']}").text


def gravel_fragment(shop: Shop, client: Client) -> str:
    ids = shop.ids(BIKE)
    return client.get(
        f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}", headers=HX
    ).text


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_merchant_records_changes_and_cancels_an_expected_delivery(
    shop: Shop, client: Client, htmx: bool
) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    sign_in(shop, client)
    day = today() + timedelta(days=20)
    version = shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE)

    added = add_delivery(client, shop, gravel, day, 5, htmx=htmx)

    assert added.status_code == (200 if htmx else 303)
    assert deliveries(shop, gravel) == [(day.isoformat(), 5)]
    # A delivery is catalog: the product's cached pages are drawn again.
    assert shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE) > version
    panel = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=option&item={gravel}")
    assert f'value="{day.isoformat()}"' in panel.text
    said = f"Available on Backorder - ships around {words(day)}"
    assert f"Shoppers now see: {said}" in text_of(panel.text)

    later = day + timedelta(days=7)
    changed = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{delivery_id(shop, gravel)}",
        {"expected_on": later.isoformat(), "expected_quantity": "3"},
        htmx=htmx,
    )
    assert changed.status_code == (200 if htmx else 303)
    assert deliveries(shop, gravel) == [(later.isoformat(), 3)]

    cancelled = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{delivery_id(shop, gravel)}/cancel",
        htmx=htmx,
    )
    assert cancelled.status_code == (200 if htmx else 303)
    assert deliveries(shop, gravel) == []
    if not htmx:
        assert "Expected delivery cancelled." in client.get(cancelled.headers["location"]).text


@pytest.mark.parametrize(
    ("when", "units", "field", "message"),
    [
        ("yesterday", "5", "expected_on", "The expected date is in the past"),
        ("2027-02-30", "5", "expected_on", "Enter the expected date as YYYY-MM-DD"),
        ("14/01/2027", "5", "expected_on", "Enter the expected date as YYYY-MM-DD"),
        ("", "5", "expected_on", "Enter the expected date as YYYY-MM-DD"),
        ("2099-01-01", "5", "expected_on", "more than three years ahead"),
        ("soon", "0", "expected_quantity", "Quantity must be between 1 and 1,000,000."),
        ("soon", "-3", "expected_quantity", "Quantity must be a whole number of units"),
        ("soon", "2.5", "expected_quantity", "Quantity must be a whole number of units"),
        ("soon", "", "expected_quantity", "Quantity must be a whole number of units"),
        ("soon", "٣", "expected_quantity", "Quantity must be a whole number of units"),
    ],
)
def test_a_bad_delivery_is_refused_with_the_reason_and_nothing_changes(
    shop: Shop, client: Client, when: str, units: str, field: str, message: str
) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    sign_in(shop, client)
    day = {"yesterday": today() - timedelta(days=1), "soon": today() + timedelta(days=3)}
    before = shop.snapshot()

    refused = add_delivery(client, shop, gravel, day.get(when, when), units)

    assert refused.status_code == 422
    assert message in field_errors(refused.text)[field]
    assert deliveries(shop, gravel) == []
    assert shop.snapshot() == before


def test_editing_refuses_a_new_past_date_and_deliveries_stay_with_their_option(
    shop: Shop, client: Client
) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    sign_in(shop, client)
    day = today() + timedelta(days=5)
    add_delivery(client, shop, gravel, day, 4)
    did = delivery_id(shop, gravel)

    past = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{did}",
        {"expected_on": (today() - timedelta(days=2)).isoformat(), "expected_quantity": "4"},
    )
    assert past.status_code == 422
    assert "in the past" in field_errors(past.text)[f"expected_on_{did}"]
    # Another option's address for this delivery, or an unknown one: a plain 404.
    other = shop.option_id(BIKE, "Wheels", "Road Classic")  # tracked too
    for path in (
        f"{option_page(shop, other)}/deliveries/{did}",
        f"{option_page(shop, gravel)}/deliveries/999999",
        f"{option_page(shop, gravel)}/deliveries/abc/cancel",
    ):
        response = post_form(client, path, {"expected_on": day.isoformat(), "expected_quantity": 1})
        assert response.status_code == 404, path
    # Without the CSRF token nothing happens either.
    forged = post_form(client, f"{option_page(shop, gravel)}/deliveries/{did}/cancel", token=False)
    assert forged.status_code == 403
    assert deliveries(shop, gravel) == [(day.isoformat(), 4)]


def test_an_untracked_option_takes_no_expected_delivery(shop: Shop, client: Client) -> None:
    sign_in(shop, client)
    carbon = shop.option_id(BIKE, "Wheels", "Carbon Deep")  # manual Stock Status: not tracked

    refused = add_delivery(client, shop, carbon, today() + timedelta(days=3), 2)

    assert refused.status_code == 409
    assert "does not track inventory" in refused.text
    assert deliveries(shop, carbon) == []


def test_the_notice_and_its_fragment_follow_the_deliveries(shop: Shop, client: Client) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    shop.execute(
        "UPDATE option SET restock_timeframe = 'ships in 2-3 weeks' WHERE id = :i", i=gravel
    )
    assert "Available on Backorder - ships in 2-3 weeks" in gravel_fragment(shop, client)
    sign_in(shop, client)
    day = today() + timedelta(days=9)

    add_delivery(client, shop, gravel, day, 2)

    said = f"Available on Backorder - ships around {words(day)}"
    assert f'id="notice-{gravel}">{said}</span>' in gravel_page(shop, client)
    assert said in gravel_fragment(shop, client)  # the fragment cache was not stale
    # Two orders take both units of the delivery: the next shopper is promised the timeframe.
    order(client, shop, {"Wheels": "Gravel Tan"}, quantity=2)
    fragment = gravel_fragment(shop, client)
    assert "ships around" not in fragment
    assert "Available on Backorder - ships in 2-3 weeks" in fragment
    # A later, bigger delivery covers the next unit again.
    second = today() + timedelta(days=40)
    add_delivery(client, shop, gravel, second, 10)
    assert f"ships around {words(second)}" in gravel_fragment(shop, client)


def test_checkout_promises_and_the_order_keeps_the_date(shop: Shop, client: Client) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    sign_in(shop, client)
    first, second = today() + timedelta(days=10), today() + timedelta(days=30)
    add_delivery(client, shop, gravel, first, 2)
    add_delivery(client, shop, gravel, second, 10)
    ids = shop.ids(BIKE)

    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1)
    label = f"(Available Backorder) - ships around {words(first)}"
    assert label in text_of(client.get("/cart").text)
    assert label in text_of(client.get("/checkout").text)
    older = order(client, shop, {"Wheels": "Gravel Tan"}, quantity=1)
    # The cart above still held a line: that order took 2 units, the first delivery's both.
    assert promised(shop, older) == first.isoformat()
    newer = order(client, shop, {"Wheels": "Gravel Tan"}, quantity=3)
    assert promised(shop, newer) == second.isoformat()

    page = text_of(client.get(f"/admin/orders/{newer}").text)
    assert f"(Available Backorder) - ships around {words(second)}" in page
    confirmation = shop.scalar(
        "SELECT body FROM outbox_mail WHERE kind = 'order_confirmation' AND order_number = :n",
        n=newer,
    )
    assert f"ships around {words(second)}" in confirmation


def test_a_slipped_delivery_mails_each_affected_order_once(shop: Shop, client: Client) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    soon, later = today() + timedelta(days=7), today() + timedelta(days=21)
    add_delivery(client, shop, gravel, soon, 1)
    add_delivery(client, shop, gravel, later, 5)
    # Recorded after the orders: they were promised nothing, and now get the dates (earlier
    # than "no date": stored, not mailed).
    assert (promised(shop, older), promised(shop, newer)) == (soon.isoformat(), later.isoformat())
    assert new_ship_date_mails(shop) == []
    queue = text_of(client.get("/admin/backorders").text)
    assert f"{older} Ada Lovelace 1" in queue and words(soon) in queue and words(later) in queue

    slipped = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{delivery_id(shop, gravel, 0)}",
        {"expected_on": (later + timedelta(days=14)).isoformat(), "expected_quantity": "1"},
    )

    assert slipped.status_code == 303
    assert "1 customer was emailed" in client.get(slipped.headers["location"]).text
    # The older order now takes the first unit of the later delivery; the newer keeps its date.
    assert (promised(shop, older), promised(shop, newer)) == (later.isoformat(), later.isoformat())
    mails = new_ship_date_mails(shop)
    assert [number for number, _s, _b in mails] == [older]
    assert f"now ship around {words(later)}" in mails[0][1]
    assert f"Wheels: Gravel Tan: ships around {words(later)}" in mails[0][2]
    assert f"(Available Backorder) - ships around {words(later)}" in text_of(
        client.get(f"/admin/orders/{older}").text
    )

    # The later delivery shrinks to nothing for the newer order: it is told once, too.
    shrunk = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{delivery_id(shop, gravel, 0)}",
        {"expected_on": later.isoformat(), "expected_quantity": "1"},
    )
    assert shrunk.status_code == 303
    assert promised(shop, newer) == (later + timedelta(days=14)).isoformat()
    cancelled = post_form(
        client,
        f"{option_page(shop, gravel)}/deliveries/{delivery_id(shop, gravel, 1)}/cancel",
    )
    assert cancelled.status_code == 303
    assert promised(shop, newer) is None
    numbers = [number for number, _s, _b in new_ship_date_mails(shop)]
    assert numbers == [older, newer, newer]
    assert "we will email you when it ships" in new_ship_date_mails(shop)[-1][2]


def test_receiving_stock_counts_against_the_earliest_delivery(shop: Shop, client: Client) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    soon, later = today() + timedelta(days=7), today() + timedelta(days=21)
    add_delivery(client, shop, gravel, soon, 3)
    add_delivery(client, shop, gravel, later, 4)

    received = post_form(client, f"{option_page(shop, gravel)}/receive", {"received": "2"})
    assert received.status_code == 303
    assert deliveries(shop, gravel) == [(soon.isoformat(), 1), (later.isoformat(), 4)]
    assert quantity(shop, gravel) == 0
    post_form(client, f"{option_page(shop, gravel)}/receive", {"received": "3"})
    assert deliveries(shop, gravel) == [(later.isoformat(), 2)]
    assert stock_is_consistent(shop)
    assert new_ship_date_mails(shop) == []
    assert {status(shop, older), status(shop, newer)} == {"ready"}


def queued_with_two_deliveries(shop: Shop, client: Client) -> tuple[int, str, str, date, date]:
    """Two orders wait for one Gravel Tan each; a delivery of 1 soon and of 5 later promise
    the older the first and the newer the second."""
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    soon, later = today() + timedelta(days=7), today() + timedelta(days=21)
    add_delivery(client, shop, gravel, soon, 1)
    add_delivery(client, shop, gravel, later, 5)
    assert (promised(shop, older), promised(shop, newer)) == (soon.isoformat(), later.isoformat())
    return gravel, older, newer, soon, later


def test_an_order_cancelled_ahead_in_the_queue_moves_the_next_ones_date_earlier(
    shop: Shop, client: Client
) -> None:
    _gravel, older, newer, soon, _later = queued_with_two_deliveries(shop, client)

    cancelled = post_form(client, f"/admin/orders/{older}/cancel", {"confirm": "yes"})

    assert cancelled.status_code == 303
    # The newer order is now first in line: the soon delivery's unit is its.
    assert promised(shop, newer) == soon.isoformat()
    assert f"(Available Backorder) - ships around {words(soon)}" in text_of(
        client.get(f"/admin/orders/{newer}").text
    )
    assert f"{newer} Ada Lovelace 1" in text_of(client.get("/admin/backorders").text)
    assert words(soon) in text_of(client.get("/admin/backorders").text)
    assert new_ship_date_mails(shop) == []  # earlier dates are shown, not mailed


def test_a_quantity_rise_that_fills_the_oldest_line_moves_the_next_ones_date_earlier(
    shop: Shop, client: Client
) -> None:
    gravel, older, newer, soon, _later = queued_with_two_deliveries(shop, client)

    # The merchant sets the quantity (the option's form, an import, a bulk edit): from -2 to
    # -1, so the one unit goes to the older order.
    set_on_hand(shop, "Gravel Tan", -1)

    assert (status(shop, older), status(shop, newer)) == ("ready", "awaiting")
    assert quantity(shop, gravel) == -1
    assert promised(shop, newer) == soon.isoformat()
    token = shop.scalar("SELECT token FROM customer_order WHERE number = :n", n=newer)
    assert f"ships around {words(soon)}" in text_of(client.get(f"/orders/{token}").text)
    assert new_ship_date_mails(shop) == []
    assert stock_is_consistent(shop)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_receive_stock_tells_the_merchant_how_many_customers_were_mailed_a_later_date(
    shop: Shop, client: Client, htmx: bool
) -> None:
    gravel, older, newer, soon, later = queued_with_two_deliveries(shop, client)
    # The newer order was told the soon date (as when it was the first in line).
    shop.execute(
        "UPDATE order_line_option SET promised_date = :d WHERE order_line_id IN ("
        " SELECT l.id FROM order_line l JOIN customer_order c ON c.id = l.order_id"
        " WHERE c.number = :n)",
        d=soon,
        n=newer,
    )
    assert promised(shop, newer) == soon.isoformat()

    received = post_form(
        client, f"{option_page(shop, gravel)}/receive", {"received": "1"}, htmx=htmx
    )

    notice = "1 customer was emailed that their backordered items now ship later."
    if htmx:
        assert received.status_code == 200
        assert notice in received.text
    else:
        assert received.status_code == 303
        assert notice in text_of(client.get(received.headers["location"]).text)
    assert promised(shop, newer) == later.isoformat()
    assert [number for number, _s, _b in new_ship_date_mails(shop)] == [newer]
    assert status(shop, older) == "ready"


def test_promising_again_after_a_change_of_thousands_of_options_costs_a_few_queries(
    shop: Shop, client: Client
) -> None:
    gravel, _older, newer, _soon, later = queued_with_two_deliveries(shop, client)
    shop.execute("UPDATE order_line_option SET promised_date = NULL")  # to be worked out again
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with new_session(shop.engine) as session:
        # An import touching thousands of options, one of them with expected deliveries.
        others = [o for o in session.exec(select(Option.id)) if o is not None and o != gravel]
        touched = [*others, *range(100_000, 103_000), gravel]
        event.listen(shop.engine, "before_cursor_execute", count)
        try:
            stock.repromise_where_expected(session, touched)
            session.commit()
        finally:
            event.remove(shop.engine, "before_cursor_execute", count)

    assert promised(shop, newer) == later.isoformat()
    assert new_ship_date_mails(shop) == []
    # Which options have a delivery: one query per 500 options; then the one that has.
    assert len(statements) <= len(touched) // 500 + 1 + 6, statements


def test_the_pending_order_keeps_each_lines_date_as_the_cart_said_it(
    shop: Shop, client: Client
) -> None:
    """Charge on restock: two bikes each with 2 backordered wheels, deliveries of 2 then 5. The
    second line queues behind the first one's wheels, on the Pending order as in the cart."""
    set_policy(shop, client, "charge_on_restock")
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    first, second = today() + timedelta(days=10), today() + timedelta(days=30)
    add_delivery(client, shop, gravel, first, 2)
    add_delivery(client, shop, gravel, second, 5)
    ids = shop.ids(BIKE)
    for frame in ("Racing Red", "Midnight Blue"):
        chosen = {ids["Wheels"]: ids["Gravel Tan"], ids["Frame"]: ids[frame]}
        assert add_to_cart(client, BIKE, chosen, 2).status_code == 303
    cart = text_of(client.get("/cart").text)
    assert f"ships around {words(first)}" in cart and f"ships around {words(second)}" in cart

    placed = post_form(client, "/checkout", CUSTOMER)

    assert placed.status_code == 303, placed.text
    with shop.engine.connect() as connection:
        dates = connection.execute(
            text(
                "SELECT o.promised_date FROM order_line_option o"
                " JOIN order_line l ON l.id = o.order_line_id"
                " JOIN customer_order c ON c.id = l.order_id"
                " WHERE c.pending AND o.option_id = :g ORDER BY l.id"
            ),
            {"g": gravel},
        ).all()
    assert [str(row[0])[:10] for row in dates] == [first.isoformat(), second.isoformat()]


def test_a_line_partly_in_stock_is_promised_the_delivery_for_the_rest(
    shop: Shop, client: Client
) -> None:
    """3 on hand, 5 wanted: the 2 backordered units ship around the delivery that covers them,
    on the product page, in the cart and on the order."""
    gravel = set_on_hand(shop, "Gravel Tan", 3)
    sign_in(shop, client)
    day = today() + timedelta(days=12)
    add_delivery(client, shop, gravel, day, 4)
    ids = shop.ids(BIKE)

    page = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Gravel Tan']}&quantity=5")
    assert (
        f"Of 5: 3 ship now, 2 once restocked. Wheels · Gravel Tan - ships around {words(day)}."
        in text_of(page.text)
    )
    number = order(client, shop, {"Wheels": "Gravel Tan"}, quantity=5)

    assert promised(shop, number) == day.isoformat()
    admin = text_of(client.get(f"/admin/orders/{number}").text)
    assert f"(Available Backorder) - ships around {words(day)}" in admin
