"""An option's delivery timeframe ("ships in 2-3 weeks", Lightspeed's delivery timeframes):
set in the option's Stock Management block, said with the backorder notice on the product page,
in the cart, at checkout and on both order pages; an order keeps the timeframe it promised."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import NO_FILE, Shop, add_to_cart, field_errors, post_form, sign_in
from tests.integration.test_order_status import place_order, text_of
from tests.integration.test_stock import option_form

BIKE = "aero-road-bike"
NOTICE = "Available on Backorder - ships in 2-3 weeks"
LABEL = "(Available Backorder) - ships in 2-3 weeks"

Client = TestClient[Litestar]


def save_timeframe(shop: Shop, client: Client, timeframe: str) -> int:
    """The merchant types a timeframe into Carbon Deep's Stock Management block; the status."""
    sign_in(shop, client)
    option = shop.option_id(BIKE, "Wheels", "Carbon Deep")
    form = option_form(shop, option, restock_timeframe=timeframe)
    path = f"/admin/products/{shop.product_id(BIKE)}/options/{option}"
    return post_form(client, path, form, files=NO_FILE).status_code


def order_carbon_deep(shop: Shop, client: Client) -> tuple[str, str]:
    ids = shop.ids(BIKE)
    assert add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 2).status_code == 303
    return place_order(client, shop)


def test_the_timeframe_is_said_everywhere_a_backorder_is(shop: Shop, client: Client) -> None:
    version = shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE)
    assert save_timeframe(shop, client, "ships in 2-3 weeks") == 303
    # An edit of the option: the product's cached pages are made again.
    assert shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE) > version
    option = shop.option_id(BIKE, "Wheels", "Carbon Deep")
    panel = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=option&item={option}").text
    assert 'value="ships in 2-3 weeks"' in panel
    assert f"Shoppers now see: {NOTICE}" in text_of(panel)

    ids = shop.ids(BIKE)
    page = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Carbon Deep']}").text
    assert f'id="notice-{option}">{NOTICE}</span>' in page
    assert "Wheels · Carbon Deep - ships in 2-3 weeks." in text_of(page)

    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 2)
    assert LABEL in text_of(client.get("/cart").text)
    assert LABEL in text_of(client.get("/checkout").text)
    location, number = place_order(client, shop)
    assert LABEL in text_of(client.get(location).text)
    assert LABEL in text_of(client.get(f"/admin/orders/{number}").text)


def test_an_order_keeps_the_timeframe_it_promised(shop: Shop, client: Client) -> None:
    save_timeframe(shop, client, "ships in 2-3 weeks")
    location, number = order_carbon_deep(shop, client)

    assert save_timeframe(shop, client, "ships in 6 weeks") == 303

    assert LABEL in text_of(client.get(location).text)
    assert LABEL in text_of(client.get(f"/admin/orders/{number}").text)
    assert "6 weeks" not in client.get(location).text
    page = client.get(f"/products/{BIKE}").text
    assert "Available on Backorder - ships in 6 weeks" in page


def test_nothing_is_promised_when_the_timeframe_is_cleared(shop: Shop, client: Client) -> None:
    save_timeframe(shop, client, "ships in 2-3 weeks")
    assert save_timeframe(shop, client, "   ") == 303

    assert shop.scalar("SELECT restock_timeframe FROM option WHERE name = 'Carbon Deep'") is None
    location, _number = order_carbon_deep(shop, client)
    page = text_of(client.get(location).text)
    assert "(Available Backorder)" in page
    assert "ships in" not in page
    assert "Available on Backorder -" not in client.get(f"/products/{BIKE}").text


def test_a_silent_backorder_promises_nothing(shop: Shop, client: Client) -> None:
    """Allow backorders without telling the customer: a timeframe would give it away."""
    save_timeframe(shop, client, "ships in 2-3 weeks")
    shop.execute("UPDATE option SET backorders = 'allow' WHERE name = 'Carbon Deep'")
    location, number = order_carbon_deep(shop, client)

    assert "ships in" not in client.get(location).text
    assert "ships in 2-3 weeks" in text_of(client.get(f"/admin/orders/{number}").text)


def test_the_timeframe_is_escaped_and_checked(shop: Shop, client: Client) -> None:
    assert save_timeframe(shop, client, "<b>soon</b> & then") == 303
    page = client.get(f"/products/{BIKE}").text
    assert "Available on Backorder - &lt;b&gt;soon&lt;/b&gt; &amp; then" in page
    assert "<b>soon</b>" not in page

    option = shop.option_id(BIKE, "Wheels", "Carbon Deep")
    form = option_form(shop, option, restock_timeframe="y" * 81)
    before = shop.snapshot()
    response = post_form(
        client, f"/admin/products/{shop.product_id(BIKE)}/options/{option}", form, files=NO_FILE
    )
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "restock_timeframe": "Delivery timeframe must be at most 80 characters."
    }
    assert shop.snapshot() == before
    assert shop.scalar("SELECT restock_timeframe FROM option WHERE name = 'Carbon Deep'") == (
        "<b>soon</b> & then"
    )


def test_a_quantity_partly_in_stock_says_when_the_rest_ships(shop: Shop, client: Client) -> None:
    """A tracked option with 3 on hand: of 5, 2 wait, and the page says for how long."""
    ids = shop.ids(BIKE)
    shop.execute(
        "UPDATE option SET quantity = 3, backorders = 'notify', restock_timeframe = :t"
        " WHERE id = :i",
        t="ships in 10 days",
        i=ids["Gravel Tan"],
    )
    page = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Gravel Tan']}&quantity=5")
    assert "Of 5: 3 ship now, 2 once restocked. Wheels · Gravel Tan - ships in 10 days." in text_of(
        page.text
    )
    assert "Of 1:" not in text_of(
        client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Gravel Tan']}").text
    )
