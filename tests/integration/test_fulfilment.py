"""Fulfilling backorders through the admin: restock fills waiting orders oldest first (Receive
stock, a raised quantity, Mark back in stock), Ship, cancel of a partly shipped order, the
backorder queue and the dashboard's counts; and every refusal changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event, text
from sqlmodel import select

from configurator.core.fulfilment import Fulfilment
from configurator.services import stock
from configurator.store import db
from configurator.store.db import alembic_config, new_session, unit_of_work
from configurator.store.models import Option
from tests.integration.conftest import (
    CUSTOMER,
    HX,
    NO_FILE,
    Shop,
    add_to_cart,
    csrf,
    field_errors,
    post_form,
    sign_in,
)

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
Client = TestClient[Litestar]


def set_on_hand(shop: Shop, option_name: str, quantity: int) -> int:
    """Set a demo option's quantity as the merchant would (a movement is written)."""
    with new_session(shop.engine) as session:
        option = session.exec(select(Option).where(Option.name == option_name)).one()
        stock.set_quantity(session, option, quantity, seen=None, username="test")
        session.add(option)
        session.commit()
        assert option.id is not None
        return option.id


def order(client: Client, shop: Shop, choices: dict[str, str], quantity: int = 1) -> str:
    """Check out a bike with these choices (layer name -> option name); the order's number."""
    ids = shop.ids(BIKE)
    chosen = {ids[layer]: ids[option] for layer, option in choices.items()}
    assert add_to_cart(client, BIKE, chosen, quantity).status_code == 303
    placed = post_form(client, "/checkout", CUSTOMER)
    assert placed.status_code == 303, placed.text
    token = placed.headers["location"].removeprefix("/orders/")
    return str(shop.scalar("SELECT number FROM customer_order WHERE token = :t", t=token))


def status(shop: Shop, number: str) -> str:
    return str(shop.scalar("SELECT fulfilment FROM customer_order WHERE number = :n", n=number))


def quantity(shop: Shop, option_id: int) -> int:
    return int(shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option_id))


def stock_is_consistent(shop: Shop) -> bool:
    with new_session(shop.engine) as session:
        return stock.check(session) == []


def state(shop: Shop) -> dict[str, object]:
    """Everything a refused fulfilment action must leave as it was."""
    snapshot = shop.snapshot()
    snapshot.pop("admin_session")  # signing in is not what these tests are about
    with shop.engine.connect() as connection:
        return {
            **snapshot,
            "movements": connection.execute(text("SELECT count(*) FROM stock_movement")).scalar(),
            "orders": connection.execute(
                text("SELECT number, status, fulfilment FROM customer_order ORDER BY id")
            ).all(),
            "allocated": connection.execute(
                text("SELECT id, quantity_allocated FROM order_line_option ORDER BY id")
            ).all(),
            "shipped": connection.execute(
                text("SELECT id, quantity_shipped FROM order_line ORDER BY id")
            ).all(),
            "shipments": connection.execute(text("SELECT count(*) FROM shipment")).scalar(),
        }


def two_waiting_orders(shop: Shop, client: Client) -> tuple[int, str, str]:
    """Gravel Tan wheels at 0 on hand, ordered once by each of two orders (older, newer)."""
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    older = order(client, shop, {"Wheels": "Gravel Tan"})
    newer = order(client, shop, {"Wheels": "Gravel Tan"})
    assert (status(shop, older), status(shop, newer)) == ("awaiting", "awaiting")
    assert quantity(shop, gravel) == -2
    return gravel, older, newer


def option_page(shop: Shop, option_id: int) -> str:
    return f"/admin/products/{shop.product_id(BIKE)}/options/{option_id}"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_receiving_one_unit_makes_the_older_order_ready_and_the_newer_still_waits(
    shop: Shop, client: Client, htmx: bool
) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)

    received = post_form(
        client,
        f"{option_page(shop, gravel)}/receive",
        {"received": "1", "note": "Pallet <b>7</b>"},
        htmx=htmx,
    )

    notice = (
        "Stock received: 1 unit went to waiting orders, oldest first; 1 order is now Ready to"
        " ship; 0 salable."
    )
    if htmx:
        assert received.status_code == 200
        assert notice in received.text
    else:
        assert received.status_code == 303
        assert notice in client.get(received.headers["location"]).text
    assert (status(shop, older), status(shop, newer)) == ("ready", "awaiting")
    assert quantity(shop, gravel) == -1
    assert stock_is_consistent(shop)
    movement = shop.scalar(
        "SELECT reason || '|' || delta || '|' || order_number || '|' || note FROM stock_movement"
        " WHERE option_id = :o ORDER BY id DESC LIMIT 1",
        o=gravel,
    )
    assert movement == f"allocated|1|{older}|Pallet <b>7</b>"
    assert shop.scalar(
        "SELECT count(*) FROM stock_movement WHERE order_line_id IS NOT NULL AND order_number = :n",
        n=older,
    )
    panel = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=option&item={gravel}").text
    assert "Pallet &lt;b&gt;7&lt;/b&gt;" in panel
    assert "1</strong> backordered unit waits for Gravel Tan" in panel

    listing = client.get("/admin/orders").text
    rows = {
        n: row
        for row in re.findall(r"<tr>.*?</tr>", listing, re.S)
        for n in (older, newer)
        if n in row
    }
    assert "Ready to ship" in rows[older] and "Awaiting stock" in rows[newer]
    ready_page = client.get(f"/admin/orders/{older}").text
    assert "Ready to ship" in ready_page and "Mark shipped" in ready_page
    assert "ships once restocked" not in ready_page  # its wheels were allocated
    assert "Backordered: ships once restocked." in client.get(f"/admin/orders/{newer}").text


def test_raising_the_quantity_in_the_option_form_fills_waiting_orders_first(
    shop: Shop, client: Client
) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    panel = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=option&item={gravel}").text
    assert 'name="quantity_seen" value="-2"' in panel

    saved = post_form(
        client,
        option_page(shop, gravel),
        {
            "name": "Gravel Tan",
            "sku": "WH-GRAVEL",
            "price_delta": "120.00",
            "stock_management": "on",
            "track_inventory": "on",
            "stock_status": "in_stock",
            "quantity": "5",
            "quantity_seen": "-2",
        },
        files=NO_FILE,
    )

    assert saved.status_code == 303, saved.text
    assert (status(shop, older), status(shop, newer)) == ("ready", "ready")
    assert quantity(shop, gravel) == 5
    assert stock_is_consistent(shop)
    reasons = [
        tuple(row)
        for row in shop.engine.connect()
        .exec_driver_sql(
            f"SELECT reason, delta, quantity_after, order_number FROM stock_movement "  # noqa: S608
            f"WHERE option_id = {gravel} ORDER BY id DESC LIMIT 3"
        )
        .all()
    ]
    assert reasons == [
        ("adjustment", 5, 5, ""),  # 7 received: 2 to the waiting orders, 5 salable
        ("allocated", 1, 0, newer),
        ("allocated", 1, -1, older),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_mark_back_in_stock_releases_every_line_waiting_for_an_untracked_option(
    shop: Shop, client: Client, htmx: bool
) -> None:
    first = order(client, shop, {"Wheels": "Carbon Deep"}, 2)
    second = order(client, shop, {"Wheels": "Carbon Deep"})
    carbon = shop.ids(BIKE)["Carbon Deep"]
    sign_in(shop, client)
    assert (
        "3</strong> backordered units wait"
        in client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=option&item={carbon}").text
    )

    marked = post_form(client, f"{option_page(shop, carbon)}/back-in-stock", htmx=htmx)

    assert marked.status_code == (200 if htmx else 303)
    page = marked.text if htmx else client.get(marked.headers["location"]).text
    assert (
        "Marked back in stock: 3 units went to waiting orders, oldest first; 2 orders are now"
        " Ready to ship." in page
    )
    assert (status(shop, first), status(shop, second)) == ("ready", "ready")
    assert shop.scalar("SELECT stock_status FROM option WHERE id = :i", i=carbon) == "in_stock"
    assert stock_is_consistent(shop)
    assert (
        "Available on Backorder"
        not in client.get(f"/products/{BIKE}?layer-{shop.ids(BIKE)['Wheels']}={carbon}").text
    )


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_ship_the_ready_lines_then_cancel_gives_back_only_what_did_not_ship(
    shop: Shop, client: Client, htmx: bool
) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 1)
    # Three bikes: one in stock now, two wait for Gravel Tan wheels.
    number = order(client, shop, {"Wheels": "Gravel Tan"}, 3)
    assert status(shop, number) == "partly_ready"
    assert quantity(shop, gravel) == -2
    sign_in(shop, client)
    page = client.get(f"/admin/orders/{number}").text
    assert "Partly ready" in page and "Mark the ready items shipped (1)" in page
    assert "Qty Ordered <strong>3</strong>" in page and "Qty Backordered <strong>2</strong>" in page

    shipped = post_form(client, f"/admin/orders/{number}/ship", {"tracking": "1Z<999>"}, htmx=htmx)

    assert shipped.status_code == (200 if htmx else 303)
    page = shipped.text if htmx else client.get(shipped.headers["location"]).text
    assert "Marked shipped." in page
    assert (
        "Aero Road Bike \N{MULTIPLICATION SIGN} 1 · tracking <strong>1Z&lt;999&gt;</strong>" in page
    )
    assert status(shop, number) == "awaiting"
    token = shop.scalar("SELECT token FROM customer_order WHERE number = :n", n=number)
    customer = client.get(f"/orders/{token}").text
    assert "Awaiting stock" in customer and "1Z&lt;999&gt;" in customer

    cancelled = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})

    assert cancelled.status_code == 303
    assert status(shop, number) == "cancelled"
    assert quantity(shop, gravel) == 0  # the two that waited close the gap; the shipped one is gone
    assert stock_is_consistent(shop)


def test_a_cancelled_order_hands_its_allocated_units_to_the_next_waiting_order(
    shop: Shop, client: Client
) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    assert (
        post_form(client, f"{option_page(shop, gravel)}/receive", {"received": "1"}).status_code
        == 303
    )
    assert (status(shop, older), status(shop, newer)) == ("ready", "awaiting")

    assert post_form(client, f"/admin/orders/{older}/cancel", {"confirm": "yes"}).status_code == 303

    assert status(shop, newer) == "ready"
    assert quantity(shop, gravel) == 0
    assert stock_is_consistent(shop)
    assert (
        shop.scalar(
            "SELECT count(*) FROM stock_movement WHERE reason = 'allocated' AND order_number = :n",
            n=newer,
        )
        == 1
    )


def test_a_shipped_order_is_never_allocated_again_nor_cancelled(shop: Shop, client: Client) -> None:
    add_to_cart(client, SNEAKER, {}, 2)
    placed = post_form(client, "/checkout", CUSTOMER)
    number = str(shop.scalar("SELECT number FROM customer_order"))
    assert placed.status_code == 303 and status(shop, number) == "ready"
    sign_in(shop, client)
    assert post_form(client, f"/admin/orders/{number}/ship", {"tracking": ""}).status_code == 303
    assert status(shop, number) == "shipped"
    before = state(shop)

    again = post_form(client, f"/admin/orders/{number}/ship", {"tracking": ""})
    cancel = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})

    assert again.status_code == 409 and "already shipped in full" in again.text
    assert cancel.status_code == 409 and "shipped in full" in cancel.text
    assert state(shop) == before


def test_the_backorder_queue_lists_waiting_lines_oldest_first_with_totals(
    shop: Shop, client: Client
) -> None:
    _gravel, older, newer = two_waiting_orders(shop, client)
    carbon_order = order(client, shop, {"Wheels": "Carbon Deep"}, 2)
    sign_in(shop, client)

    page = client.get("/admin/backorders").text

    assert 'href="/admin/backorders"' in page
    assert (
        'Qty Backordered still waiting: <strong data-testid="queue-total">4</strong> units on 3'
        " order lines" in page
    )
    # Options with the oldest waiting line first, each with its lines oldest first.
    assert page.index("Gravel Tan") < page.index("Carbon Deep")
    gravel_section = page[page.index("Gravel Tan") : page.index("Carbon Deep")]
    assert gravel_section.index(older) < gravel_section.index(newer)
    assert "Ada Lovelace" in page and "just now" in page
    assert carbon_order in page
    dashboard = client.get("/admin").text
    assert re.search(r'data-testid="ready-count">0<', dashboard)
    assert re.search(r'data-testid="waiting-count">3<', dashboard)
    waiting = client.get("/admin/orders?fulfilment=waiting").text
    assert older in waiting and carbon_order in waiting


# Refusals: a plain 4xx, nothing changed ---------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ("0", "between 1 and"),
        ("-3", "whole number"),
        ("", "whole number"),
        ("abc", "whole number"),
        ("1.5", "whole number"),
        ("9999999999", "whole number"),
        ("1000001", "between 1 and"),
        ("٣", "whole number"),
    ],
)
def test_receive_stock_refuses_a_bad_quantity_and_changes_nothing(
    shop: Shop, client: Client, received: str, message: str
) -> None:
    gravel, _older, _newer = two_waiting_orders(shop, client)
    sign_in(shop, client)
    before = state(shop)

    refused = post_form(client, f"{option_page(shop, gravel)}/receive", {"received": received})

    assert refused.status_code == 422
    assert message in field_errors(refused.text)["received"]
    assert state(shop) == before


def test_receive_stock_refuses_a_total_over_the_maximum_and_a_bad_note(
    shop: Shop, client: Client
) -> None:
    gravel = set_on_hand(shop, "Gravel Tan", 999_999)
    sign_in(shop, client)
    before = state(shop)

    too_many = post_form(client, f"{option_page(shop, gravel)}/receive", {"received": "5"})
    long_note = post_form(
        client, f"{option_page(shop, gravel)}/receive", {"received": "1", "note": "x" * 201}
    )
    control = post_form(
        client, f"{option_page(shop, gravel)}/receive", {"received": "1", "note": "a\x07b"}
    )

    assert (
        too_many.status_code == 422
        and "at most 1,000,000" in field_errors(too_many.text)["received"]
    )
    assert long_note.status_code == 422 and "at most 200" in field_errors(long_note.text)["note"]
    assert control.status_code == 422 and "cannot be shown" in field_errors(control.text)["note"]
    assert state(shop) == before


def test_actions_that_do_not_apply_are_refused_with_409(shop: Shop, client: Client) -> None:
    ids = shop.ids(BIKE)
    waiting = order(client, shop, {"Wheels": "Carbon Deep"})
    sign_in(shop, client)
    before = state(shop)

    untracked = post_form(
        client, f"{option_page(shop, ids['Carbon Deep'])}/receive", {"received": "2"}
    )
    tracked = post_form(client, f"{option_page(shop, ids['Gravel Tan'])}/back-in-stock")
    nothing_ready = post_form(client, f"/admin/orders/{waiting}/ship", {"tracking": ""})

    assert untracked.status_code == 409 and "use Mark back in stock" in untracked.text
    assert tracked.status_code == 409 and "use Receive stock" in tracked.text
    assert (
        nothing_ready.status_code == 409
        and "Nothing in this order is ready to ship yet" in nothing_ready.text
    )
    assert state(shop) == before

    assert (
        post_form(client, f"/admin/orders/{waiting}/cancel", {"confirm": "yes"}).status_code == 303
    )
    cancelled = state(shop)
    ship_cancelled = post_form(client, f"/admin/orders/{waiting}/ship", {"tracking": ""})
    assert ship_cancelled.status_code == 409 and "cancelled" in ship_cancelled.text
    assert state(shop) == cancelled


def test_unknown_ids_are_a_plain_404_and_change_nothing(shop: Shop, client: Client) -> None:
    ids = shop.ids(BIKE)
    sneaker_option = shop.ids(SNEAKER)["White"]
    bike = shop.product_id(BIKE)
    sign_in(shop, client)
    before = state(shop)

    for path in (
        f"/admin/products/{bike}/options/999999/receive",
        f"/admin/products/{bike}/options/abc/receive",
        f"/admin/products/{bike}/options/{sneaker_option}/receive",
        f"/admin/products/999999/options/{ids['Gravel Tan']}/receive",
        f"/admin/products/{bike}/options/999999/back-in-stock",
        f"/admin/products/{bike}/options/{sneaker_option}/back-in-stock",
        "/admin/orders/CFG-NOSUCH/ship",
        "/admin/orders/%00/ship",
    ):
        response = post_form(client, path, {"received": "1", "tracking": ""})
        assert response.status_code == 404, path
        assert "Traceback" not in response.text
    assert state(shop) == before


def test_a_tracking_reference_too_long_is_refused(shop: Shop, client: Client) -> None:
    add_to_cart(client, SNEAKER, {}, 1)
    post_form(client, "/checkout", CUSTOMER)
    number = str(shop.scalar("SELECT number FROM customer_order"))
    sign_in(shop, client)
    before = state(shop)

    refused = post_form(client, f"/admin/orders/{number}/ship", {"tracking": "x" * 101})

    assert refused.status_code == 422
    assert "at most 100 characters" in field_errors(refused.text)["tracking"]
    assert state(shop) == before


def test_fulfilment_actions_need_the_csrf_token_and_a_signed_in_merchant(
    shop: Shop, client: Client
) -> None:
    gravel, older, _newer = two_waiting_orders(shop, client)
    carbon = shop.ids(BIKE)["Carbon Deep"]
    paths: tuple[tuple[str, dict[str, str]], ...] = (
        (f"{option_page(shop, gravel)}/receive", {"received": "1"}),
        (f"{option_page(shop, carbon)}/back-in-stock", {}),
        (f"/admin/orders/{older}/ship", {"tracking": ""}),
    )
    before = state(shop)
    for path, data in paths:
        signed_out = post_form(client, path, data)
        assert signed_out.status_code == 303 and "/admin/login" in signed_out.headers["location"]
    sign_in(shop, client)
    for path, data in paths:
        for token in (None, "0" * len(csrf(client))):
            sent = dict(data) if token is None else {**data, "_csrf_token": token}
            refused = client.post(path, data=sent, follow_redirects=False)
            assert refused.status_code == 403, path
        htmx = client.post(path, data=data, headers=HX, follow_redirects=False)
        assert htmx.status_code == 403
    assert state(shop) == before


def test_migration_0015_gives_existing_orders_the_status_their_lines_give(
    shop: Shop, client: Client
) -> None:
    ready = order(client, shop, {"Wheels": "Road Classic"})
    awaiting = order(client, shop, {"Wheels": "Carbon Deep"})
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    add_to_cart(client, SNEAKER, {}, 1)
    assert post_form(client, "/checkout", CUSTOMER).status_code == 303
    partly = str(shop.scalar("SELECT number FROM customer_order ORDER BY id DESC LIMIT 1"))
    cancelled = order(client, shop, {"Wheels": "Carbon Deep"})
    sign_in(shop, client)
    assert (
        post_form(client, f"/admin/orders/{cancelled}/cancel", {"confirm": "yes"}).status_code
        == 303
    )
    config = alembic_config(shop.engine.url.render_as_string(hide_password=False))
    shop.engine.dispose()

    command.downgrade(config, "0014")
    command.upgrade(config, "head")

    assert [status(shop, n) for n in (ready, awaiting, partly, cancelled)] == [
        "ready",
        "awaiting",
        "partly_ready",
        "cancelled",
    ]


def mails_of(shop: Shop, number: str) -> list[str]:
    """The kinds of the mails written about an order, oldest first."""
    with shop.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT kind FROM outbox_mail WHERE order_number = :n ORDER BY id"), {"n": number}
        )
        return [str(row[0]) for row in rows]


def test_the_customer_is_mailed_when_a_restock_completes_the_order_and_when_it_ships(
    shop: Shop, client: Client
) -> None:
    gravel, older, newer = two_waiting_orders(shop, client)
    sign_in(shop, client)

    received = post_form(client, f"{option_page(shop, gravel)}/receive", {"received": "1"})
    assert received.status_code == 303
    assert mails_of(shop, older)[-1] == "ready_to_ship"
    assert "ready_to_ship" not in mails_of(shop, newer)

    shipped = post_form(client, f"/admin/orders/{older}/ship", {"tracking": "1Z999"})
    assert shipped.status_code == 303
    assert mails_of(shop, older)[-1] == "shipped"
    body = shop.scalar(
        "SELECT body FROM outbox_mail WHERE order_number = :n AND kind = 'shipped'", n=older
    )
    assert "1Z999" in str(body)


def test_a_restock_of_many_orders_reads_them_a_few_ids_at_a_time(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import fills thousands of orders: their ids go to the database in runs of
    IDS_PER_STATEMENT (SQLite limits a statement's parameters), with the same result."""
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    numbers = [order(client, shop, {"Wheels": "Gravel Tan"}) for _ in range(3)]
    ids = [
        int(shop.scalar("SELECT id FROM customer_order WHERE number = :n", n=n)) for n in numbers
    ]
    with new_session(shop.engine) as session:
        whole = stock.order_lines_with_options(session, ids)
        expected = [[x.id for x in whole[0]], [x.id for x in whole[1]]]
    assert len(expected[0]) == 3 and len(expected[1]) >= 3

    monkeypatch.setattr(db, "IDS_PER_STATEMENT", 2)
    in_lists: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        # The reads of orders, lines and their options by id (no join): how many ids each.
        plain = re.match(r"SELECT (customer_order|order_line|order_line_option)\.", statement)
        if plain and " JOIN " not in statement and " IN (" in statement:
            in_lists.append(len(parameters))

    event.listen(shop.engine, "before_cursor_execute", count)
    try:
        with new_session(shop.engine) as session:
            batched = stock.order_lines_with_options(session, ids)
            assert [[x.id for x in batched[0]], [x.id for x in batched[1]]] == expected
            with unit_of_work(session, write=True):
                restock = stock.receive_stock(session, gravel, 3, note="", username="test")
    finally:
        event.remove(shop.engine, "before_cursor_execute", count)
    assert in_lists and max(in_lists) <= 2
    assert sorted(c.number for c in restock.changes) == sorted(numbers)
    assert [status(shop, n) for n in numbers] == [Fulfilment.READY_TO_SHIP.value] * 3
    assert quantity(shop, gravel) == 0
    assert stock_is_consistent(shop)
