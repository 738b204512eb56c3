"""A shopper's order with a backordered option: the confirmation says what ships now and what
waits; the merchant cancels it; the shopper's page and the merchant's then say it was cancelled,
when, and that nothing will ship."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import (
    PRODUCT_PATH,
    fill_checkout,
    option_radio,
    purchase_status,
    screenshot,
    sign_in,
)

TIMES = "\N{MULTIPLICATION SIGN}"
WHEN = re.compile(r"Cancelled on \w+day \d{1,2} \w+ 20\d\d at \d\d:\d\d UTC\.")

pytestmark = pytest.mark.usefixtures("demo_catalog")


def order_a_backordered_bike_and_sneakers(page: Page) -> str:
    """Carbon Deep wheels (on backorder) and two sneakers (in stock); the order's number."""
    page.goto(PRODUCT_PATH)
    option_radio(page, "Carbon Deep").check()
    expect(purchase_status(page)).to_contain_text("Available on Backorder")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart"))
    page.goto("/products/court-sneaker")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart"))
    page.get_by_role("link", name="Proceed to checkout").click()
    fill_checkout(page, email="ada@example.com")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page).to_have_url(re.compile(r"/orders/[\w-]+$"))
    return page.locator(".confirmation .lead strong").inner_text()


def test_a_cancelled_order_tells_the_shopper(
    page: Page, new_context: CreateContextCallback
) -> None:
    number = order_a_backordered_bike_and_sneakers(page)

    expect(page.get_by_role("heading", name="Thank you, your order is placed")).to_be_visible()
    summary = page.locator(".shipping-summary")
    expect(summary).to_contain_text("Part of this order ships now; the rest ships once restocked.")
    ships_now, ships_later = summary.get_by_role("list").all()
    expect(ships_now.get_by_role("listitem")).to_have_text([f"Court Sneaker {TIMES} 2"])
    expect(ships_later.get_by_role("listitem")).to_have_text(
        [f"Aero Road Bike {TIMES} 1, waiting for Wheels: Carbon Deep"]
    )
    expect(page.get_by_role("main")).not_to_contain_text("Your order ships once restocked")
    screenshot(page, "confirmation-split.png")

    merchant: BrowserContext = new_context()
    admin = merchant.new_page()
    sign_in(admin)
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
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number} was cancelled")
    main = page.get_by_role("main")
    expect(main).to_contain_text(WHEN)
    expect(main).to_contain_text("Nothing from this order will ship.")
    expect(main).not_to_contain_text("Thank you")
    expect(main).not_to_contain_text("ships once restocked")
    expect(main).not_to_contain_text("Ships now")
    expect(page.get_by_role("heading", name=f"Aero Road Bike {TIMES} 1")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Court Sneaker {TIMES} 2")).to_be_visible()
    screenshot(page, "order-cancelled.png")
