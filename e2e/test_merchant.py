"""A merchant switches backorders off for a configurator and the storefront refuses the Out of
Stock option, then restocks it and the notice goes; switching stock management off takes every
notice away. On a product of the flow's own, so it runs against any server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import OwnProducts
from e2e.helpers import screenshot
from e2e.pages import Admin, Configurator, Editor

NOTIFY = "Allow backorders and notify customer"
BACKORDER_NOTICE = "Available on Backorder"


def bike_with_carbon_deep_out_of_stock(admin: Admin, own_products: OwnProducts) -> Editor:
    """Backorders allowed; Wheels: Road Classic (in stock), Carbon Deep (Out of Stock). Built
    through the editor's forms; its editor open."""
    built = own_products.build(admin, "Bike")
    built.global_settings(backorders=NOTIFY)
    built.add_layer("Wheels")
    built.add_option("Wheels", "Road Classic")
    built.add_option("Wheels", "Carbon Deep", "450.00")
    built.stock_management("Carbon Deep", status="Out of Stock")
    built.publish()
    return admin.editor(built)


def test_the_notice_follows_the_global_switch_and_the_stock(
    admin: Admin, own_products: OwnProducts, page: Page
) -> None:
    editor = bike_with_carbon_deep_out_of_stock(admin, own_products)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Carbon Deep")).to_have_accessible_description(BACKORDER_NOTICE)
    shop.choose("Wheels", "Carbon Deep")
    expect(shop.availability).to_contain_text(f"{BACKORDER_NOTICE}: Wheels · Carbon Deep.")

    # Global Settings: No backorders. The editor swaps in place; the Layers panel says so.
    editor.page.evaluate("window.__marker = 1")
    settings = editor.global_settings(backorders="No backorders")
    expect(
        settings.get_by_role("group", name="Enable Backorder").get_by_label(NOTIFY)
    ).not_to_be_checked()
    expect(editor.layers_link("Carbon Deep")).to_contain_text("Out of Stock")
    assert editor.page.evaluate("window.__marker") == 1, "the editor reloaded instead of swapping"
    screenshot(editor.page, "admin-settings.png")

    # The shopper: Carbon Deep cannot be chosen; a shared link with it cannot be ordered.
    query = shop.choice_query("Carbon Deep")
    shop = Configurator.open(page, editor.slug)
    carbon = shop.option("Carbon Deep")
    expect(carbon).to_be_disabled()
    expect(carbon).to_have_accessible_description("Out of Stock")
    expect(shop.add_button).to_have_text("Add to cart")
    shop = Configurator.open(page, f"/products/{editor.slug}?{query}")
    expect(shop.availability).to_contain_text(
        "Wheels: Carbon Deep is out of stock and cannot be ordered."
    )
    expect(page.get_by_role("button", name="Cannot be ordered")).to_be_disabled()
    expect(page.get_by_role("button", name="Add to cart")).to_have_count(0)

    # Restocked: no notice at all.
    panel = editor.option("Carbon Deep", "Wheels").stock_management(status="In Stock")
    expect(panel.get_by_label("Stock Status")).to_have_value("in_stock")
    expect(panel).to_contain_text("Shoppers now see: In stock.")
    expect(editor.layers_link("Carbon Deep")).not_to_contain_text("Out of Stock")
    screenshot(editor.page, "admin-option.png")
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Carbon Deep")).to_be_enabled()
    expect(shop.option("Carbon Deep")).to_have_accessible_description("")
    shop.choose("Wheels", "Carbon Deep")
    expect(shop.availability).to_have_text("In stock, ready to build.")

    # Out of Stock again with backorders back on: the notice is back; stock management off
    # in Global Settings takes it away again.
    editor.option("Carbon Deep", "Wheels").stock_management(status="Out of Stock")
    editor.global_settings(backorders=NOTIFY)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Carbon Deep")).to_have_accessible_description(BACKORDER_NOTICE)
    editor.global_settings(stock_management=False)
    shop = Configurator.open(page, editor.slug)
    expect(shop.option("Carbon Deep")).to_be_enabled()
    expect(shop.option("Carbon Deep")).to_have_accessible_description("")
    expect(page.get_by_role("main")).not_to_contain_text(re.compile(BACKORDER_NOTICE))
