"""Hostile and malformed values sent to every form and htmx endpoint (Hypothesis).

Whatever arrives, the server never answers 500, and a request it refuses (4xx) leaves the
database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import Shop, add_to_cart, post_form, sign_in

BIKE = "aero-road-bike"

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1e9",
            "NaN",
            "9" * 30,
            "<script>alert(1)</script>",
            "'; DROP TABLE option; --",
            "../../etc/passwd",
            "\x00",
            "\u202e",
            "\uff11\uff12",
            "on",
            "none",
            "notify",
            "in_stock",
            "out_of_stock",
        ]
    ),
)
field_names = st.sampled_from(
    [
        "name",
        "sku",
        "slug",
        "price_delta",
        "base_price",
        "quantity",
        "quantity_seen",
        "backorders",
        "stock_status",
        "stock_management",
        "track_inventory",
        "out_of_stock_threshold",
        "only_x_left_threshold",
        "notify_below",
        "new_option_backorders",
        "allow_custom_backordering",
        "default_option_id",
        "required",
        "direction",
        "product",
        "layer-1",
        "layer-2",
        "layer-99999999999999",
        "backorder_answer",
        "checkout_key",
        "email",
        "customer_name",
        "confirm",
    ]
)
forms = st.dictionaries(field_names, hostile_text, max_size=8)

Target = Callable[[Shop], str]


def _first_line(shop: Shop) -> int:
    return int(shop.scalar("SELECT min(id) FROM cart_line"))


def _option(shop: Shop, name: str) -> str:
    return f"/admin/products/{shop.product_id(BIKE)}/options/{shop.ids(BIKE)[name]}"


SHOP_TARGETS: dict[str, Target] = {
    "configure": lambda s: f"/products/{BIKE}/configure",
    "add-to-cart": lambda s: "/cart/items",
    "cart-line": lambda s: f"/cart/lines/{_first_line(s)}",
    "cart-line-remove": lambda s: f"/cart/lines/{_first_line(s)}/remove",
    "checkout": lambda s: "/checkout",
    "login": lambda s: "/admin/login",
}
ADMIN_TARGETS: dict[str, Target] = {
    "create-product": lambda s: "/admin/products",
    "details": lambda s: f"/admin/products/{s.product_id(BIKE)}/details",
    "settings": lambda s: f"/admin/products/{s.product_id(BIKE)}/settings",
    "add-layer": lambda s: f"/admin/products/{s.product_id(BIKE)}/layers",
    "layer": lambda s: f"/admin/products/{s.product_id(BIKE)}/layers/{s.ids(BIKE)['Wheels']}",
    "move-layer": lambda s: (
        f"/admin/products/{s.product_id(BIKE)}/layers/{s.ids(BIKE)['Wheels']}/move"
    ),
    "add-option": lambda s: (
        f"/admin/products/{s.product_id(BIKE)}/layers/{s.ids(BIKE)['Wheels']}/options"
    ),
    "option": lambda s: _option(s, "Gravel Tan"),
    "reset": lambda s: _option(s, "Gravel Tan") + "/reset/notify_below",
    "delete-product": lambda s: f"/admin/products/{s.product_id(BIKE)}/delete",
}
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _check(shop: Shop, client: TestClient[Litestar], path: str, form: dict[str, str]) -> None:
    for htmx in (False, True):
        before = shop.snapshot()
        multipart = "/options" in path and not path.endswith(("/move", "/default", "/delete"))
        response = post_form(
            client,
            path,
            form,
            htmx=htmx,
            files={"image": ("", b"", "application/octet-stream")} if multipart else None,
        )
        assert response.status_code < 500, (path, form, response.text[:300])
        if response.status_code >= 400:
            assert shop.snapshot() == before, (path, form, response.status_code)


@pytest.mark.parametrize("target", list(SHOP_TARGETS))
def test_shop_forms_survive_hostile_values(
    shop: Shop, client: TestClient[Litestar], target: str
) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1)
    path = SHOP_TARGETS[target](shop)

    @EXAMPLES
    @given(form=forms)
    @example(form={"name": "\x00", "product": "\x00", "email": "a\x00@example.com"})
    def run(form: dict[str, str]) -> None:
        _check(shop, client, path, form)

    run()


@pytest.mark.parametrize("target", list(ADMIN_TARGETS))
def test_admin_forms_survive_hostile_values(
    shop: Shop, client: TestClient[Litestar], target: str
) -> None:
    sign_in(shop, client)
    path = ADMIN_TARGETS[target](shop)

    @EXAMPLES
    @given(form=forms)
    @example(form={"name": "\x00", "sku": "\x00", "slug": "a\x00"})
    def run(form: dict[str, str]) -> None:
        if target == "delete-product":
            form.pop("confirm", None)  # a fuzzed "yes" would delete the product under test
        _check(shop, client, path, form)

    run()


@EXAMPLES
@given(params=st.dictionaries(field_names, hostile_text, max_size=6))
def test_the_configurator_page_survives_hostile_query_strings(
    shop: Shop, client: TestClient[Litestar], params: dict[str, str]
) -> None:
    for headers in (None, {"HX-Request": "true"}):
        response = client.get(f"/products/{BIKE}", params=params, headers=headers)
        assert response.status_code < 500, (params, response.text[:300])


@pytest.mark.parametrize(
    "path",
    ["/products/%00", "/orders/%00", "/products/a%00b/configuration", "/media/%00"],
)
def test_nul_bytes_in_addresses_are_a_plain_404(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404


def test_nul_bytes_in_the_admin_are_refused_plainly(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    before = shop.snapshot()
    login = post_form(client, "/admin/login", {"username": "ad\x00min", "password": "x"})
    assert login.status_code == 401
    sign_in(shop, client)
    assert client.get("/admin/orders/%00").status_code == 404
    assert post_form(client, "/admin/orders/%00/cancel").status_code == 404
    assert shop.count("customer_order") == before["customer_order"]
