"""A shopper picks an out-of-stock option that the shop sells on backorder, and buys it:
with htmx (no page reloads) and with the plain forms (JavaScript off)."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import BrowserContext, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import (
    PRODUCT_PATH,
    choice_query,
    fill_checkout,
    fmt,
    money,
    option_label,
    option_line,
    option_radio,
    purchase_status,
    screenshot,
)

BACKORDER_NOTICE = "Available on Backorder"
CART_LABEL = "(Available Backorder)"


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"


def line_totals(page: Page) -> list[Decimal]:
    return [money(text) for text in page.locator(".cart-lines .line-total").all_inner_texts()]


def check_out_and_confirm(page: Page) -> None:
    """From the cart: checkout, refused without email, then placed; the confirmation."""
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(option_line(page, "Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")

    fill_checkout(page, email="")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    email = page.get_by_label("Email")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 1 field marked below.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter your email.")
    expect(page.get_by_text("Enter your email.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")

    email.fill("ada@example.com")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page).to_have_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.get_by_role("heading", name="Thank you, your order is placed")).to_be_visible()
    expect(page.locator(".shipping-summary")).to_contain_text(
        "Aero Road Bike \N{MULTIPLICATION SIGN} 2, waiting for Wheels: Carbon Deep"
    )
    expect(option_line(page, "Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    expect(page.get_by_text("ada@example.com")).to_be_visible()


def test_shopper_backorder_flow(page: Page) -> None:
    page.goto(PRODUCT_PATH)
    status = purchase_status(page)
    expect(status).to_have_text("In stock, ready to build.")
    price = page.locator("#price .amount")
    price_before = money(price.inner_text())
    carbon_delta = money(option_label(page, "Carbon Deep").locator(".option-delta").inner_text())
    expect(option_label(page, "Carbon Deep")).to_contain_text(BACKORDER_NOTICE)
    query = choice_query(page, "Carbon Deep")

    page.evaluate("window.__marker = 1")
    option_radio(page, "Carbon Deep").check()

    expect(status).to_contain_text(f"{BACKORDER_NOTICE}: Wheels · Carbon Deep.")
    expect(status).to_contain_text("Ships once restocked.")
    expect(page).to_have_url(re.compile(re.escape(query)))
    expect(price).to_have_text(fmt(price_before + carbon_delta))
    expect(page.get_by_role("img", name=re.compile(r"Wheels Carbon Deep"))).to_be_visible()
    add = page.get_by_role("button", name="Add to cart")
    expect(add).to_be_enabled()
    assert_not_reloaded(page)
    screenshot(page, "configurator.png")

    add.click()
    expect(page).to_have_url(re.compile(r"/cart\?added=1$"))
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    expect(option_line(page, "Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    subtotal = page.locator("#subtotal")
    totals = line_totals(page)
    assert totals == [price_before + carbon_delta]
    assert money(subtotal.inner_text()) == sum(totals)

    page.evaluate("window.__marker = 1")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_role("status").filter(has_text="Quantity updated.")).to_be_visible()
    expect(subtotal).to_have_text(fmt(2 * sum(totals, Decimal(0))))
    assert money(subtotal.inner_text()) == sum(line_totals(page))
    expect(page.get_by_label("Quantity")).to_have_value("2")
    assert_not_reloaded(page)
    screenshot(page, "cart.png")

    check_out_and_confirm(page)
    expect(
        page.get_by_role("heading", name="Aero Road Bike \N{MULTIPLICATION SIGN} 2")
    ).to_be_visible()
    screenshot(page, "confirmation.png")


def test_shopper_flow_without_javascript(new_context: CreateContextCallback) -> None:
    context: BrowserContext = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(PRODUCT_PATH)
    expect(purchase_status(page)).to_have_text("In stock, ready to build.")
    price_before = money(page.locator("#price .amount").inner_text())
    carbon_delta = money(option_label(page, "Carbon Deep").locator(".option-delta").inner_text())
    query = choice_query(page, "Carbon Deep")

    option_radio(page, "Carbon Deep").check()
    page.get_by_role("button", name="Update preview and price").click()

    expect(page).to_have_url(re.compile(re.escape(query)))
    expect(option_radio(page, "Carbon Deep")).to_be_checked()
    expect(purchase_status(page)).to_contain_text(f"{BACKORDER_NOTICE}: Wheels · Carbon Deep.")
    expect(page.locator("#price .amount")).to_have_text(fmt(price_before + carbon_delta))

    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart\?added=1$"))
    expect(option_line(page, "Wheels")).to_contain_text(f"Carbon Deep {CART_LABEL}")
    subtotal = page.locator("#subtotal")
    totals = line_totals(page)
    assert totals == [price_before + carbon_delta]
    assert money(subtotal.inner_text()) == sum(totals)

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(subtotal).to_have_text(fmt(2 * sum(totals, Decimal(0))))

    check_out_and_confirm(page)
