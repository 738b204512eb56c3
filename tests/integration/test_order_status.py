"""What an order's pages say about shipping: the customer's confirmation and the merchant's order
page, while placed (what ships now, what ships once restocked) and once cancelled."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise

from litestar import Litestar
from litestar.testing import TestClient

from configurator.core.fulfilment import in_words
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form, sign_in

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
TIMES = "\N{MULTIPLICATION SIGN}"

Client = TestClient[Litestar]


def place_order(client: Client, shop: Shop) -> tuple[str, str]:
    """Check out the cart; the order's page (its address) and number."""
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    token = location.removeprefix("/orders/")
    number = str(shop.scalar("SELECT number FROM customer_order WHERE token = :t", t=token))
    return location, number


def text_of(html: str) -> str:
    """The page's main content as a reader sees it: tags gone, whitespace collapsed."""
    main = html[html.index("<main") : html.index("</main>")]
    words = " ".join(re.sub(r"<[^>]+>", " ", main).split())
    return re.sub(r" ([.,:;])", r"\1", words)


def heading_levels(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", html)]


def assert_headings_in_order(html: str) -> None:
    """axe's heading-order: one h1 first, and no level skipped on the way down."""
    levels = heading_levels(html)
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in pairwise(levels):
        assert after <= before + 1, levels


def test_an_order_with_nothing_backordered_says_everything_ships_now(
    shop: Shop, client: Client
) -> None:
    add_to_cart(client, SNEAKER, {}, 2)
    location, number = place_order(client, shop)

    page = text_of(client.get(location).text)

    assert "Everything in this order is in stock and ships now." in page
    assert "restocked" not in page
    sign_in(shop, client)
    admin = text_of(client.get(f"/admin/orders/{number}").text)
    assert "Everything is in stock: ship the whole order now." in admin
    assert "restocked" not in admin


def test_a_line_split_by_stock_names_what_ships_now_and_what_waits(
    shop: Shop, client: Client
) -> None:
    ids = shop.ids(BIKE)
    shop.execute("UPDATE option SET quantity = 1 WHERE id = :i", i=ids["Gravel Tan"])
    assert add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 3).status_code == 303
    add_to_cart(client, SNEAKER, {}, 1)
    location, number = place_order(client, shop)

    page = text_of(client.get(location).text)

    assert "Part of this order ships now; the rest ships once restocked." in page
    assert (
        f"Ships now: Aero Road Bike {TIMES} 1 Court Sneaker {TIMES} 1"
        f" Ships once restocked: Aero Road Bike {TIMES} 2, waiting for Wheels: Gravel Tan"
    ) in page
    assert "Your order ships once restocked" not in page

    sign_in(shop, client)
    admin_html = client.get(f"/admin/orders/{number}").text
    admin = text_of(admin_html)
    assert "Ship part of this order now and hold the rest until it is restocked." in admin
    assert (
        f"Ship now: Aero Road Bike {TIMES} 1 Court Sneaker {TIMES} 1"
        f" Hold until restocked: Aero Road Bike {TIMES} 2, waiting for Wheels: Gravel Tan"
    ) in admin
    assert "Hold these lines" not in admin
    assert "Cancel order and restock" in admin


def test_a_silent_backorder_promises_the_customer_nothing_and_tells_the_merchant_all(
    shop: Shop, client: Client
) -> None:
    shop.execute("UPDATE product SET backorders = 'allow' WHERE slug = :s", s=BIKE)
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    location, number = place_order(client, shop)

    page = text_of(client.get(location).text)

    assert "We will ship your order as soon as it is ready." in page
    assert "ships now" not in page
    assert "restocked" not in page
    sign_in(shop, client)
    admin = text_of(client.get(f"/admin/orders/{number}").text)
    assert "Nothing can ship yet: hold the whole order until it is restocked." in admin
    assert f"Aero Road Bike {TIMES} 1, waiting for Wheels: Carbon Deep" in admin
    assert "The customer was not told (silent backorder)." in admin


def cancelled_at(shop: Shop, number: str) -> datetime:
    stored = shop.scalar("SELECT cancelled_at FROM customer_order WHERE number = :n", n=number)
    return stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))


def test_a_cancelled_order_says_so_when_and_that_nothing_ships(shop: Shop, client: Client) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 2)
    add_to_cart(client, SNEAKER, {}, 1)
    location, number = place_order(client, shop)
    assert "ships once restocked" in client.get(location).text
    sign_in(shop, client)
    cancelled = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})
    assert cancelled.status_code == 303
    when = in_words(cancelled_at(shop, number))
    assert re.fullmatch(r"\w+day \d{1,2} \w+ 20\d\d at \d\d:\d\d UTC", when)

    html = client.get(location).text
    page = text_of(html)

    assert f'<h1 id="confirmation-heading">Order {number} was cancelled</h1>' in html
    assert f"Cancelled on {when}. Nothing from this order will ship." in page
    assert re.search(r'<time datetime="20\d\d-\d\d-\d\dT\d\d:\d\d\+00:00">', html)
    for gone in ("Thank you", "ships once restocked", "ships now", "Shipping to", "Backorder"):
        assert gone.lower() not in page.lower(), gone
    assert "What the order had" in page
    assert f"Aero Road Bike {TIMES} 2" in page
    assert "Wheels: Carbon Deep" in page
    assert f"Court Sneaker {TIMES} 1" in page
    assert_headings_in_order(html)

    sign_in(shop, client)
    admin_html = client.get(f"/admin/orders/{number}").text
    admin = text_of(admin_html)
    assert f"Cancelled on {when}. Nothing from this order ships" in admin
    for gone in (
        "Hold these lines",
        "Hold until restocked",
        "Ship now",
        "ships once restocked",
        "to follow",
        "(Available Backorder)",
    ):
        assert gone.lower() not in admin.lower(), gone
    assert "Cancel order and restock" not in admin
    assert 'name="confirm"' not in admin_html
    assert_headings_in_order(admin_html)


def test_the_order_pages_keep_their_headings_in_order(shop: Shop, client: Client) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    location, number = place_order(client, shop)

    assert_headings_in_order(client.get(location).text)
    sign_in(shop, client)
    assert_headings_in_order(client.get(f"/admin/orders/{number}").text)
    refused = post_form(client, f"/admin/orders/{number}/cancel")
    assert refused.status_code == 422
    assert_headings_in_order(refused.text)
    refused_page = text_of(refused.text)
    assert "Nothing can ship yet: hold the whole order until it is restocked." in refused_page
    assert "Ship now:" not in refused_page
    assert f"Hold until restocked: Aero Road Bike {TIMES} 1, waiting for" in refused_page
