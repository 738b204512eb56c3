"""Quantities on hand in the browser (issue 4): the partial-backorder question with Yes and
No, "Only X left" as stock falls, and a negative Out-of-Stock Threshold that lets exactly
that many be backordered. Each test runs on a server and database of its own."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Browser, Locator, Page, expect

from e2e.helpers import (
    PRODUCT_PATH,
    VIEWPORT,
    choice_query,
    fill_checkout,
    money,
    option_label,
    option_radio,
    purchase_status,
    screenshot,
    sign_in,
)
from tests.live_server import Server

CART_LABEL = "(Available Backorder)"
NOTIFY = "Allow backorders and notify customer"
QUESTION_5_OF_10 = (
    "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 10, "
    "do you want to back order the other 5?"
)


# --- merchant -------------------------------------------------------------------------------


def open_editor(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="Aero Road Bike").click()
    expect(page.get_by_role("heading", name="Configurator: Aero Road Bike")).to_be_visible()


def layers_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Layers")


def right_panel(page: Page) -> Locator:
    return page.locator("#right-panel")


def open_option(page: Page, name: str, layer: str) -> None:
    layers_nav(page).get_by_role("link", name=re.compile(rf"^{name}")).click()
    expect(
        right_panel(page).get_by_role("heading", name=f"Option: {name} in {layer}")
    ).to_be_visible()


def save_option(page: Page) -> None:
    page.get_by_role("button", name="Save option").click()
    expect(right_panel(page).get_by_role("status")).to_contain_text("Option saved.")


# --- shopper --------------------------------------------------------------------------------


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"


def assert_stays_on_product(url: str, what: str) -> None:
    assert PRODUCT_PATH in url, (
        f"after {what} the address bar shows {url}: the Add to cart button inherits the "
        "form's hx-push-url, so a reload or a shared link gives a 405 page"
    )


def choose(page: Page, option: str, quantity: int) -> None:
    """On the configurator: pick `option` and type the quantity."""
    page.goto(PRODUCT_PATH)
    query = choice_query(page, option)
    option_radio(page, option).check()
    expect(page).to_have_url(re.compile(re.escape(query)))
    expect(option_radio(page, option)).to_be_checked()
    page.get_by_label("Quantity").fill(str(quantity))


def cart_lines(page: Page) -> Locator:
    """The cart's lines: list items with a product heading (not the options inside them)."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=2))


def option_in(line: Locator, layer: str) -> Locator:
    """One chosen option of a cart line ("Wheels: Gravel Tan ...")."""
    return line.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{layer}:"))


def line_total(line: Locator) -> Decimal:
    return money(line.locator(".line-total").inner_text())


def assert_subtotal_is_sum(page: Page) -> None:
    totals = [line_total(line) for line in cart_lines(page).all()]
    assert money(page.locator("#subtotal").inner_text()) == sum(totals)


def place_order(page: Page) -> None:
    """From the cart: checkout with a valid email, then the confirmation."""
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    fill_checkout(page, email="ada@example.com")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page.get_by_role("heading", name="Thank you, your order is placed")).to_be_visible()


def buy(page: Page, option: str, quantity: int) -> None:
    choose(page, option, quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart\?added=1$"))
    expect(cart_lines(page)).to_have_count(1)
    expect(cart_lines(page).get_by_label("Quantity")).to_have_value(str(quantity))
    place_order(page)


# --- tests ----------------------------------------------------------------------------------


def test_backorder_question_yes_and_no(
    fresh_page: Page, fresh_server: Server, browser: Browser
) -> None:
    page = fresh_page
    open_editor(page)

    _allow_custom_backordering_with_5_gravel_tan(page)

    # No: only the 5 in stock are added, on an ordinary line.
    choose(page, "Gravel Tan", 10)
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Add to cart").click()
    dialog = page.get_by_role("alertdialog", name="Only 5 of 10 in stock")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description(QUESTION_5_OF_10)
    expect(dialog).to_contain_text(QUESTION_5_OF_10)
    assert_not_reloaded(page)
    url_after_question = page.url
    screenshot(page, "backorder-question.png")

    dialog.get_by_role("button", name="No, add only the 5 in stock").click()
    expect(page).to_have_url(re.compile(r"/cart\?added="))
    expect(page.get_by_role("status").filter(has_text="Added the 5 in stock.")).to_be_visible()
    lines = cart_lines(page)
    expect(lines).to_have_count(1)
    first = lines.nth(0)
    expect(first.get_by_label("Quantity")).to_have_value("5")
    expect(option_in(first, "Wheels")).to_contain_text("Gravel Tan")
    expect(page.get_by_role("main")).not_to_contain_text(CART_LABEL)
    expect(page.get_by_role("main")).not_to_contain_text("back ordered")
    unit = money(first.locator(".unit-price").inner_text())
    assert line_total(first) == 5 * unit
    assert_subtotal_is_sum(page)

    _again_10_are_all_backordered(page, unit)

    _without_javascript_the_question_is_a_page(browser, fresh_server.url, unit)

    # Checked last so that the flows above still run: asking the question must leave the
    # configurator's address alone (a reload of /cart/items is a 405 page).
    assert_stays_on_product(url_after_question, "the backorder question")


def _allow_custom_backordering_with_5_gravel_tan(page: Page) -> None:
    """Global Settings: Allow custom backordering on; Gravel Tan: 5 on hand."""
    layers_nav(page).get_by_role("link", name="Global Settings").click()
    expect(right_panel(page).get_by_role("heading", name="Global Settings")).to_be_visible()
    custom = page.get_by_label("Allow custom backordering")
    expect(custom).not_to_be_checked()
    custom.check()
    page.get_by_role("button", name="Save settings").click()
    expect(right_panel(page).get_by_role("status")).to_contain_text("Global Settings saved.")
    expect(page.get_by_label("Allow custom backordering")).to_be_checked()

    open_option(page, "Gravel Tan", "Wheels")
    page.get_by_label("Quantity on hand").fill("5")
    save_option(page)
    expect(page.get_by_label("Quantity on hand")).to_have_value("5")


def _again_10_are_all_backordered(page: Page, unit: Decimal) -> None:
    """Again 10: the cart already holds the 5 in stock, so all 10 would be backordered."""
    choose(page, "Gravel Tan", 10)
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Add to cart").click()
    dialog = page.get_by_role("alertdialog", name="None in stock right now")
    expect(dialog).to_contain_text(
        "There are no Gravel Tan (Wheels) in stock, and you have added 10, "
        "do you want to back order all 10?"
    )
    assert_not_reloaded(page)
    dialog.get_by_role("button", name="Yes, back order all 10").click()
    expect(page).to_have_url(re.compile(r"/cart\?added="))
    expect(page.get_by_role("status").filter(has_text="10 back ordered.")).to_be_visible()
    lines = cart_lines(page)
    expect(lines).to_have_count(2)
    ordinary, backordered = lines.nth(0), lines.nth(1)
    expect(ordinary.get_by_label("Quantity")).to_have_value("5")
    expect(ordinary.get_by_role("heading")).not_to_contain_text("back ordered")
    expect(option_in(ordinary, "Wheels")).not_to_contain_text(CART_LABEL)
    expect(backordered.get_by_label("Quantity")).to_have_value("10")
    expect(backordered.get_by_role("heading")).to_contain_text("back ordered")
    expect(option_in(backordered, "Wheels")).to_contain_text(f"Gravel Tan {CART_LABEL}")
    expect(backordered).to_contain_text("All 10 backordered: they ship once restocked.")
    assert line_total(ordinary) == 5 * unit
    assert line_total(backordered) == 10 * unit
    assert_subtotal_is_sum(page)
    screenshot(page, "cart-split.png")


def _without_javascript_the_question_is_a_page(
    browser: Browser, base_url: str, unit: Decimal
) -> None:
    """Without JavaScript (a cart of its own): the question is a page, and Yes adds two
    lines."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(PRODUCT_PATH)
        option_radio(plain, "Gravel Tan").check()
        # Gravel Tan hides the Drop Bar (a demo rule); without JavaScript nothing updates the
        # form before it is sent, so the shopper picks the Flat Bar that goes with them.
        option_radio(plain, "Flat Bar, Silver").check()
        plain.get_by_label("Quantity").fill("10")
        plain.get_by_role("button", name="Add to cart").click()
        expect(plain).to_have_url(re.compile(r"/cart/items$"))
        expect(plain).to_have_title(re.compile(r"^Back order\?"))
        dialog = plain.get_by_role("alertdialog", name="Only 5 of 10 in stock")
        expect(dialog).to_contain_text(QUESTION_5_OF_10)
        dialog.get_by_role("button", name="Yes, back order the other 5").click()
        expect(plain).to_have_url(re.compile(r"/cart\?added="))
        expect(
            plain.get_by_role("status").filter(has_text="Added 5 in stock and 5 back ordered.")
        ).to_be_visible()
        lines = cart_lines(plain)
        expect(lines).to_have_count(2)
        ordinary, backordered = lines.nth(0), lines.nth(1)
        expect(ordinary.get_by_label("Quantity")).to_have_value("5")
        expect(ordinary.get_by_role("heading")).not_to_contain_text("back ordered")
        expect(option_in(ordinary, "Wheels")).not_to_contain_text(CART_LABEL)
        expect(backordered.get_by_label("Quantity")).to_have_value("5")
        expect(backordered.get_by_role("heading")).to_contain_text("back ordered")
        expect(option_in(backordered, "Wheels")).to_contain_text(f"Gravel Tan {CART_LABEL}")
        expect(backordered).to_contain_text("All 5 backordered: they ship once restocked.")
        assert line_total(ordinary) == line_total(backordered) == 5 * unit
        assert_subtotal_is_sum(plain)
    finally:
        context.close()


def test_only_x_left_appears_as_stock_falls(fresh_page: Page) -> None:
    page = fresh_page
    open_editor(page)
    open_option(page, "Midnight Blue", "Frame")
    page.get_by_label("Backorders", exact=True).select_option(label="No backorders")
    page.get_by_label("Quantity on hand").fill("6")
    save_option(page)
    expect(right_panel(page)).to_contain_text("Salable quantity: 6")

    page.goto(PRODUCT_PATH)
    expect(option_radio(page, "Midnight Blue")).to_be_enabled()
    expect(option_label(page, "Midnight Blue")).not_to_contain_text("Only")

    for quantity, left in ((1, 5), (3, 2)):
        buy(page, "Midnight Blue", quantity)
        page.goto(PRODUCT_PATH)
        expect(option_label(page, "Midnight Blue")).to_contain_text(f"Only {left} left")
        expect(option_radio(page, "Midnight Blue")).to_have_accessible_description(
            f"Only {left} left"
        )
        expect(option_radio(page, "Midnight Blue")).to_be_enabled()

    buy(page, "Midnight Blue", 2)
    page.goto(PRODUCT_PATH)
    blue = option_radio(page, "Midnight Blue")
    expect(option_label(page, "Midnight Blue")).to_contain_text("Out of Stock")
    expect(option_label(page, "Midnight Blue")).not_to_contain_text("Only")
    expect(blue).to_have_accessible_description("Out of Stock")
    expect(blue).to_be_disabled()


def test_negative_threshold_accepts_exactly_that_many_backorders(fresh_page: Page) -> None:
    page = fresh_page
    open_editor(page)
    open_option(page, "Midnight Blue", "Frame")
    expect(page.get_by_label("Track inventory")).to_be_checked()
    page.get_by_label("Quantity on hand").fill("2")
    page.get_by_label("Backorders", exact=True).select_option(label=NOTIFY)
    page.get_by_label("Out-of-Stock Threshold", exact=True).fill("-3")
    save_option(page)
    expect(page.get_by_label("Track inventory")).to_be_checked()
    expect(page.get_by_label("Out-of-Stock Threshold", exact=True)).to_have_value("-3")
    expect(right_panel(page)).to_contain_text("Salable quantity: 5")

    # 6 is one too many: refused right under the button, without a reload.
    choose(page, "Midnight Blue", 6)
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Add to cart").click()
    refusal = page.locator("#purchase-dialog")
    expect(refusal).to_contain_text("Only 5")
    expect(refusal).to_be_visible()
    assert_not_reloaded(page)
    url_after_refusal = page.url

    # 5 is exactly what can be sold: 2 in stock, 3 backordered.
    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart\?added=1$"))
    lines = cart_lines(page)
    expect(lines).to_have_count(1)
    line = lines.nth(0)
    expect(line.get_by_label("Quantity")).to_have_value("5")
    expect(option_in(line, "Frame")).to_contain_text(f"Midnight Blue {CART_LABEL}")
    expect(line).to_contain_text("2 ship now, 3 once restocked.")
    assert_subtotal_is_sum(page)

    place_order(page)
    expect(page.get_by_role("main")).to_contain_text("2 ship now, 3 once restocked.")

    page.goto(PRODUCT_PATH)
    blue = option_radio(page, "Midnight Blue")
    expect(option_label(page, "Midnight Blue")).to_contain_text("Out of Stock")
    expect(blue).to_have_accessible_description("Out of Stock")
    expect(blue).to_be_disabled()
    expect(purchase_status(page)).to_have_text("In stock, ready to build.")

    # Checked last so that the flow above still runs: the refused add must leave the
    # configurator's address alone (a reload of /cart/items is a 405 page).
    assert_stays_on_product(url_after_refusal, "a refused add")


def test_raising_a_cart_line_past_stock_asks_in_the_cart(fresh_page: Page) -> None:
    page = fresh_page
    open_editor(page)
    layers_nav(page).get_by_role("link", name="Global Settings").click()
    page.get_by_label("Allow custom backordering").check()
    page.get_by_role("button", name="Save settings").click()
    expect(right_panel(page).get_by_role("status")).to_contain_text("Global Settings saved.")
    open_option(page, "Gravel Tan", "Wheels")
    page.get_by_label("Quantity on hand").fill("5")
    save_option(page)

    choose(page, "Gravel Tan", 2)
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart\?added=1$"))
    expect(cart_lines(page)).to_have_count(1)

    page.evaluate("window.__marker = 1")
    cart_lines(page).get_by_label("Quantity").fill("8")
    page.get_by_role("button", name="Update").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text(
        "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 8, "
        "do you want to back order the other 3?"
    )
    assert_not_reloaded(page)
    screenshot(page, "cart-question.png")

    question.get_by_role("button", name="Yes, back order the other 3").click()
    expect(cart_lines(page)).to_have_count(2)
    first, second = cart_lines(page).all()
    expect(first.get_by_label("Quantity")).to_have_value("5")
    expect(second).to_contain_text("back ordered")
    expect(second.get_by_label("Quantity")).to_have_value("3")
    expect(option_in(second, "Wheels")).to_contain_text("Gravel Tan (Available Backorder)")
    assert_not_reloaded(page)
    assert_subtotal_is_sum(page)
