"""A shopper's order with a backordered option: the confirmation says what ships now and what
waits; the merchant cancels it; the shopper's page and the merchant's then say it was cancelled,
when, and that nothing will ship."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot
from e2e.pages import Admin, Confirmation
from e2e.pages.forms import add_to_cart, check_out

TIMES = "\N{MULTIPLICATION SIGN}"
WHEN = re.compile(r"Cancelled on \w+day \d{1,2} \w+ 20\d\d at \d\d:\d\d UTC\.")

pytestmark = pytest.mark.usefixtures("demo_catalog")


def order_a_backordered_bike_and_sneakers(page: Page) -> Confirmation:
    """Carbon Deep wheels (on backorder) and two sneakers (in stock), ordered by the shop's
    forms (test_shopper goes through the pages): the order page."""
    add_to_cart(page, "aero-road-bike", {"Wheels": "Carbon Deep"})
    add_to_cart(page, "court-sneaker", {}, 2)
    page.goto(check_out(page).address)
    return Confirmation(page)


def test_a_cancelled_order_tells_the_shopper(
    page: Page, new_context: CreateContextCallback
) -> None:
    confirmation = order_a_backordered_bike_and_sneakers(page)
    number = confirmation.number

    expect(confirmation.heading).to_have_text("Thank you, your order is placed")
    expect(confirmation.shipping_summary).to_contain_text(
        "Part of this order ships now; the rest ships once restocked."
    )
    expect(confirmation.ships("Ships now")).to_have_text([f"Court Sneaker {TIMES} 2"])
    expect(confirmation.ships("Ships once restocked")).to_have_text(
        [f"Aero Road Bike {TIMES} 1, waiting for Wheels: Carbon Deep"]
    )
    expect(page.get_by_role("main")).not_to_contain_text("Your order ships once restocked")
    screenshot(page, "confirmation-split.png")

    merchant: BrowserContext = new_context()
    admin = merchant.new_page()
    Admin.sign_in(admin)
    admin.goto(f"/admin/orders/{number}")
    expect(admin.get_by_text("Hold until restocked:")).to_be_visible()
    admin.get_by_label(f"Yes, cancel order {number}").check()
    admin.get_by_role("button", name="Cancel order and restock").click()
    expect(admin.get_by_role("status")).to_have_text("Order cancelled; its stock was given back.")
    main = admin.get_by_role("main")
    expect(main).to_contain_text(WHEN)
    expect(main).to_contain_text("Nothing from this order ships")
    expect(main).not_to_contain_text("Hold")
    expect(main).not_to_contain_text("restocked")
    expect(admin.get_by_role("button", name="Cancel order and restock")).to_have_count(0)

    page.reload()
    expect(confirmation.heading).to_have_text(f"Order {number} was cancelled")
    main = confirmation.main
    expect(main).to_contain_text(WHEN)
    expect(main).to_contain_text("Nothing from this order will ship.")
    expect(main).not_to_contain_text("Thank you")
    expect(main).not_to_contain_text("ships once restocked")
    expect(main).not_to_contain_text("Ships now")
    expect(page.get_by_role("heading", name=f"Aero Road Bike {TIMES} 1")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Court Sneaker {TIMES} 2")).to_be_visible()
    screenshot(page, "order-cancelled.png")
