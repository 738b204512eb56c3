"""Issue #8, item 6 (follow-up): an order page lists the options the shopper saw when they
ordered, whatever the merchant changes in the catalog afterwards; migration 0008."""

from __future__ import annotations

from alembic import command
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from configurator.store.db import alembic_config, make_engine
from tests.integration.conftest import NO_FILE, Shop, add_to_cart, post_form, sign_in
from tests.integration.test_cart_checkout import BIKE, carbon, option_row, place_order


def test_a_layer_given_a_second_option_after_the_order_stays_off_the_order_page(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Found failing: the merchant adds a second Backdrop, and an old confirmation starts
    listing "Backdrop: Studio · included", a layer the shopper never saw."""
    add_to_cart(client, BIKE, carbon(shop), 1)
    order_page = place_order(client)
    assert "Backdrop" not in client.get(order_page).text

    sign_in(shop, client)
    product, backdrop = shop.product_id(BIKE), shop.ids(BIKE)["Backdrop"]
    added = post_form(
        client,
        f"/admin/products/{product}/layers/{backdrop}/options",
        {"name": "Loft", "sku": "BK-LOFT", "price_delta": "0"},
        files=NO_FILE,
    )
    assert added.status_code == 303
    assert "Backdrop" in client.get(f"/products/{BIKE}").text, "shoppers now choose a backdrop"

    confirmation = client.get(order_page).text
    option_row(confirmation, "Carbon Deep")
    assert "Backdrop" not in confirmation
    # The merchant's order page lists every option the order recorded.
    number = shop.scalar("SELECT number FROM customer_order")
    assert "BK-STUDIO" in option_row(client.get(f"/admin/orders/{number}").text, "Studio")


def test_a_layer_cut_down_to_one_option_after_the_order_keeps_the_customers_choice(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Found failing: the merchant deletes the other handlebar, and the customer's own choice
    ("Handlebar: Flat Bar, Silver", -$20) disappears from their order page."""
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {**carbon(shop), ids["Handlebar"]: ids["Flat Bar, Silver"]}, 1)
    order_page = place_order(client)
    option_row(client.get(order_page).text, "Flat Bar, Silver")

    sign_in(shop, client)
    product = shop.product_id(BIKE)
    deleted = post_form(
        client, f"/admin/products/{product}/options/{ids['Drop Bar, Black Tape']}/delete"
    )
    assert deleted.status_code == 303
    assert "Flat Bar, Silver" not in client.get(f"/products/{BIKE}").text, "no choice left"

    confirmation = client.get(order_page).text
    assert "-$20.00" in option_row(confirmation, "Flat Bar, Silver")
    assert "Backdrop" not in confirmation


def test_an_option_recorded_without_it_asks_the_catalog(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """A row written without the value (by the previous release, during an upgrade) is
    shown as the catalog says now, as before."""
    add_to_cart(client, BIKE, carbon(shop), 1)
    order_page = place_order(client)
    shop.execute("UPDATE order_line_option SET shown_to_shopper = NULL")

    confirmation = client.get(order_page).text
    option_row(confirmation, "Carbon Deep")
    assert "Backdrop" not in confirmation


def test_migration_0008_records_what_the_order_pages_showed_before_the_upgrade(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0007")
    engine = make_engine(database_url)
    layers = {
        # layer: (required, options)
        "Backdrop": (True, ("Studio",)),
        "Wheels": (True, ("Road Classic", "Carbon Deep")),
        "Bell": (False, ("Brass Bell",)),
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO product (name, slug, description, base_price_cents,"
                " stock_management, backorders, out_of_stock_threshold, only_x_left_threshold,"
                " notify_below, new_option_backorders, allow_custom_backordering, published,"
                " created_at, updated_at)"
                " VALUES ('Bike', 'bike', '', 1000, :off, 'no', 0, 0, 1, NULL, :off, :on,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"on": True, "off": False},
        )
        for position, (name, (required, options)) in enumerate(layers.items()):
            connection.execute(
                text(
                    "INSERT INTO layer (product_id, name, position, required)"
                    " SELECT id, :name, :position, :required FROM product"
                ),
                {"name": name, "position": position, "required": required},
            )
            for option in options:
                connection.execute(
                    text(
                        "INSERT INTO option (layer_id, name, sku, price_delta_cents, position,"
                        " stock_management, stock_status, track_inventory, quantity)"
                        " SELECT id, :option, '', 0, 0, :off, 'in_stock', :off, 0"
                        " FROM layer WHERE name = :layer"
                    ),
                    {"option": option, "layer": name, "off": False},
                )
        connection.execute(
            text(
                "INSERT INTO customer_order (number, token, created_at, customer_name, email,"
                " address_line1, address_line2, city, postal_code, country, subtotal_cents,"
                " has_backorder, backorder_told, status)"
                " VALUES ('LW-1', 'token-1', '2026-01-01 00:00:00', 'Ada', 'ada@example.com',"
                " '1 Road', '', 'Town', '1000', 'NL', 1000, :off, :off, 'placed')"
            ),
            {"off": False},
        )
        connection.execute(
            text(
                "INSERT INTO order_line (order_id, position, product_id, product_name,"
                " product_slug, base_price_cents, unit_price_cents, quantity, line_total_cents,"
                " has_backorder, backorder_told, backorder_line, quantity_in_stock,"
                " quantity_backordered)"
                " SELECT customer_order.id, 0, product.id, 'Bike', 'bike', 1000, 1000, 1, 1000,"
                " :off, :off, :off, 1, 0 FROM customer_order, product"
            ),
            {"off": False},
        )
        recorded = [
            ("Backdrop", "Studio"),
            ("Wheels", "Carbon Deep"),
            ("Bell", "Brass Bell"),
            ("Saddle", "Gone"),  # deleted from the catalog since: option_id is NULL
        ]
        for position, (layer_name, option_name) in enumerate(recorded):
            connection.execute(
                text(
                    "INSERT INTO order_line_option (order_line_id, position, layer_name,"
                    " option_name, sku, price_delta_cents, backordered, customer_told,"
                    " quantity_backordered, option_id, stock_taken)"
                    " SELECT order_line.id, :position, :layer, :option, '', 0, :off, :on, 0,"
                    " (SELECT option.id FROM option WHERE option.name = :catalog_name), 0"
                    " FROM order_line"
                ),
                {
                    "position": position,
                    "layer": layer_name,
                    "option": option_name,
                    "catalog_name": option_name,
                    "on": True,
                    "off": False,
                },
            )
    engine.dispose()

    command.upgrade(config, "0008")

    engine = make_engine(database_url)
    with engine.connect() as connection:
        shown = {
            name: None if value is None else bool(value)
            for name, value in connection.execute(
                text("SELECT option_name, shown_to_shopper FROM order_line_option")
            ).all()
        }
    engine.dispose()
    assert shown == {"Studio": False, "Carbon Deep": True, "Brass Bell": True, "Gone": True}

    command.downgrade(config, "0007")
    command.upgrade(config, "head")
