"""Global Settings > Charge policy: Charge now (as before) or Charge on restock (seed 001), where
checkout moves the backordered items into a Pending order charged when they ship."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from configurator.core.charging import CHARGED_ON_RESTOCK
from tests.integration.conftest import (
    CUSTOMER,
    HX,
    Shop,
    add_to_cart,
    cents,
    csrf,
    field_errors,
    post_form,
    sign_in,
)

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
BIKE_PRICE = 129_900
CARBON_DELTA = 45_000
GREEN_DELTA = 5_000
SNEAKER_PRICE = 11_900
SETTINGS = {"stock_management": "on", "backorders": "notify"}


def set_policy(shop: Shop, client: TestClient[Litestar], policy: str) -> None:
    sign_in(shop, client)
    saved = post_form(
        client,
        f"/admin/products/{shop.product_id(BIKE)}/settings",
        {**SETTINGS, "charge_policy": policy},
    )
    assert saved.status_code == 303, saved.text


def carbon(shop: Shop) -> dict[int, int]:
    ids = shop.ids(BIKE)
    return {ids["Wheels"]: ids["Carbon Deep"]}


def forest_green(shop: Shop) -> dict[int, int]:
    """Frame Forest Green: 2 on hand, backorders allowed (the global setting)."""
    ids = shop.ids(BIKE)
    return {ids["Frame"]: ids["Forest Green"]}


def checkout_key(client: TestClient[Litestar]) -> str:
    match = re.search(r'name="checkout_key" value="([^"]+)"', client.get("/checkout").text)
    assert match
    return match.group(1)


def subtotal(html: str) -> int:
    match = re.search(r"<span>Subtotal</span> <strong[^>]*>([^<]+)</strong>", html)
    assert match, "no subtotal"
    return cents(match.group(1))


def rows(shop: Shop, sql: str, **params: object) -> list[tuple[object, ...]]:
    with shop.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def movements(shop: Shop, option_id: int) -> list[tuple[object, ...]]:
    """(order number, delta) of an option's stock movements, oldest first."""
    sql = "SELECT order_number, delta FROM stock_movement WHERE option_id = :i ORDER BY id"
    return rows(shop, sql, i=option_id)


def orders(shop: Shop) -> list[tuple[object, ...]]:
    """(number, pending, main order's number, subtotal, fulfilment), oldest first."""
    return rows(
        shop,
        "SELECT o.number, o.pending, m.number, o.subtotal_cents, o.fulfilment "
        "FROM customer_order o LEFT JOIN customer_order m ON m.id = o.main_order_id "
        "ORDER BY o.id",
    )


def saved_policy(shop: Shop) -> object:
    return shop.scalar("SELECT value FROM app_setting WHERE key = 'checkout.charge_policy'")


# The setting ---------------------------------------------------------------------------------


def test_the_policy_is_saved_from_global_settings_and_shown_there(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    bike = shop.product_id(BIKE)
    sign_in(shop, client)
    panel = client.get(f"/admin/products/{bike}?panel=settings").text
    assert re.search(r'id="charge-policy-charge_now"[^>]*checked', panel), "default: Charge now"

    set_policy(shop, client, "charge_on_restock")

    assert saved_policy(shop) == "charge_on_restock"
    # One policy for the shop: the sneaker's Global Settings show it too.
    sneaker = shop.product_id(SNEAKER)
    other = client.get(f"/admin/products/{sneaker}?panel=settings").text
    assert re.search(r'id="charge-policy-charge_on_restock"[^>]*checked', other)
    # A save without the field (an older form) leaves it as it is.
    post_form(client, f"/admin/products/{bike}/settings", SETTINGS)
    assert saved_policy(shop) == "charge_on_restock"


def test_an_unknown_policy_is_refused_and_nothing_is_saved(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    bike = shop.product_id(BIKE)
    sign_in(shop, client)
    before = shop.snapshot()

    for htmx in (False, True):
        refused = post_form(
            client,
            f"/admin/products/{bike}/settings",
            {**SETTINGS, "backorders": "no", "charge_policy": "charge_later"},
            htmx=htmx,
        )
        assert refused.status_code == 422
        assert field_errors(refused.text)["charge_policy"] == (
            'Choose "Charge now" or "Charge on restock".'
        )

    assert shop.snapshot() == before
    assert saved_policy(shop) is None


def test_saving_the_policy_needs_the_csrf_token(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    csrf(client)
    refused = post_form(
        client,
        f"/admin/products/{shop.product_id(BIKE)}/settings",
        {**SETTINGS, "charge_policy": "charge_on_restock"},
        token=False,
    )
    assert refused.status_code == 403
    assert saved_policy(shop) is None


# Checkout under each policy ----------------------------------------------------------------------


def test_charge_now_counts_backordered_options_in_one_order(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    set_policy(shop, client, "charge_now")
    add_to_cart(client, BIKE, carbon(shop), 1)
    add_to_cart(client, SNEAKER, {}, 1)

    cart = client.get("/cart").text
    assert subtotal(cart) == BIKE_PRICE + CARBON_DELTA + SNEAKER_PRICE
    assert CHARGED_ON_RESTOCK not in cart

    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303
    assert [(pending, main) for _n, pending, main, _s, _f in orders(shop)] == [(False, None)]
    page = client.get(response.headers["location"]).text
    assert "Pending order" not in page


def test_charge_on_restock_leaves_backordered_lines_out_and_places_a_pending_order(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    set_policy(shop, client, "charge_on_restock")
    add_to_cart(client, BIKE, carbon(shop), 1)
    add_to_cart(client, SNEAKER, {}, 2)
    carbon_bike = BIKE_PRICE + CARBON_DELTA

    cart = client.get("/cart").text
    assert subtotal(cart) == 2 * SNEAKER_PRICE
    assert CHARGED_ON_RESTOCK in cart
    assert (
        "Not charged now: backordered, so it is charged when it ships "
        "(it moves to your Pending order)." in cart
    )
    assert re.search(r"Pending order, charged when it ships</span> <strong>\$1,749\.00<", cart)
    checkout = client.get("/checkout").text
    assert subtotal(checkout) == 2 * SNEAKER_PRICE
    assert "Place order · $238.00" in checkout
    assert CHARGED_ON_RESTOCK in checkout

    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303
    (main, _, _, main_total, main_status), (pending, is_pending, main_of, total, status) = orders(
        shop
    )
    assert (main_total, main_status) == (2 * SNEAKER_PRICE, "ready")
    assert (is_pending, main_of, total, status) == (True, main, carbon_bike, "awaiting")
    assert shop.scalar("SELECT count(*) FROM order_line") == 2
    assert shop.count("cart_line") == 0
    # The bike's tracked options went wholly to the Pending order: their movements name it.
    red = shop.option_id(BIKE, "Frame", "Racing Red")
    assert movements(shop, red)[-1] == (pending, -1)

    page = client.get(response.headers["location"]).text
    assert f"Order <strong>{main}</strong>" in page
    assert f"Pending order {pending}: charged when it ships" in page
    assert "Carbon Deep" in page and "Court Sneaker" in page
    pending_token = shop.scalar("SELECT token FROM customer_order WHERE number = :n", n=pending)
    assert f'href="/orders/{pending_token}"' in page
    # The Pending order's own page links back to the main order.
    pending_page = client.get(f"/orders/{pending_token}").text
    main_token = shop.scalar("SELECT token FROM customer_order WHERE number = :n", n=main)
    assert f'href="/orders/{main_token}"' in pending_page
    assert "Pending order: nothing is charged now." in pending_page

    # The merchant: both linked, and the list marks the Pending order.
    admin_main = client.get(f"/admin/orders/{main}").text
    assert f'href="/admin/orders/{pending}"' in admin_main
    admin_pending = client.get(f"/admin/orders/{pending}").text
    assert f"Pending order {pending}" in admin_pending
    assert f'href="/admin/orders/{main}"' in admin_pending
    assert "Amount to charge: <strong>$1,749.00</strong>" in admin_pending
    listing = client.get("/admin/orders").text
    row = re.search(rf"<tr>\s*<td[^>]*><a [^>]*>{pending}</a>(.*?)</tr>", listing, re.S)
    assert row and "Pending: charge when it ships" in row.group(1)

    # The confirmation mail names both orders.
    body = shop.scalar("SELECT body FROM outbox_mail WHERE kind = 'order_confirmation'")
    assert f"Thank you for your order {main}." in body
    assert f"Pending order {pending} ($1,749.00;" in body


def test_a_split_line_charges_what_is_in_stock_and_defers_the_rest(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """The quantity question's case: 5 bikes with the Forest Green frame, 2 on hand."""
    set_policy(shop, client, "charge_on_restock")
    add_to_cart(client, BIKE, forest_green(shop), 5)
    unit = BIKE_PRICE + GREEN_DELTA

    cart = client.get("/cart").text
    assert subtotal(cart) == 2 * unit
    assert (
        "3 of 5 are backordered: they are charged when they ship, not now "
        "(they move to your Pending order)." in cart
    )

    assert post_form(client, "/checkout", CUSTOMER).status_code == 303
    (main, _, _, main_total, main_status), (_p, _, main_of, total, status) = orders(shop)
    assert (main_total, main_status) == (2 * unit, "ready")
    assert (main_of, total, status) == (main, 3 * unit, "awaiting")
    lines = rows(shop, "SELECT quantity, quantity_backordered FROM order_line ORDER BY id")
    assert lines == [(2, 0), (3, 3)]
    green = shop.option_id(BIKE, "Frame", "Forest Green")
    assert shop.scalar("SELECT quantity FROM option WHERE id = :i", i=green) == -3
    taken = shop.scalar(
        "SELECT sum(stock_taken) FROM order_line_option WHERE option_id = :i", i=green
    )
    assert taken == 5
    # Split between the two orders: the one movement of the checkout names the main order.
    assert movements(shop, green)[-1] == (main, -5)


def test_a_restock_fills_the_pending_order_like_any_waiting_backorder(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    set_policy(shop, client, "charge_on_restock")
    add_to_cart(client, BIKE, forest_green(shop), 5)
    assert post_form(client, "/checkout", CUSTOMER).status_code == 303
    _main, (pending, *_rest) = orders(shop)

    queue = client.get("/admin/backorders").text
    assert f'href="/admin/orders/{pending}"' in queue

    bike, green = shop.product_id(BIKE), shop.option_id(BIKE, "Frame", "Forest Green")
    received = post_form(
        client,
        f"/admin/products/{bike}/options/{green}/receive",
        {"received": "3", "note": "pallet"},
    )
    assert received.status_code in (200, 303), received.text
    assert shop.scalar("SELECT fulfilment FROM customer_order WHERE number = :n", n=pending) == (
        "ready"
    )


def test_when_everything_is_backordered_the_checkout_places_only_a_pending_order(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    set_policy(shop, client, "charge_on_restock")
    add_to_cart(client, BIKE, carbon(shop), 2)

    checkout = client.get("/checkout").text
    assert subtotal(checkout) == 0
    assert "Place order · nothing charged now" in checkout
    response = post_form(client, "/checkout", CUSTOMER)

    assert response.status_code == 303
    [(_number, is_pending, main_of, total, status)] = orders(shop)
    assert (is_pending, main_of, total, status) == (
        True,
        None,
        2 * (BIKE_PRICE + CARBON_DELTA),
        "awaiting",
    )
    page = client.get(response.headers["location"]).text
    assert "Thank you, your order is placed" in page
    assert "Everything in it is backordered" in page
    body = shop.scalar("SELECT body FROM outbox_mail WHERE kind = 'order_confirmation'")
    assert "nothing is charged now: it is a Pending order of $3,498.00" in body


def test_the_same_checkout_form_sent_twice_returns_the_same_pair(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    set_policy(shop, client, "charge_on_restock")
    add_to_cart(client, BIKE, carbon(shop), 1)
    add_to_cart(client, SNEAKER, {}, 1)
    key = checkout_key(client)

    first = post_form(client, "/checkout", {**CUSTOMER, "checkout_key": key})
    second = post_form(client, "/checkout", {**CUSTOMER, "checkout_key": key}, htmx=False)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(orders(shop)) == 2
    assert shop.count("outbox_mail WHERE kind = 'order_confirmation'") == 1
    assert "Pending order" in client.get(second.headers["location"], headers=HX).text


def test_a_silent_backorder_is_charged_now_and_nothing_tells_the_shopper(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Backorders allowed without notifying the customer: under Charge on restock the Carbon
    Deep bike is charged with the order, as under Charge now; no Pending order gives it away."""
    sign_in(shop, client)
    saved = post_form(
        client,
        f"/admin/products/{shop.product_id(BIKE)}/settings",
        {"stock_management": "on", "backorders": "allow", "charge_policy": "charge_on_restock"},
    )
    assert saved.status_code == 303, saved.text
    settings = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=settings").text
    assert "charged now, with the order, so nothing tells the customer" in settings
    add_to_cart(client, BIKE, carbon(shop), 1)
    carbon_bike = BIKE_PRICE + CARBON_DELTA

    cart = client.get("/cart").text
    assert subtotal(cart) == carbon_bike
    assert "Not charged now" not in cart and "Pending order" not in cart
    assert "ackorder" not in re.sub(r"<[^>]+>", " ", cart.split("<main", 1)[1])
    assert subtotal(client.get("/checkout").text) == carbon_bike

    response = post_form(client, "/checkout", CUSTOMER)

    assert response.status_code == 303
    [(_number, is_pending, main_of, total, _status)] = orders(shop)
    assert (is_pending, main_of, total) == (False, None, carbon_bike)
    # The order still records what waits for stock, for the merchant.
    assert shop.scalar("SELECT quantity_backordered FROM order_line") == 1
    body = shop.scalar("SELECT body FROM outbox_mail WHERE kind = 'order_confirmation'")
    assert "Pending order" not in body and "ackorder" not in body
    assert "Pending order" not in client.get(response.headers["location"]).text
