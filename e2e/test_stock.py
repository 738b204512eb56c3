"""Quantities on hand in the browser (issue 4): the partial-backorder question with Yes and
No, "Only X left" as stock falls, and a negative Out-of-Stock Threshold that lets exactly
that many be backordered. Each flow builds a product of its own, so it runs on any server."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.conftest import OwnProducts
from e2e.helpers import screenshot
from e2e.pages import Admin, Cart, Configurator, Editor, buy
from e2e.pages.forms import place_order

CART_LABEL = "(Available Backorder)"
NOTIFY = "Allow backorders and notify customer"
QUESTION_5_OF_10 = (
    "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 10, "
    "do you want to back order the other 5?"
)


def product_with(
    admin: Admin,
    own_products: OwnProducts,
    layer: str,
    options: tuple[str, str],
    settings: dict[str, Any],
    stock: dict[str, Any],
    *,
    through_editor: bool = False,
) -> Editor:
    """A published product with one layer of two options: the first always in stock, the
    second with the given Stock Management block; Global Settings as given. Built through the
    editor's forms, then its editor opened; `through_editor`: built in the editor's pages, as
    the merchant does (the flows that set the fields no other flow sets there)."""
    if through_editor:
        editor = own_products.new(admin, "Stock")
        editor.global_settings(**settings)
        editor.add_layer(layer)
        for option in options:
            editor.add_option(layer, option, "120.00" if option == options[1] else "0.00")
        editor.option(options[1], layer).stock_management(**stock)
        editor.publish()
        return editor
    built = own_products.build(admin, "Stock")
    built.global_settings(**settings)
    built.add_layer(layer)
    for option in options:
        built.add_option(layer, option, "120.00" if option == options[1] else "0.00")
    built.stock_management(options[1], **stock)
    built.publish()
    return admin.editor(built)


def gravel_tan_5_with_custom_backordering(
    admin: Admin, own_products: OwnProducts, *, through_editor: bool = False
) -> Editor:
    return product_with(
        admin,
        own_products,
        "Wheels",
        ("Road Classic", "Gravel Tan"),
        {"backorders": NOTIFY, "allow_custom_backordering": True},
        {"track_inventory": True, "quantity": 5},
        through_editor=through_editor,
    )


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"


def assert_stays_on_product(url: str, what: str) -> None:
    assert "/products/" in url, (
        f"after {what} the address bar shows {url}: the Add to cart button inherits the "
        "form's hx-push-url, so a reload or a shared link gives a 405 page"
    )


def choose(
    page: Page, slug: str, layer: str, option: str, quantity: int, *, javascript: bool = True
) -> Configurator:
    shop = Configurator.open(page, slug, javascript=javascript)
    shop.choose(layer, option)
    page.get_by_label("Quantity").fill(str(quantity))
    return shop


def test_backorder_question_yes_and_no(
    admin: Admin, own_products: OwnProducts, page: Page, new_context: CreateContextCallback
) -> None:
    # Built in the editor's pages: Allow custom backordering, Track inventory and a quantity
    # set there, as a merchant does.
    editor = gravel_tan_5_with_custom_backordering(admin, own_products, through_editor=True)
    name = editor.name

    # No: only the 5 in stock are added, on an ordinary line.
    shop = choose(page, editor.slug, "Wheels", "Gravel Tan", 10)
    page.evaluate("window.__marker = 1")
    shop.add_to_cart()
    dialog = page.get_by_role("alertdialog", name="Only 5 of 10 in stock")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description(QUESTION_5_OF_10)
    assert_not_reloaded(page)
    url_after_question = page.url
    screenshot(page, "backorder-question.png")

    shop.question.answer_no()
    cart = shop.open_cart_after_adding("Added the 5 in stock.")
    expect(cart.lines).to_have_count(1)
    first = cart.line(name)
    expect(first.quantity).to_have_value("5")
    expect(first.option("Wheels")).to_contain_text("Gravel Tan")
    assert first.label == ""
    expect(page.get_by_role("main")).not_to_contain_text("back ordered")
    unit = first.unit_price()
    assert first.total() == 5 * unit
    cart.assert_subtotal_is_sum_of_lines()

    _again_10_are_all_backordered(page, editor, unit)

    # Without JavaScript (a cart of its own): the question is a page, and Yes adds two lines.
    plain = new_context(java_script_enabled=False).new_page()
    shop = choose(plain, editor.slug, "Wheels", "Gravel Tan", 10, javascript=False)
    shop.add_to_cart()
    expect(plain).to_have_url(re.compile(r"/cart/items$"))
    expect(plain).to_have_title(re.compile(r"^Back order\?"))
    expect(shop.question.dialog).to_contain_text(QUESTION_5_OF_10)
    shop.question.answer_yes()
    cart = shop.open_cart_after_adding("Added 5 in stock and 5 back ordered.")
    _two_lines(cart, name, unit, in_stock=5, back_ordered=5)

    # Checked last so that the flows above still run: asking the question must leave the
    # configurator's address alone (a reload of /cart/items is a 405 page).
    assert_stays_on_product(url_after_question, "the backorder question")


def _two_lines(cart: Cart, name: str, unit: Decimal, *, in_stock: int, back_ordered: int) -> None:
    """One ordinary line, one "back ordered" line with the label, both at the normal price."""
    expect(cart.lines).to_have_count(2)
    ordinary, backordered = cart.line(name), cart.line(name, back_ordered=True)
    expect(ordinary.quantity).to_have_value(str(in_stock))
    expect(ordinary.option("Wheels")).not_to_contain_text(CART_LABEL)
    expect(backordered.quantity).to_have_value(str(back_ordered))
    expect(backordered.heading).to_contain_text("back ordered")
    assert backordered.label == CART_LABEL
    expect(backordered.option("Wheels")).to_contain_text(f"Gravel Tan {CART_LABEL}")
    expect(backordered.item).to_contain_text(
        f"All {back_ordered} backordered: they ship once restocked."
    )
    assert ordinary.total() == in_stock * unit
    assert backordered.total() == back_ordered * unit
    cart.assert_subtotal_is_sum_of_lines()


def _again_10_are_all_backordered(page: Page, editor: Editor, unit: Decimal) -> None:
    """Again 10: the cart already holds the 5 in stock, so all 10 would be backordered."""
    shop = choose(page, editor.slug, "Wheels", "Gravel Tan", 10)
    page.evaluate("window.__marker = 1")
    shop.add_to_cart()
    dialog = page.get_by_role("alertdialog", name="None in stock right now")
    expect(dialog).to_contain_text(
        "There are no Gravel Tan (Wheels) in stock, and you have added 10, "
        "do you want to back order all 10?"
    )
    assert_not_reloaded(page)
    shop.question.answer_yes()
    cart = shop.open_cart_after_adding("10 back ordered.")
    _two_lines(cart, editor.name, unit, in_stock=5, back_ordered=10)
    screenshot(page, "cart-split.png")


def test_only_x_left_appears_as_stock_falls(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    editor = product_with(
        admin,
        own_products,
        "Frame",
        ("Racing Red", "Midnight Blue"),
        {"only_x_left_threshold": 5},
        {"track_inventory": True, "quantity": 6, "backorders": "No backorders"},
    )
    expect(editor.option("Midnight Blue", "Frame").panel).to_contain_text("Salable quantity: 6")

    shop = Configurator.open(page, editor.slug)
    blue = shop.option("Midnight Blue")
    expect(blue).to_be_enabled()
    expect(blue).to_have_accessible_description("")

    # The first purchase through the pages; the next two by the same forms, without them.
    buy(page, editor.slug, {"Frame": "Midnight Blue"}, 1)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Midnight Blue")).to_have_accessible_description("Only 5 left")
    expect(shop.option("Midnight Blue")).to_be_enabled()

    place_order(page, editor.slug, {"Frame": "Midnight Blue"}, 3)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Midnight Blue")).to_have_accessible_description("Only 2 left")
    expect(shop.option("Midnight Blue")).to_be_enabled()

    place_order(page, editor.slug, {"Frame": "Midnight Blue"}, 2)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Midnight Blue")).to_have_accessible_description("Out of Stock")
    expect(shop.option("Midnight Blue")).to_be_disabled()


def test_negative_threshold_accepts_exactly_that_many_backorders(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    editor = product_with(
        admin,
        own_products,
        "Frame",
        ("Racing Red", "Midnight Blue"),
        {"backorders": "No backorders"},
        {
            "track_inventory": True,
            "quantity": 2,
            "backorders": NOTIFY,
            "out_of_stock_threshold": -3,
        },
        through_editor=True,  # an option's own Backorders and threshold, set in its panel
    )
    panel = editor.option("Midnight Blue", "Frame").panel
    expect(panel.get_by_label("Track inventory")).to_be_checked()
    expect(panel.get_by_label("Out-of-Stock Threshold", exact=True)).to_have_value("-3")
    expect(panel).to_contain_text("Salable quantity: 5")

    # 6 is one too many: refused right under the button, without a reload.
    shop = choose(page, editor.slug, "Frame", "Midnight Blue", 6)
    page.evaluate("window.__marker = 1")
    shop.add_to_cart()
    # (The quantity's own answer may also say "Only 5 of this build can be ordered" in the
    # availability above: the refusal is the alert.)
    refusal = page.get_by_role("alert").filter(has_text=re.compile(r"^\s*Only 5 more"))
    expect(refusal).to_be_visible()
    assert_not_reloaded(page)
    url_after_refusal = page.url

    # 5 is exactly what can be sold: 2 in stock, 3 backordered.
    page.get_by_label("Quantity").fill("5")
    cart = shop.add_to_cart_and_open_cart()
    expect(cart.lines).to_have_count(1)
    line = cart.line(editor.name)
    expect(line.quantity).to_have_value("5")
    expect(line.option("Frame")).to_contain_text(f"Midnight Blue {CART_LABEL}")
    expect(line.item).to_contain_text("2 ship now, 3 once restocked.")
    cart.assert_subtotal_is_sum_of_lines()

    checkout = cart.checkout()
    checkout.fill()
    confirmation = checkout.place_order_and_confirm()
    expect(confirmation.main).to_contain_text("2 ship now, 3 once restocked.")
    expect(confirmation.option("Frame")).to_contain_text(f"Midnight Blue {CART_LABEL}")

    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Midnight Blue")).to_have_accessible_description("Out of Stock")
    expect(shop.option("Midnight Blue")).to_be_disabled()
    expect(shop.availability).to_have_text("In stock, ready to build.")

    # Checked last so that the flow above still runs: the refused add must leave the
    # configurator's address alone (a reload of /cart/items is a 405 page).
    assert_stays_on_product(url_after_refusal, "a refused add")


def test_raising_a_cart_line_past_stock_asks_in_the_cart(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    editor = gravel_tan_5_with_custom_backordering(admin, own_products)
    shop = choose(page, editor.slug, "Wheels", "Gravel Tan", 2)
    cart = shop.add_to_cart_and_open_cart()
    expect(cart.lines).to_have_count(1)
    unit = cart.line(editor.name).unit_price()

    page.evaluate("window.__marker = 1")
    cart.line(editor.name).change_quantity(8)
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text(
        "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 8, "
        "do you want to back order the other 3?"
    )
    assert_not_reloaded(page)
    screenshot(page, "cart-question.png")

    question.get_by_role("button", name="Yes, back order the other 3").click()
    _two_lines(cart, editor.name, unit, in_stock=5, back_ordered=3)
    assert_not_reloaded(page)
