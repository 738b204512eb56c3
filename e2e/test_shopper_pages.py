"""What the shopper reads on the product page, in the cart and at checkout (issue 8): the total
for the quantity, no layer they never chose, checkout that cannot go ahead sends them back to
the cart with the reason, and a failed checkout puts the focus on what went wrong."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.conftest import OwnProducts, bike_with_honey_leather
from e2e.pages import Admin, Cart, Checkout, Configurator, fmt, money
from e2e.pages.forms import place_order

BLOCKED = "You cannot check out yet: some items in your cart need your attention."


@pytest.fixture
def plain(plain_page: Page) -> Page:
    """A page with JavaScript off: plain forms and full pages."""
    return plain_page


@pytest.mark.usefixtures("demo_catalog")
def test_quantity_five_shows_the_total_for_five_and_the_unit_price(page: Page) -> None:
    """Found failing: "Total" showed the price of one at quantity 5 ($1,349.00)."""
    configurator = Configurator.open(page, "aero-road-bike")
    configurator.option("Gravel Tan").check()
    # Gravel Tan (+$120.00) hides the Drop Bar (a demo rule): the Flat Bar (-$20.00) instead.
    expect(configurator.total).to_have_text("Total $1,399.00")
    unit = configurator.total_amount()
    page.evaluate("window.__marker = 1")

    configurator.set_quantity(5)

    expect(configurator.total).to_have_text(f"Total for 5 {fmt(5 * unit)} {fmt(unit)} each")
    expect(page).to_have_url(re.compile(r"quantity=5"))
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"

    # A reload (or a shared link) keeps the quantity and its total.
    page.reload()
    expect(page.get_by_label("Quantity")).to_have_value("5")
    expect(configurator.total).to_have_text(f"Total for 5 {fmt(5 * unit)} {fmt(unit)} each")

    # Back to 1: the total is the unit price, said once.
    configurator.set_quantity(1)
    expect(configurator.total).to_have_text(f"Total {fmt(unit)}")


@pytest.mark.usefixtures("demo_catalog")
def test_quantity_five_shows_the_total_without_javascript(plain: Page) -> None:
    configurator = Configurator.open(plain, "aero-road-bike", javascript=False)
    configurator.option("Gravel Tan").check()
    configurator.set_quantity(5)

    expect(plain.get_by_label("Quantity")).to_have_value("5")
    unit = money("$1,399.00")
    expect(configurator.total).to_have_text(f"Total for 5 {fmt(5 * unit)} {fmt(unit)} each")


@pytest.mark.usefixtures("demo_catalog")
def test_a_layer_shoppers_never_see_is_not_listed_in_cart_checkout_or_confirmation(
    page: Page,
) -> None:
    """Found failing: "Backdrop: Studio · included" in the cart, checkout and confirmation."""
    configurator = Configurator.open(page, "aero-road-bike")
    expect(configurator.layer("Wheels")).to_be_visible()
    expect(configurator.layer("Backdrop")).to_have_count(0)
    cart = configurator.add_to_cart_and_open_cart()

    line = cart.line("Aero Road Bike")
    expect(line.option("Wheels")).to_have_count(1)
    expect(line.option("Backdrop")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("Backdrop")

    checkout = cart.checkout()
    expect(checkout.option("Wheels")).to_have_count(1)
    expect(page.get_by_role("main")).not_to_contain_text("Backdrop")

    checkout.fill(email="ada@example.com")
    confirmation = checkout.place_order_and_confirm()
    expect(confirmation.option("Wheels")).to_have_count(1)
    expect(confirmation.main).not_to_contain_text("Backdrop")


def add_honey_leather(shop: Configurator, quantity: int) -> Cart:
    shop.choose("Saddle", "Honey Leather")
    shop.page.get_by_label("Quantity").fill(str(quantity))
    return shop.add_to_cart_and_open_cart()


def test_checkout_that_cannot_go_ahead_goes_back_to_the_cart_with_the_reason(
    admin: Admin, own_products: OwnProducts, new_context: CreateContextCallback
) -> None:
    """Found failing: checkout opened with a disabled "Place order · $0.00" and "Subtotal
    $0.00" beside a line that could not be ordered. Honey Leather: 3 on hand, no backorders."""
    built = bike_with_honey_leather(admin, own_products, on_hand=3)

    shopper = new_context().new_page()
    plain = new_context(java_script_enabled=False).new_page()
    add_honey_leather(Configurator.open(shopper, built.slug), 3).checkout().fill()
    add_honey_leather(Configurator.open(plain, built.slug, javascript=False), 3)

    # Another shopper buys one while this one fills in the form (by the forms, no pages).
    place_order(new_context(), built.slug, {"Saddle": "Honey Leather"}, email="rival@example.com")

    for page in (shopper, plain):
        if page is shopper:
            Checkout(page).place_order()
        else:
            page.goto("/checkout")  # a bookmark, or the Back button
        expect(page).to_have_url(re.compile(r"/cart\?checkout="))
        expect(Cart(page).status(BLOCKED)).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(
            "Only 2 of Honey Leather (Saddle) can be ordered, and your cart has 3."
        )
        expect(page.get_by_role("link", name="Proceed to checkout")).to_have_count(0)

    # Lowered to what is left, checkout opens again.
    cart = Cart(shopper)
    cart.line(built.name).change_quantity(2)
    expect(shopper.get_by_role("link", name="Proceed to checkout")).to_be_visible()
    expect(cart.status(BLOCKED)).to_have_count(0)
    cart.checkout()
    expect(shopper.get_by_role("button", name=re.compile(r"^Place order"))).to_be_enabled()


@pytest.mark.usefixtures("demo_catalog")
def test_a_failed_checkout_puts_the_focus_on_the_error_summary(page: Page) -> None:
    """Found failing: after a failed submit the focus was on the body."""
    checkout = Configurator.open(page, "aero-road-bike").add_to_cart_and_open_cart().checkout()
    checkout.fill(email="")

    checkout.place_order()

    summary = checkout.error_summary
    expect(summary).to_contain_text("Please correct the 1 field marked below.")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
