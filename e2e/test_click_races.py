"""Clicks that straddle an htmx answer (issue 8, item 12).

A shopper types a quantity and goes straight for "Add to cart": pressing the mouse button
moves focus out of the quantity field, which asks the server for the updated configurator.
When that answer arrives before the mouse button is released (a busy server, a slow phone,
a slow hand), the page must not replace the button under the pointer: a browser only fires
a click when press and release land on the same element, so the shopper's click would be
lost and nothing added. These flows hold the mouse button down until the answer is in, the
way a busy machine orders the events, instead of hoping the timing works out.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import Configurator

pytestmark = pytest.mark.usefixtures("demo_catalog")


def press_and_hold_add_to_cart_until_answered(configurator: Configurator) -> None:
    """Mouse down on Add to cart, wait for the option-change answer to be applied, release."""
    page = configurator.page
    box = configurator.add_button.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate(
        "document.body.addEventListener('htmx:afterSettle',"
        " () => { document.body.dataset.settled = 'yes' }, {once: true})"
    )
    with page.expect_response(re.compile(r"/products/[^/]+/configuration\?")) as answer:
        page.mouse.down()
    assert answer.value.ok
    # Not a shopper's element: the document's own mark that htmx applied the answer.
    expect(page.locator("body")).to_have_attribute("data-settled", "yes")
    page.mouse.up()


def test_add_to_cart_click_survives_the_quantity_answer(page: Page) -> None:
    configurator = Configurator.open(page, "aero-road-bike")
    expect(configurator.option("Racing Red")).to_be_checked()
    page.get_by_label("Quantity").fill("3")

    press_and_hold_add_to_cart_until_answered(configurator)

    cart = configurator.open_cart_after_adding("Added to your cart.")
    expect(cart.line("Aero Road Bike").quantity).to_have_value("3")


def test_add_to_cart_button_follows_the_configuration(page: Page) -> None:
    """Updated in place, the button still says what can be done: a shared link with the
    sold-out Neon Yellow laces cannot be ordered; choosing White laces makes it orderable,
    and that same button adds to the cart."""
    sneaker = Configurator.open(page, "court-sneaker")
    shared_link = f"/products/court-sneaker?{sneaker.choice_query('Neon Yellow', 'Laces')}"
    configurator = Configurator.open(page, shared_link)
    add = configurator.add_button
    expect(add).to_be_disabled()
    expect(add).to_have_text("Cannot be ordered")

    configurator.option("White", "Laces").check()
    expect(add).to_be_enabled()
    expect(add).to_have_text("Add to cart")
    add.click()
    expect(configurator.added).to_contain_text("Added to your cart.")
