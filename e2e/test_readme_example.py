"""The worked example of README.md's "Writing a flow", kept here so it stays true."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import OwnProducts
from e2e.pages import Admin, Configurator


def test_a_backordered_saddle_is_labelled_in_the_cart(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    # The merchant (signed in, in a browser of their own) builds a product.
    editor = own_products.new(admin, "Bike")  # "QA e2e Bike 3fa9c1", deleted at the end
    editor.global_settings(backorders="Allow backorders and notify customer")
    editor.add_layer("Saddle")
    editor.add_option("Saddle", "Classic Black")
    editor.add_option("Saddle", "Honey Leather", "35.00")
    editor.option("Honey Leather").stock_management(status="Out of Stock")
    editor.publish()

    # The shopper, in another browser.
    configurator = Configurator.open(page, editor.slug)
    expect(configurator.option("Honey Leather")).to_have_accessible_description(
        "Available on Backorder"
    )
    configurator.choose("Saddle", "Honey Leather")
    cart = configurator.add_to_cart_and_open_cart()
    assert cart.line(editor.name).label == "(Available Backorder)"
    cart.assert_subtotal_is_sum_of_lines()
