"""Incoming stock in the browser: the merchant records an expected delivery for the backordered
Gravel Tan wheels, and the shopper is told when they ship ("ships around <date>") next to the
option, in the cart, at checkout and on the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from configurator.core.promises import day_in_words
from e2e.pages import Admin, Configurator
from e2e.test_fulfilment import open_gravel_tan, set_quantity_on_hand
from tests.live_server import Server


def test_the_shopper_sees_when_a_recorded_delivery_ships_their_wheels(
    new_context: CreateContextCallback, fresh_server: Server
) -> None:
    merchant = new_context(base_url=fresh_server.url)
    shopper = new_context(base_url=fresh_server.url)
    admin = merchant.new_page()

    Admin.sign_in(admin)
    gravel = open_gravel_tan(admin)
    set_quantity_on_hand(gravel, "0")
    today = datetime.now(UTC).date()
    expected = today + timedelta(days=12)
    ships = f"ships around {day_in_words(expected, today)}"

    gravel.add_expected_delivery(expected, 5)

    expect(gravel.expected_deliveries).to_have_count(1)
    expect(gravel.shoppers_see).to_contain_text(f"Available on Backorder - {ships}")

    page = shopper.new_page()
    configurator = Configurator.open(page, "aero-road-bike")
    configurator.choose("Wheels", "Gravel Tan")
    expect(configurator.layer("Wheels")).to_contain_text(f"Available on Backorder - {ships}")
    expect(configurator.availability).to_contain_text(ships)
    cart = configurator.add_to_cart_and_open_cart()
    expect(cart.line("Aero Road Bike").option("Wheels")).to_contain_text(
        f"(Available Backorder) - {ships}"
    )
    checkout = cart.checkout()
    expect(checkout.option("Wheels")).to_contain_text(f"(Available Backorder) - {ships}")
    checkout.fill(email="ada@example.com")
    confirmation = checkout.place_order_and_confirm()
    expect(confirmation.option("Wheels")).to_contain_text(f"(Available Backorder) - {ships}")
