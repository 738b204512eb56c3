"""Two shoppers in two browsers check out the last unit at the same moment: one order is
placed, the other shopper is sent back to the cart and told, and nothing is oversold. On a
product of the flow's own."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.conftest import OwnProducts, bike_with_honey_leather
from e2e.pages import Admin, Checkout, Configurator

PLACED = "Thank you, your order is placed"


def test_the_last_unit_is_sold_once(
    admin: Admin, own_products: OwnProducts, new_context: CreateContextCallback
) -> None:
    built = bike_with_honey_leather(admin, own_products, on_hand=1)

    shoppers: list[Page] = [new_context().new_page() for _ in range(2)]
    checkouts: list[Checkout] = []
    for number, page in enumerate(shoppers):
        shop = Configurator.open(page, built.slug)
        shop.choose("Saddle", "Honey Leather")
        checkout = shop.add_to_cart_and_open_cart().checkout()
        checkout.fill(email=f"shopper{number}@example.com")
        checkouts.append(checkout)

    # Both press Place order before either answer is back.
    for checkout in checkouts:
        checkout.page.get_by_role("button", name=re.compile(r"^Place order")).click(
            no_wait_after=True
        )
    placed = [page for page in shoppers if _outcome(page) == "placed"]
    assert len(placed) == 1, "exactly one shopper gets the last Honey Leather saddle"
    other = next(page for page in shoppers if page is not placed[0])
    expect(other).to_have_url(re.compile(r"/cart\?checkout="))
    expect(other.get_by_role("status").filter(has_text="You cannot check out yet")).to_be_visible()
    expect(other.get_by_role("main")).to_contain_text(
        "Saddle: Honey Leather is out of stock and cannot be ordered."
    )
    expect(other.get_by_role("link", name="Proceed to checkout")).to_have_count(0)

    # The shop: sold out, and the merchant's count says 0 on hand.
    shop = Configurator.open(shoppers[0], built.slug)
    expect(shop.option("Honey Leather", "Saddle")).to_have_accessible_description("Out of Stock")
    panel = admin.editor(built).option("Honey Leather", "Saddle").panel
    expect(panel.get_by_label("Quantity on hand")).to_have_value("0")


def _outcome(page: Page) -> str:
    """ "placed" once the confirmation shows, "refused" once the cart says why."""
    placed = page.get_by_role("heading", name=PLACED)
    refused = page.get_by_role("heading", name="Your cart")
    expect(placed.or_(refused)).to_be_visible()
    return "placed" if placed.is_visible() else "refused"
