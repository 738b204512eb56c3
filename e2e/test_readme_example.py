"""The worked example of README.md's "Writing a flow", kept here so it stays true."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import OwnProducts
from e2e.pages import Admin, Configurator, Confirmation
from e2e.pages.forms import place_order


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


def test_arranged_through_the_forms(admin: Admin, own_products: OwnProducts, page: Page) -> None:
    """The README's second example: the product and the order arranged by the shop's forms,
    then checked in the pages."""
    built = own_products.build(admin, "Bike")  # ProductForms, deleted at the end like `new`
    built.global_settings(backorders="Allow backorders and notify customer")
    built.add_layer("Saddle")
    built.add_option("Saddle", "Classic Black")
    built.add_option("Saddle", "Honey Leather", "35.00")
    built.stock_management("Honey Leather", track_inventory=True, quantity=1)
    built.publish()
    editor = admin.editor(built)  # its editor, for what the merchant sees

    order = place_order(page, built.slug, {"Saddle": "Honey Leather"})  # by the shop's forms
    page.goto(order.address)  # the shopper's order page; order.number for the admin's

    confirmation = Confirmation(page)
    assert confirmation.number == order.number
    expect(confirmation.option("Saddle")).to_contain_text("Honey Leather")
    panel = editor.option("Honey Leather", "Saddle").panel
    expect(panel.get_by_label("Quantity on hand")).to_have_value("0")
