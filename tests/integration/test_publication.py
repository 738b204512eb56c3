"""Draft and published products: shoppers see, configure and buy only published ones; the
signed-in merchant previews a draft; publishing needs a configurator a shopper can build."""

from __future__ import annotations

import re

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from configurator.core.configuration import resolve
from configurator.services import cart as carts
from configurator.services import catalog_admin
from configurator.services.catalog import spec_by_id
from configurator.store.db import alembic_config, make_engine, new_session
from configurator.web.app import SECURITY_HEADERS
from configurator.web.common import ADMIN_COOKIE
from configurator.web.fragment_front import FragmentFront
from tests.databases import Databases
from tests.integration.conftest import (
    CUSTOMER,
    HX,
    NO_FILE,
    Shop,
    add_to_cart,
    line_ids,
    notices,
    post_form,
    sign_in,
)
from tests.integration.test_fragment_front import HTMX, Counting, fetch

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
BANNER = "Draft preview \u2013 shoppers cannot see this."


def create_lamp(client: TestClient[Litestar]) -> int:
    """A new product (signed in), with one required layer Shade and no options yet."""
    created = post_form(
        client, "/admin/products", {"name": "Desk Lamp", "slug": "desk-lamp", "base_price": "40"}
    )
    assert created.status_code == 303
    product_id = int(re.findall(r"/admin/products/(\d+)", created.headers["location"])[0])
    added = post_form(
        client, f"/admin/products/{product_id}/layers", {"name": "Shade", "required": "on"}
    )
    assert added.status_code == 303
    return product_id


def as_shopper(client: TestClient[Litestar]) -> None:
    client.cookies.delete(ADMIN_COOKIE)


def test_a_new_product_is_a_draft_that_shoppers_cannot_see_or_buy(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    create_lamp(client)
    assert shop.scalar("SELECT published FROM product WHERE slug = 'desk-lamp'") in (0, False)
    as_shopper(client)

    assert "Desk Lamp" not in client.get("/").text
    assert "Aero Road Bike" in client.get("/").text
    page = client.get("/products/desk-lamp")
    assert page.status_code == 404
    assert "Desk Lamp" not in page.text
    fragment = client.get("/products/desk-lamp/configuration", headers=HX)
    assert fragment.status_code == 404
    assert client.get("/products/desk-lamp", headers=HX).status_code == 404
    assert post_form(client, "/products/desk-lamp/configure", {}).status_code == 404

    before = shop.snapshot()
    refused = add_to_cart(client, "desk-lamp", {}, 1)
    assert refused.status_code == 404
    assert shop.snapshot() == before


def test_the_signed_in_merchant_previews_a_draft_with_a_banner(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    create_lamp(client)

    page = client.get("/products/desk-lamp")
    assert page.status_code == 200
    assert BANNER in page.text
    assert "private" in page.headers["cache-control"]
    fragment = client.get("/products/desk-lamp/configuration", headers=HX)
    assert fragment.status_code == 200
    assert "private" in fragment.headers["cache-control"]
    # Even the merchant cannot put a draft in a cart.
    before = shop.snapshot()
    assert add_to_cart(client, "desk-lamp", {}, 1).status_code == 404
    assert shop.snapshot() == before
    # A published product has no banner.
    assert BANNER not in client.get(f"/products/{BIKE}").text


def test_publishing_is_refused_until_every_required_layer_has_a_choosable_option(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    empty = post_form(
        client, "/admin/products", {"name": "Empty", "slug": "empty", "base_price": "1"}
    )
    empty_id = int(re.findall(r"/admin/products/(\d+)", empty.headers["location"])[0])
    refused = post_form(client, f"/admin/products/{empty_id}/publish")
    assert refused.status_code == 409
    assert "Add at least one layer." in " ".join(notices(refused.text))

    lamp = create_lamp(client)
    before = shop.snapshot()
    refused = post_form(client, f"/admin/products/{lamp}/publish", htmx=True)
    assert refused.status_code == 409
    message = " ".join(notices(refused.text))
    assert "Not published" in message
    assert "Shade is required but has no options yet." in message
    assert shop.snapshot() == before

    shade = shop.scalar("SELECT id FROM layer WHERE name = 'Shade'")
    option = post_form(
        client,
        f"/admin/products/{lamp}/layers/{shade}/options",
        {"name": "Linen", "price_delta": "0"},
        files=NO_FILE,
    )
    assert option.status_code == 303
    published = post_form(client, f"/admin/products/{lamp}/publish")
    assert published.status_code == 303
    editor = client.get(published.headers["location"]).text
    assert "Published: shoppers can now see and buy it." in editor

    as_shopper(client)
    assert "Desk Lamp" in client.get("/").text
    assert client.get("/products/desk-lamp").status_code == 200
    assert BANNER not in client.get("/products/desk-lamp").text
    assert add_to_cart(client, "desk-lamp", {}, 1).status_code == 303


def test_unpublishing_hides_a_product_and_drops_its_cached_fragment(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}"
    assert fetch(front, path, HTMX).status_code == 200
    assert fetch(front, path, HTMX).status_code == 200
    assert counting.calls == 1  # the repeat came from memory

    sign_in(shop, client)
    unpublished = post_form(client, f"/admin/products/{shop.product_id(BIKE)}/unpublish")
    assert unpublished.status_code == 303

    gone = fetch(front, path, HTMX)
    assert gone.status_code == 404
    assert counting.calls == 2
    assert fetch(front, path, HTMX).status_code == 404  # a 404 is never kept
    as_shopper(client)
    assert client.get(f"/products/{BIKE}").status_code == 404
    assert "Aero Road Bike" not in client.get("/").text


def test_a_product_unpublished_after_adding_is_flagged_and_checkout_refuses_it(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    add_to_cart(client, BIKE, {}, 1)
    add_to_cart(client, SNEAKER, {}, 1)
    with new_session(shop.engine) as session:
        catalog_admin.unpublish_product(session, shop.product_id(BIKE))

    cart = client.get("/cart")
    assert cart.status_code == 200
    assert len(line_ids(cart.text)) == 2
    assert "This product is no longer sold. Please remove it." in cart.text
    assert 'href="/checkout"' not in cart.text

    before = shop.snapshot()
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303
    assert response.headers["location"] == "/cart?checkout=attention"
    assert "This product is no longer sold." in client.get(response.headers["location"]).text
    assert shop.count("customer_order") == 0
    assert shop.snapshot() == before


def test_upgrading_keeps_existing_products_published(databases: Databases) -> None:
    url = databases.empty("before_publication")
    config = alembic_config(url)
    command.upgrade(config, "0005")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO product (name, slug, description, base_price_cents,"
                " stock_management, backorders, out_of_stock_threshold, only_x_left_threshold,"
                " notify_below, allow_custom_backordering, created_at, updated_at) VALUES"
                " ('Live Lamp', 'live-lamp', '', 100, true, 'no', 0, 0, 1, false,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        published = connection.execute(
            text("SELECT published FROM product WHERE slug = 'live-lamp'")
        ).scalar_one()
    assert published in (1, True)
    with new_session(engine) as session:
        draft = catalog_admin.create_product(
            session, {"name": "New Lamp", "slug": "new-lamp", "base_price": "1"}
        )
        assert draft.published is False
    command.downgrade(config, "0005")
    engine.dispose()
    databases.discard(url)


def test_the_cart_use_case_itself_refuses_a_draft(shop: Shop) -> None:
    """Behind the 404s: adding a draft's configuration is refused and writes nothing."""
    with new_session(shop.engine) as session:
        catalog_admin.unpublish_product(session, shop.product_id(SNEAKER))
    before = shop.snapshot()
    with new_session(shop.engine) as session:
        spec = spec_by_id(session, shop.product_id(SNEAKER))
        assert spec is not None and not spec.published
        with pytest.raises(carts.CartError, match="not on sale"):
            carts.add_item(
                session, cart_token="t" * 43, configuration=resolve(spec, {}), quantity=1
            )
    assert shop.snapshot() == before
