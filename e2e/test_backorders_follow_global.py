"""Seed 000's own steps, in the admin of a brand-new configurator, give what the help page
promises: the Out of Stock option is "Available on Backorder" and can be bought, because
backorders are enabled globally (issue #8). On a product of the flow's own."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import OwnProducts
from e2e.pages import Admin, Configurator

NOTIFY = "Allow backorders and notify customer"


def test_seed_000_steps_on_a_new_configurator(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    # Create a product, add a layer and an option.
    editor = own_products.new(admin, "Desk Lamp", "40.00")
    editor.add_layer("Shade")
    editor.add_option("Shade", "Linen")

    # Step 2: Global Settings (the gear) > Stock Management > Enable Backorder. A new
    # configurator starts with No backorders, and new options follow the global setting.
    settings = editor.open_global_settings()
    enable_backorder = settings.get_by_role("group", name="Enable Backorder")
    expect(enable_backorder.get_by_label("No backorders")).to_be_checked()
    expect(settings.get_by_label("Backorders for new image layers")).to_have_value("")
    expect(settings.get_by_label("Enable Stock Management")).to_be_checked()
    editor.global_settings(backorders=NOTIFY)

    # Steps 3 and 4: the option's Stock Management on, Stock Status Out of Stock.
    linen = editor.option("Linen", "Shade")
    expect(linen.panel.get_by_label("Backorders", exact=True)).to_have_value("")
    panel = linen.stock_management(enabled=True, status="Out of Stock")
    expect(panel).to_contain_text("Shoppers now see: Available on Backorder.")
    expect(panel).not_to_contain_text("Allow backorders to keep selling it")

    # New products start as drafts: publish it, then shop.
    editor.publish()
    shop = Configurator.open(page, editor.slug)
    expect(shop.availability).to_contain_text("Available on Backorder: Shade · Linen.")
    expect(page.get_by_role("button", name="Cannot be ordered")).to_have_count(0)
    cart = shop.add_to_cart_and_open_cart()
    assert cart.line(editor.name).label == "(Available Backorder)"
