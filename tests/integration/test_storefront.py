"""Storefront over HTTP: the product list, the configurator page and its htmx fragment."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import (
    CUSTOMER,
    HX,
    Shop,
    add_to_cart,
    cents,
    notices,
    post_form,
    sign_in,
    varies_on_htmx,
)

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
OOB_IDS = ("preview", "price", "availability", "add-to-cart")


def total(html: str) -> int:
    match = re.search(r'id="price"[^>]*>.*?class="amount">([^<]+)<', html, re.S)
    assert match, "no total shown"
    return cents(match.group(1))


def add_button(html: str) -> str:
    match = re.search(r'<button id="add-to-cart".*?</button>', html, re.S)
    assert match, "no add-to-cart button"
    return match.group(0)


def test_index_lists_every_product_with_its_starting_price(client: TestClient[Litestar]) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert varies_on_htmx(response)
    assert 'href="/products/aero-road-bike"' in response.text
    assert 'href="/products/court-sneaker"' in response.text
    assert "Aero Road Bike" in response.text
    assert "Court Sneaker" in response.text
    # The lowest price a shopper can actually buy: the Flat Bar (-$20.00) makes $1,279.00.
    assert "from $1,279.00" in response.text
    assert "from $119.00" in response.text


def test_product_page_is_a_full_page_with_the_default_configuration(
    client: TestClient[Litestar],
) -> None:
    response = client.get(f"/products/{BIKE}")

    assert response.status_code == 200
    assert varies_on_htmx(response)
    html = response.text
    assert html.lstrip().startswith("<!doctype html>")
    assert "<h1>Aero Road Bike</h1>" in html
    assert 'name="_csrf_token"' in html
    assert total(html) == 129_900
    assert notices(html, "instock") == ["In stock, ready to build."]
    assert "disabled" not in add_button(html)
    # The Out of Stock wheels are offered on backorder, not hidden or disabled.
    assert "Carbon Deep" in html
    assert "Available on Backorder" in html
    for element_id in OOB_IDS:
        assert f'id="{element_id}"' in html
    assert "hx-swap-oob" not in html


def test_htmx_request_gets_only_the_out_of_band_fragment(
    client: TestClient[Litestar],
) -> None:
    response = client.get(f"/products/{BIKE}", headers=HX)

    assert response.status_code == 200
    assert varies_on_htmx(response)
    html = response.text
    assert "<html" not in html
    assert "<form" not in html
    for element_id in OOB_IDS:
        assert re.search(rf'id="{element_id}"[^>]*hx-swap-oob="true"', html), element_id
    assert total(html) == 129_900


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_choosing_a_backordered_option_shows_the_notice_and_the_higher_total(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    ids = shop.ids(BIKE)
    query = f"layer-{ids['Wheels']}={ids['Carbon Deep']}"

    response = client.get(f"/products/{BIKE}?{query}", headers=HX if htmx else None)

    assert response.status_code == 200
    assert varies_on_htmx(response)
    html = response.text
    assert total(html) == 129_900 + 45_000
    backorder = notices(html, "backorder")
    assert len(backorder) == 1
    assert "Available on Backorder" in backorder[0]
    assert "Wheels · Carbon Deep" in backorder[0]
    assert "Ships once restocked" in backorder[0]
    assert "disabled" not in add_button(html)
    assert "Add to cart" in add_button(html)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_choosing_an_unavailable_option_says_why_and_disables_the_add_button(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    laces = shop.ids(SNEAKER)["Laces"]
    neon = shop.option_id(SNEAKER, "Laces", "Neon Yellow")

    response = client.get(f"/products/{SNEAKER}?layer-{laces}={neon}", headers=HX if htmx else None)

    # A page, not an error: a shared link, a reload or the Back button must still show it.
    assert response.status_code == 200
    assert varies_on_htmx(response)
    assert ("<html" in response.text) is not htmx
    assert "Laces: Neon Yellow is out of stock and cannot be ordered." in notices(response.text)
    button = add_button(response.text)
    assert "disabled" in button
    assert 'aria-disabled="true"' in button
    assert "Cannot be ordered" in button


def test_sneaker_page_marks_the_unavailable_laces_and_defaults_to_buyable_ones(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    neon = shop.option_id(SNEAKER, "Laces", "Neon Yellow")

    response = client.get(f"/products/{SNEAKER}")

    assert response.status_code == 200
    radio = re.search(rf'<input type="radio"[^>]*value="{neon}"[^>]*>', response.text)
    assert radio and "disabled" in radio.group(0)
    assert f'id="notice-{neon}">Out of Stock<' in response.text
    assert "Available on Backorder" not in response.text
    assert "disabled" not in add_button(response.text)


def test_the_page_can_be_shared_by_its_url(shop: Shop, client: TestClient[Litestar]) -> None:
    ids = shop.ids(BIKE)
    query = (
        f"layer-{ids['Wheels']}={ids['Gravel Tan']}&layer-{ids['Frame']}={ids['Forest Green']}"
        f"&layer-{ids['Accessory']}={ids['Brass Bell']}"
    )

    response = client.get(f"/products/{BIKE}?{query}")

    assert response.status_code == 200
    # The Gravel Tan wheels hide the Drop Bar (a demo rule): the Flat Bar (-20.00) comes instead.
    assert total(response.text) == 129_900 + 12_000 + 5_000 + 1_900 - 2_000
    for option in ("Gravel Tan", "Forest Green", "Brass Bell"):
        assert re.search(rf'value="{ids[option]}"\s*checked', response.text), option


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_unknown_product_is_a_404_page(client: TestClient[Litestar], htmx: bool) -> None:
    response = client.get("/products/no-such-bike", headers=HX if htmx else None)

    assert response.status_code == 404
    assert varies_on_htmx(response)
    assert "We could not find that product" in response.text
    if htmx:
        assert response.headers["HX-Retarget"] == "#flash"
        assert "<html" not in response.text
    else:
        assert "<h1>Not found</h1>" in response.text


def test_option_images_are_served_with_safe_headers(client: TestClient[Litestar]) -> None:
    page = client.get(f"/products/{BIKE}").text
    src = re.search(r'<img src="(/media/\d+\?v=[0-9a-f]+)"', page)
    assert src

    response = client.get(src.group(1))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.content.lstrip().startswith((b"<svg", b"<?xml"))


def test_no_js_update_redirects_to_the_shareable_url(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    form = {
        f"layer-{ids['Wheels']}": ids["Carbon Deep"],
        f"layer-{ids['Saddle']}": ids["Honey Leather"],
        "quantity": 1,
        "product": BIKE,
    }
    before = shop.snapshot()

    response = post_form(client, f"/products/{BIKE}/configure", form)

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == f"/products/{BIKE}"
    query = dict(parse_qsl(location.query))
    assert query[f"layer-{ids['Wheels']}"] == str(ids["Carbon Deep"])
    assert query[f"layer-{ids['Saddle']}"] == str(ids["Honey Leather"])
    assert query[f"layer-{ids['Accessory']}"] == "none"
    assert "quantity" not in query
    assert "_csrf_token" not in query
    assert shop.snapshot() == before

    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert total(page.text) == 129_900 + 45_000 + 8_500
    assert "Available on Backorder" in notices(page.text, "backorder")[0]


def test_no_js_update_keeps_an_unavailable_choice_visible_as_refused(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    laces = shop.ids(SNEAKER)["Laces"]
    neon = shop.option_id(SNEAKER, "Laces", "Neon Yellow")

    response = post_form(client, f"/products/{SNEAKER}/configure", {f"layer-{laces}": neon})

    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Cannot be ordered" in add_button(page.text)
    # The refused choice stays selected (and sendable) so the form says what the page shows.
    radio = re.search(rf'<input type="radio"[^>]*value="{neon}"[^>]*>', page.text)
    assert radio and "checked" in radio.group(0) and "disabled" not in radio.group(0)


def test_prices_on_the_page_use_money_formatting(client: TestClient[Litestar]) -> None:
    html = client.get(f"/products/{BIKE}").text

    assert "+$450.00" in html  # Carbon Deep
    assert "-$20.00" in html  # Flat Bar, Silver


def test_every_page_and_fragment_varies_on_hx_request(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Pages and fragments share URLs, so every answer must say it depends on HX-Request."""
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    order = post_form(client, "/checkout", CUSTOMER).headers["location"]
    add_to_cart(client, SNEAKER, {}, 1)
    sign_in(shop, client)
    bike = shop.product_id(BIKE)
    laces, neon = shop.ids(SNEAKER)["Laces"], shop.ids(SNEAKER)["Neon Yellow"]
    paths = [
        "/",
        f"/products/{BIKE}",
        f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Carbon Deep']}",
        f"/products/{BIKE}?layer-{ids['Wheels']}=abc",
        f"/products/{SNEAKER}?layer-{laces}={neon}",
        "/products/nope",
        "/cart",
        "/checkout",
        order,
        "/orders/nope",
        "/no/such/page",
        "/admin/login",
        "/admin",
        "/admin/orders",
        "/admin/products/new",
        f"/admin/products/{bike}",
        f"/admin/products/{bike}/panel/settings",
        f"/admin/products/{bike}/panel/option?item={ids['Carbon Deep']}",
        "/admin/products/999999",
    ]
    for path in paths:
        for headers in (None, HX):
            response = client.get(path, headers=headers, follow_redirects=False)
            assert response.status_code < 500, path
            assert varies_on_htmx(response), f"{path} {headers}: {response.headers.get('vary')}"


def test_what_an_add_says_is_swapped_into_a_live_region_that_stays_on_the_page(
    client: TestClient[Litestar],
) -> None:
    page = client.get(f"/products/{BIKE}").text
    region = re.search(
        r'<div class="purchase-status" aria-live="polite">\s*<div id="purchase-dialog"', page
    )
    assert region, "the add's answer is not inside a live region already on the page"
    added = add_to_cart(client, BIKE, htmx=True)
    assert 'id="purchase-dialog"' in added.text
    assert "Added to your cart." in added.text
    assert "purchase-status" not in added.text  # the region itself is never replaced
