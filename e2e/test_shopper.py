"""A shopper picks an out-of-stock option that the shop sells on backorder, and buys it:
with htmx (no page reloads) and with the plain forms (JavaScript off). Shops the demo catalog.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import screenshot
from e2e.pages import Cart, Configurator, fmt

pytestmark = pytest.mark.usefixtures("demo_catalog")

BIKE = "Aero Road Bike"
BACKORDER_NOTICE = "Available on Backorder"
CART_LABEL = "(Available Backorder)"


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"


def carbon_deep_in_the_cart(shop: Configurator) -> Cart:
    """Choose the backordered Carbon Deep wheels: the notice, the price; add one to the cart:
    the label, and the normal price counted in the subtotal."""
    expect(shop.availability).to_have_text("In stock, ready to build.")
    price_before = shop.total_amount()
    expect(shop.option("Carbon Deep")).to_have_accessible_description(BACKORDER_NOTICE)
    carbon_delta = shop.price_adjustment("Carbon Deep", "Wheels")
    assert carbon_delta > 0
    if shop.javascript:
        shop.page.evaluate("window.__marker = 1")
    shop.choose("Wheels", "Carbon Deep")

    expect(shop.availability).to_contain_text(f"{BACKORDER_NOTICE}: Wheels · Carbon Deep.")
    expect(shop.availability).to_contain_text("Ships once restocked.")
    expect(shop.total).to_contain_text(fmt(price_before + carbon_delta))
    if shop.javascript:
        expect(shop.page.get_by_role("img", name=re.compile(r"Wheels Carbon Deep"))).to_be_visible()
        assert_not_reloaded(shop.page)
        screenshot(shop.page, "configurator.png")

    cart = shop.add_to_cart_and_open_cart()
    line = cart.line(BIKE)
    expect(line.option("Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    assert line.label == CART_LABEL
    assert line.total() == price_before + carbon_delta
    cart.assert_subtotal_is_sum_of_lines()
    return cart


def two_and_check_out(cart: Cart) -> None:
    """Quantity 2; checkout refuses an empty email, then places the order; the confirmation
    names the backordered option with its label and says what waits."""
    line = cart.line(BIKE)
    one = line.total()
    if cart.javascript:
        cart.page.evaluate("window.__marker = 1")
    line.change_quantity(2)
    if cart.javascript:
        expect(cart.status("Quantity updated.")).to_be_visible()
        assert_not_reloaded(cart.page)
    expect(line.quantity).to_have_value("2")
    assert cart.subtotal() == 2 * one
    cart.assert_subtotal_is_sum_of_lines()
    if cart.javascript:
        screenshot(cart.page, "cart.png")

    checkout = cart.checkout()
    page = checkout.page
    expect(checkout.option("Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    checkout.fill(email="")
    checkout.place_order()
    email = page.get_by_label("Email")
    expect(checkout.error_summary).to_contain_text("Please correct the 1 field marked below.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter your email.")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")

    email.fill("ada@example.com")
    confirmation = checkout.place_order_and_confirm()
    expect(confirmation.shipping_summary).to_be_visible()
    expect(confirmation.main).to_contain_text(
        f"{BIKE} \N{MULTIPLICATION SIGN} 2, waiting for Wheels: Carbon Deep"
    )
    expect(confirmation.option("Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    expect(page.get_by_text("ada@example.com").first).to_be_visible()
    expect(page.get_by_role("heading", name=f"{BIKE} \N{MULTIPLICATION SIGN} 2")).to_be_visible()
    if cart.javascript:
        screenshot(page, "confirmation.png")


def test_shopper_backorder_flow(page: Page) -> None:
    cart = carbon_deep_in_the_cart(Configurator.open(page, "aero-road-bike"))
    two_and_check_out(cart)


def test_shopper_flow_without_javascript(plain_page: Page) -> None:
    cart = carbon_deep_in_the_cart(
        Configurator.open(plain_page, "aero-road-bike", javascript=False)
    )
    two_and_check_out(cart)
