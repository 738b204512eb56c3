"""Charge on restock in the browser (seed 001): the merchant switches the shop's charge policy;
a shopper's backordered bike stays in the cart but out of the subtotal, and checkout places the
main order (the sneaker, charged now) and its Pending order (the bike, charged when it ships),
both shown on the confirmation and linked for the merchant."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot
from e2e.pages import Admin, Configurator
from tests.live_server import Server

BIKE = Decimal("1749.00")  # the Aero Road Bike with the Carbon Deep wheels (+$450)
SNEAKER = Decimal("119.00")


def test_charge_on_restock_places_a_pending_order_for_the_backordered_bike(
    new_context: CreateContextCallback, fresh_server: Server
) -> None:
    merchant = new_context(base_url=fresh_server.url)
    shopper = new_context(base_url=fresh_server.url)
    admin = Admin.sign_in(merchant.new_page())
    admin.product("Aero Road Bike").global_settings(charge_policy="Charge on restock")

    page = shopper.new_page()
    Configurator.open(page, "court-sneaker").add_to_cart_and_open_cart()
    bike = Configurator.open(page, "aero-road-bike")
    bike.choose("Wheels", "Carbon Deep")
    expect(bike.availability).to_contain_text("Available on Backorder")
    cart = bike.add_to_cart_and_open_cart()

    line = cart.line("Aero Road Bike")
    assert line.label == "(Available Backorder)"
    expect(line.not_charged_now).to_have_text(
        "Not charged now: backordered, so it is charged when it ships "
        "(it moves to your Pending order)."
    )
    expect(cart.charge_policy).to_be_visible()
    assert cart.subtotal() == SNEAKER
    assert cart.charged_later() == BIKE
    screenshot(page, "cart-charge-on-restock.png")

    checkout = cart.checkout()
    expect(checkout.page.get_by_role("button", name="Place order · $119.00")).to_be_visible()
    checkout.fill(email="ada@example.com")
    confirmation = checkout.place_order_and_confirm()

    main = confirmation.number
    expect(confirmation.pending_order).to_be_visible()
    pending = confirmation.pending_number
    assert pending != main
    expect(
        confirmation.main.get_by_text("Your backordered items are in Pending order")
    ).to_be_visible()
    expect(confirmation.pending_order).to_contain_text("Carbon Deep")
    expect(confirmation.pending_order).to_contain_text("Awaiting stock")
    expect(confirmation.pending_order).not_to_contain_text("Court Sneaker")
    screenshot(page, "confirmation-pending-order.png")

    confirmation.pending_order.get_by_role("link", name=f"Open Pending order {pending}").click()
    expect(page.get_by_text("Pending order: nothing is charged now.")).to_be_visible()
    expect(page.get_by_role("link", name=main)).to_be_visible()

    expect(admin.orders_row(pending)).to_contain_text("Pending: charge when it ships")
    expect(admin.orders_row(main)).not_to_contain_text("Pending")
    order_page = admin.order(main)
    order_page.get_by_role("link", name=pending).click()
    expect(admin.page.get_by_role("heading", level=1)).to_contain_text(f"Pending order {pending}")
    expect(admin.page.get_by_text("Amount to charge: $1,749.00")).to_be_visible()
