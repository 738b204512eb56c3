"""The merchant admin over HTTP: sign-in, Global Settings, options, new products, orders."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import (
    ADMIN_PASSWORD,
    CUSTOMER,
    HX,
    NO_FILE,
    PNG,
    SVG,
    Shop,
    add_to_cart,
    csrf,
    login,
    notices,
    post_form,
    sign_in,
    varies_on_htmx,
)
from tests.unit.test_svg_cleaning import canonical

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"


def item_id(location: str) -> int:
    return int(parse_qs(urlsplit(location).query)["item"][0])


def admin_pages(shop: Shop) -> list[str]:
    bike = shop.product_id(BIKE)
    ids = shop.ids(BIKE)
    return [
        "/admin",
        "/admin/",
        "/admin/products/new",
        f"/admin/products/{bike}",
        f"/admin/products/{bike}?panel=settings",
        f"/admin/products/{bike}/panel/settings",
        f"/admin/products/{bike}/panel/layer?item={ids['Wheels']}",
        f"/admin/products/{bike}/panel/option?item={ids['Carbon Deep']}",
        "/admin/orders",
        "/admin/orders/CFG-NOTREAL",
        "/admin/products/999999",
    ]


def admin_posts(shop: Shop) -> list[str]:
    bike = shop.product_id(BIKE)
    ids = shop.ids(BIKE)
    base = f"/admin/products/{bike}"
    return [
        "/admin/products",
        f"{base}/details",
        f"{base}/settings",
        f"{base}/delete",
        f"{base}/publish",
        f"{base}/unpublish",
        f"{base}/layers",
        f"{base}/layers/{ids['Wheels']}",
        f"{base}/layers/{ids['Wheels']}/move",
        f"{base}/layers/{ids['Wheels']}/delete",
        f"{base}/layers/{ids['Wheels']}/options",
        f"{base}/options/{ids['Carbon Deep']}",
        f"{base}/options/{ids['Carbon Deep']}/move",
        f"{base}/options/{ids['Carbon Deep']}/default",
        f"{base}/options/{ids['Carbon Deep']}/delete",
    ]


# Signing in --------------------------------------------------------------------------------------


def test_every_admin_page_requires_login(shop: Shop, client: TestClient[Litestar]) -> None:
    for path in admin_pages(shop):
        plain = client.get(path, follow_redirects=False)
        assert plain.status_code == 303, path
        target = urlsplit(plain.headers["location"])
        assert target.path == "/admin/login", path
        # The sign-in brings the merchant back to the very page asked for, query included.
        back = urlsplit(parse_qs(target.query)["next"][0])
        assert back.path.rstrip("/") == urlsplit(path).path.rstrip("/"), path
        assert back.query == urlsplit(path).query, path

        htmx = client.get(path, headers=HX, follow_redirects=False)
        assert htmx.status_code == 401, path
        assert htmx.headers["HX-Redirect"].startswith("/admin/login?next="), path
        assert htmx.text == "", path


def test_every_admin_action_requires_login_and_changes_nothing(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    before = shop.snapshot()
    for path in admin_posts(shop):
        plain = post_form(client, path, {"name": "Hacked", "slug": "hacked", "base_price": "1"})
        assert plain.status_code == 303, path
        assert plain.headers["location"].startswith("/admin/login?next="), path
        htmx = post_form(client, path, {"name": "Hacked"}, htmx=True)
        assert htmx.status_code == 401, path
        assert "HX-Redirect" in htmx.headers, path
    assert shop.snapshot() == before


def test_a_forged_session_cookie_is_not_a_login(shop: Shop, client: TestClient[Litestar]) -> None:
    client.cookies.set("admin_session", "x" * 43)

    response = client.get("/admin", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


def test_login_page_is_a_form(client: TestClient[Litestar]) -> None:
    response = client.get("/admin/login?next=/admin/orders")

    assert response.status_code == 200
    assert varies_on_htmx(response)
    assert 'name="password"' in response.text
    assert 'name="next" value="/admin/orders"' in response.text


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password-1"), ("nobody", ADMIN_PASSWORD), ("admin", ""), ("", "")],
)
def test_wrong_credentials_are_refused_without_a_session(
    shop: Shop, client: TestClient[Litestar], username: str, password: str
) -> None:
    before = shop.snapshot()

    response = post_form(client, "/admin/login", {"username": username, "password": password})

    assert response.status_code == 401
    assert "That username and password do not match." in response.text
    assert "admin_session" not in response.cookies
    assert shop.count("admin_session") == 0
    assert shop.snapshot() == before
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_login_opens_the_dashboard(shop: Shop, client: TestClient[Litestar]) -> None:
    response = post_form(
        client,
        "/admin/login",
        {"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/orders"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/orders"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("admin_session=")
    assert "HttpOnly" in cookie
    assert shop.count("admin_session") == 1

    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    assert varies_on_htmx(dashboard)
    assert "Configurable products" in dashboard.text
    assert "Aero Road Bike" in dashboard.text
    assert "On, backorders allowed" in dashboard.text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/admin", "/cart", "/admin//evil.example"]
)
def test_login_never_redirects_outside_the_admin(client: TestClient[Litestar], target: str) -> None:
    response = post_form(
        client, "/admin/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


def test_logout_ends_the_session(shop: Shop, client: TestClient[Litestar]) -> None:
    login(client)
    token = client.cookies["admin_session"]

    response = post_form(client, "/admin/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert shop.count("admin_session") == 0
    client.cookies.set("admin_session", token)  # even a kept copy of the cookie is dead
    assert client.get("/admin", follow_redirects=False).status_code == 303


# Global Settings ---------------------------------------------------------------------------------


def test_global_settings_toggle_backorder_and_the_storefront_follows(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    bike = shop.product_id(BIKE)
    ids = shop.ids(BIKE)
    carbon_url = f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Carbon Deep']}"
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    login(client)
    assert client.get(carbon_url).status_code == 200

    off = post_form(
        client,
        f"/admin/products/{bike}/settings",
        {"stock_management": "on", "backorders": "no"},
    )

    assert off.status_code == 303
    assert off.headers["location"] == f"/admin/products/{bike}?panel=settings&saved=settings"
    assert shop.scalar("SELECT backorders FROM product WHERE id = :i", i=bike) == "no"
    editor = client.get(off.headers["location"]).text
    assert "Global Settings saved." in editor
    assert re.search(r'id="backorders-no"[^>]*checked', editor)
    assert not re.search(r'id="backorders-notify"[^>]*checked', editor)

    refused = client.get(carbon_url)
    assert refused.status_code == 200
    assert "Wheels: Carbon Deep is out of stock and cannot be ordered." in notices(refused.text)
    assert f'id="notice-{ids["Carbon Deep"]}">Out of Stock<' in client.get(f"/products/{BIKE}").text
    cart = client.get("/cart").text
    assert "Carbon Deep is out of stock and cannot be ordered." in cart
    refused = post_form(client, "/checkout", CUSTOMER)
    assert refused.headers["location"] == "/cart?checkout=attention"
    assert shop.count("customer_order") == 0

    on = post_form(
        client,
        f"/admin/products/{bike}/settings",
        {"stock_management": "on", "backorders": "notify"},
    )

    assert on.status_code == 303
    assert shop.scalar("SELECT backorders FROM product WHERE id = :i", i=bike) == "notify"
    again = client.get(carbon_url)
    assert again.status_code == 200
    assert "Available on Backorder" in notices(again.text, "backorder")[0]
    assert "(Available Backorder)" in client.get("/cart").text


def test_turning_stock_management_off_makes_everything_buyable(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sneaker = shop.product_id(SNEAKER)
    laces = shop.ids(SNEAKER)["Laces"]
    neon = shop.option_id(SNEAKER, "Laces", "Neon Yellow")
    login(client)

    response = post_form(client, f"/admin/products/{sneaker}/settings", {"backorders": "no"})

    assert response.status_code == 303
    page = client.get(f"/products/{SNEAKER}?layer-{laces}={neon}")
    assert page.status_code == 200
    assert "Out of Stock" not in page.text
    assert "In stock, ready to build." in notices(page.text, "instock")


def test_saving_settings_with_htmx_answers_the_editor_fragment(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    bike = shop.product_id(BIKE)
    login(client)

    response = post_form(
        client,
        f"/admin/products/{bike}/settings",
        {"stock_management": "on", "backorders": "no"},
        htmx=True,
    )

    assert response.status_code == 200
    assert varies_on_htmx(response)
    assert response.text.lstrip().startswith('<div id="editor"')
    assert "<html" not in response.text
    assert "Global Settings saved." in response.text
    assert shop.scalar("SELECT backorders FROM product WHERE id = :i", i=bike) == "no"


def test_editor_panels_load_as_fragments(shop: Shop, client: TestClient[Litestar]) -> None:
    bike = shop.product_id(BIKE)
    carbon = shop.ids(BIKE)["Carbon Deep"]
    login(client)

    response = client.get(f"/admin/products/{bike}/panel/option?item={carbon}", headers=HX)

    assert response.status_code == 200
    assert varies_on_htmx(response)
    assert response.text.lstrip().startswith('<section id="right-panel"')
    assert "Option: Carbon Deep" in response.text
    assert "Available on Backorder" in response.text
    full = client.get(f"/admin/products/{bike}?panel=option&item={carbon}")
    assert full.status_code == 200
    assert "<html" in full.text
    assert "Option: Carbon Deep" in full.text


# Options -----------------------------------------------------------------------------------------


def test_saving_an_option_changes_the_storefront(shop: Shop, client: TestClient[Litestar]) -> None:
    bike = shop.product_id(BIKE)
    ids = shop.ids(BIKE)
    login(client)

    response = post_form(
        client,
        f"/admin/products/{bike}/options/{ids['Carbon Deep']}",
        {
            "name": "Carbon Deep 60",
            "sku": "WH-CARBON-60",
            "price_delta": "475.50",
            "stock_management": "on",
            "stock_status": "in_stock",
        },
        files={"image": ("wheels.png", PNG, "image/png")},
    )

    assert response.status_code == 303
    assert item_id(response.headers["location"]) == ids["Carbon Deep"]
    row = shop.scalar(
        "SELECT name || '|' || sku || '|' || price_delta_cents || '|' || stock_status "
        "FROM option WHERE id = :i",
        i=ids["Carbon Deep"],
    )
    assert row == "Carbon Deep 60|WH-CARBON-60|47550|in_stock"
    page = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Carbon Deep']}")
    assert page.status_code == 200
    assert "Carbon Deep 60" in page.text
    assert "+$475.50" in page.text
    assert "Available on Backorder" not in page.text
    new_image = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=ids["Carbon Deep"])
    assert f'<img src="/media/{new_image}?v=' in page.text
    media = client.get(f"/media/{new_image}")
    assert media.headers["content-type"] == "image/png"
    assert media.content == PNG


def test_saving_an_option_with_htmx_answers_the_editor(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    bike = shop.product_id(BIKE)
    carbon = shop.ids(BIKE)["Carbon Deep"]
    login(client)

    response = client.post(
        f"/admin/products/{bike}/options/{carbon}",
        data={"name": "Carbon Deep", "price_delta": "450", "stock_status": "out_of_stock"},
        files=NO_FILE,
        headers={**HX, "X-CSRFToken": csrf(client)},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="editor"')
    assert "Option saved." in response.text
    # Stock management unticked: the option no longer counts as out of stock.
    assert shop.scalar("SELECT stock_management FROM option WHERE id = :i", i=carbon) == 0
    page = client.get(f"/products/{BIKE}").text
    assert f'id="notice-{carbon}"' not in page


def test_marking_an_option_out_of_stock_blocks_carts_holding_it(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sneaker = shop.product_id(SNEAKER)
    laces = shop.ids(SNEAKER)["Laces"]
    black = shop.option_id(SNEAKER, "Laces", "Black")
    add_to_cart(client, SNEAKER, {laces: black}, 1)
    sign_in(shop, client)

    response = post_form(
        client,
        f"/admin/products/{sneaker}/options/{black}",
        {
            "name": "Black",
            "sku": "LA-BLACK",
            "price_delta": "0",
            "stock_management": "on",
            "stock_status": "out_of_stock",
        },
        files=NO_FILE,
    )

    assert response.status_code == 303
    editor = client.get(response.headers["location"]).text
    assert "Out of Stock (cannot be ordered)" in editor
    assert (
        "Allow backorders in Global Settings (Enable Backorder), or for this option, to keep "
        "selling it." in editor
    )
    assert "Laces: Black is out of stock and cannot be ordered." in client.get("/cart").text
    refused = post_form(client, "/checkout", CUSTOMER)
    assert refused.headers["location"] == "/cart?checkout=attention"
    assert shop.count("customer_order") == 0
    page = client.get(f"/products/{SNEAKER}?layer-{laces}={black}")
    assert page.status_code == 200
    assert "Cannot be ordered" in page.text


# A product from scratch --------------------------------------------------------------------------


def test_creating_a_product_from_scratch_puts_it_on_the_storefront(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    login(client)
    form = client.get("/admin/products/new")
    assert form.status_code == 200
    assert 'name="base_price"' in form.text

    created = post_form(
        client,
        "/admin/products",
        {
            "name": "Desk Lamp",
            "slug": "desk-lamp",
            "description": "A lamp you build.",
            "base_price": "49.90",
        },
    )
    assert created.status_code == 303
    product = shop.product_id("desk-lamp")
    assert created.headers["location"] == f"/admin/products/{product}?panel=new-layer&saved=created"
    assert "Product created." in client.get(created.headers["location"]).text

    layer = post_form(
        client, f"/admin/products/{product}/layers", {"name": "Shade", "required": "on"}
    )
    assert layer.status_code == 303
    layer_id = item_id(layer.headers["location"])
    assert shop.scalar("SELECT name FROM layer WHERE id = :i", i=layer_id) == "Shade"

    option = post_form(
        client,
        f"/admin/products/{product}/layers/{layer_id}/options",
        {"name": "Linen", "sku": "SH-LINEN", "price_delta": "12.00"},
        files={"image": ("shade.svg", SVG, "image/svg+xml")},
    )
    assert option.status_code == 303
    option_id = item_id(option.headers["location"])
    assert shop.scalar("SELECT default_option_id FROM layer WHERE id = :i", i=layer_id) == option_id
    assert 'href="/products/desk-lamp"' not in client.get("/").text  # a draft until published
    assert post_form(client, f"/admin/products/{product}/publish").status_code == 303

    index = client.get("/").text
    assert 'href="/products/desk-lamp"' in index
    assert "from $61.90" in index  # the base price plus the one Shade a shopper can pick
    page = client.get("/products/desk-lamp")
    assert page.status_code == 200
    assert "<h1>Desk Lamp</h1>" in page.text
    assert "$61.90" in page.text
    image_id = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=option_id)
    assert f'src="/media/{image_id}?v=' in page.text
    media = client.get(f"/media/{image_id}")
    assert media.headers["content-type"].startswith("image/svg+xml")
    assert canonical(media.content) == canonical(SVG)  # the same drawing, as cleaned

    added = add_to_cart(client, "desk-lamp", {layer_id: option_id}, 2)
    assert added.status_code == 303
    assert "$123.80" in client.get("/cart").text


# Orders ------------------------------------------------------------------------------------------


def test_admin_orders_mark_the_backordered_ones(shop: Shop, client: TestClient[Litestar]) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    assert post_form(client, "/checkout", CUSTOMER).status_code == 303
    add_to_cart(client, SNEAKER, {}, 1)
    assert post_form(client, "/checkout", {**CUSTOMER, "customer_name": "Grace"}).status_code == 303
    backordered = shop.scalar("SELECT number FROM customer_order WHERE has_backorder")
    ready = shop.scalar("SELECT number FROM customer_order WHERE NOT has_backorder")
    login(client)

    listing = client.get("/admin/orders")

    assert listing.status_code == 200
    rows = {
        number: row
        for row in re.findall(r"<tr>.*?</tr>", listing.text, re.S)
        for number in (backordered, ready)
        if number in row
    }
    assert "Awaiting stock" in rows[backordered]
    assert "$1,749.00" in rows[backordered]
    assert "Ready to ship" in rows[ready]
    assert "Grace" in rows[ready]
    assert backordered in client.get("/admin").text

    detail = client.get(f"/admin/orders/{backordered}")
    assert detail.status_code == 200
    assert "Nothing can ship yet: hold the whole order until it is restocked." in detail.text
    assert "(Available Backorder)" in detail.text
    assert "WH-CARBON" in detail.text
    assert CUSTOMER["address_line1"] in detail.text

    plain = client.get(f"/admin/orders/{ready}")
    assert "Everything is in stock: ship the whole order now." in plain.text
    assert "restocked" not in plain.text
    assert "(Available Backorder)" not in plain.text


def test_unknown_admin_order_is_404(client: TestClient[Litestar]) -> None:
    login(client)

    response = client.get("/admin/orders/CFG-NOTREAL")

    assert response.status_code == 404
    assert "No such order." in response.text


def test_deleting_a_product_needs_the_confirmation_box(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sneaker = shop.product_id(SNEAKER)
    sign_in(shop, client)
    before = shop.snapshot()

    refused = post_form(client, f"/admin/products/{sneaker}/delete")

    assert refused.status_code == 422
    assert "Tick the box to confirm" in refused.text
    assert shop.snapshot() == before

    deleted = post_form(client, f"/admin/products/{sneaker}/delete", {"confirm": "yes"})

    assert deleted.status_code == 303
    assert "Product deleted." in client.get(deleted.headers["location"]).text
    assert client.get(f"/products/{SNEAKER}").status_code == 404


def test_too_many_failed_sign_ins_lock_the_account_from_that_address(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    wrong = {"username": "admin", "password": "not-the-password"}
    for _ in range(5):
        assert post_form(client, "/admin/login", wrong).status_code == 401
    sessions = shop.count("admin_session")

    # Even the right password is not checked while the account is locked from here.
    locked = post_form(client, "/admin/login", {"username": "admin", "password": ADMIN_PASSWORD})

    assert locked.status_code == 429
    assert "Too many failed sign-ins for this account." in locked.text
    assert "try again in 15 minutes" in locked.text
    assert shop.count("admin_session") == sessions

    # The window passes: the right password works again and clears the count.
    shop.execute("UPDATE login_attempt SET created_at = :t", t="2000-01-01 00:00:00")
    assert (
        post_form(
            client, "/admin/login", {"username": "admin", "password": ADMIN_PASSWORD}
        ).status_code
        == 303
    )


def test_cookies_are_secure_when_served_over_https(shop: Shop) -> None:
    with TestClient(shop.app, base_url="https://shop.example") as client:
        client.get("/admin/login")
        response = client.post(
            "/admin/login",
            data={
                "username": "admin",
                "password": ADMIN_PASSWORD,
                "_csrf_token": client.cookies["csrftoken"],
            },
            follow_redirects=False,
        )
    assert response.status_code == 303
    session_cookie = response.headers["set-cookie"]
    assert session_cookie.startswith("admin_session=")
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie
