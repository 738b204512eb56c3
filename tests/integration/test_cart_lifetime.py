"""The cart cookie lives as long as the cart is kept: CART_RETENTION_DAYS from the last change."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from configurator.settings import Settings
from configurator.web.app import create_app
from tests.integration.conftest import Shop, add_to_cart, line_ids, post_form

SNEAKER = "court-sneaker"
DAY = 24 * 60 * 60


def cart_cookie_max_age(response: Response) -> int:
    """The Max-Age of the cart cookie the response sets (fails when it sets none)."""
    headers = response.headers.get_list("set-cookie")
    found = [h for h in headers if h.startswith("cart=")]
    assert found, f"no cart cookie set: {headers}"
    match = re.search(r"max-age=(\d+)", found[0], re.I)
    assert match, found[0]
    return int(match.group(1))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_adding_sets_the_cart_cookie_for_the_retention_days(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    retention = shop.app.state.settings.cart_retention_days

    first = add_to_cart(client, SNEAKER, {}, 1, htmx=htmx)
    again = add_to_cart(client, SNEAKER, {}, 1, htmx=htmx)

    assert cart_cookie_max_age(first) == retention * DAY
    # Adding to a cart the browser already knows starts the cookie's lifetime again too.
    assert cart_cookie_max_age(again) == retention * DAY
    assert "cart=" + client.cookies["cart"] in again.headers["set-cookie"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_changing_or_removing_a_line_sets_the_cart_cookie_again(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    retention = shop.app.state.settings.cart_retention_days
    add_to_cart(client, SNEAKER, {}, 1)
    add_to_cart(client, "aero-road-bike", {}, 1)
    token = client.cookies["cart"]
    sneaker_line, bike_line = line_ids(client.get("/cart").text)

    changed = post_form(client, f"/cart/lines/{sneaker_line}", {"quantity": 2}, htmx=htmx)
    removed = post_form(client, f"/cart/lines/{bike_line}/remove", htmx=htmx)

    for response in (changed, removed):
        assert response.status_code == (200 if htmx else 303)
        assert cart_cookie_max_age(response) == retention * DAY
        assert f"cart={token};" in response.headers["set-cookie"]
    assert line_ids(client.get("/cart").text) == [sneaker_line]


def test_a_refused_change_sets_no_cookie(shop: Shop, client: TestClient[Litestar]) -> None:
    add_to_cart(client, SNEAKER, {}, 1)
    (line,) = line_ids(client.get("/cart").text)

    refused = post_form(client, f"/cart/lines/{line}", {"quantity": "lots"})

    assert refused.status_code == 400
    assert not [h for h in refused.headers.get_list("set-cookie") if h.startswith("cart=")]


@pytest.fixture
def week_client(shop: Shop) -> Iterator[TestClient[Litestar]]:
    """The shop served by an app started with CART_RETENTION_DAYS=7."""
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url="",
        admin_password=None,
        secure_cookies=False,
        cart_retention_days=7,
    )
    with TestClient(create_app(settings, shop.engine)) as test_client:
        yield test_client


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_cart_cookie_follows_a_non_default_retention(
    shop: Shop, week_client: TestClient[Litestar], htmx: bool
) -> None:
    added = add_to_cart(week_client, SNEAKER, {}, 1, htmx=htmx)
    (line,) = line_ids(week_client.get("/cart").text)
    changed = post_form(week_client, f"/cart/lines/{line}", {"quantity": 3}, htmx=htmx)

    assert cart_cookie_max_age(added) == 7 * DAY
    assert cart_cookie_max_age(changed) == 7 * DAY
