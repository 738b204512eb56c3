"""What the server shows of itself: HEAD answered like GET, no public schema of the admin,
private pages that no cache keeps."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form, sign_in

BIKE = "aero-road-bike"


def media_path(client: TestClient[Litestar]) -> str:
    found = re.search(r'<img src="(/media/\d+\?v=[0-9a-f]+)"', client.get(f"/products/{BIKE}").text)
    assert found
    return found.group(1)


def place_order(shop: Shop, client: TestClient[Litestar]) -> str:
    ids = shop.ids(BIKE)
    assert add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1).status_code == 303
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_head_is_answered_like_get_without_a_body(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    paths = [
        "/",
        f"/products/{BIKE}",
        media_path(client),
        "/static/css/app.css",
        "/admin",
        f"/admin/products/{shop.product_id(BIKE)}",
        "/cart",
    ]
    for path in paths:
        got = client.get(path)
        head = client.head(path)
        assert got.status_code == 200, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        if not path.startswith("/static/"):  # Litestar's own file response leaves it out
            assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-security-policy"], path


def test_head_of_a_missing_page_is_a_404_and_a_post_only_route_still_refuses_it(
    client: TestClient[Litestar],
) -> None:
    assert client.head("/products/no-such-product").status_code == 404
    assert client.head("/media/999999").status_code == 404
    assert client.head("/cart/items").status_code == 405


@pytest.mark.parametrize("path", ["/schema", "/schema/openapi.json", "/schema/swagger"])
def test_no_schema_lists_the_routes(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert "/admin" not in response.text


def test_admin_pages_and_sign_in_are_never_cached(shop: Shop, client: TestClient[Litestar]) -> None:
    login = client.get("/admin/login")
    assert login.status_code == 200
    assert login.headers["cache-control"] == "no-store"

    sign_in(shop, client)
    for path in (
        "/admin",
        f"/admin/products/{shop.product_id(BIKE)}",
        "/admin/orders",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path


def test_the_customers_order_page_is_never_cached_and_public_pages_are_unaffected(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    order = client.get(place_order(shop, client))
    assert order.status_code == 200
    assert order.headers["cache-control"] == "no-store"

    for path in ("/", f"/products/{BIKE}"):
        assert "cache-control" not in client.get(path).headers, path
    media = client.get(media_path(client))
    assert media.headers["cache-control"] == "public, max-age=31536000, immutable"
