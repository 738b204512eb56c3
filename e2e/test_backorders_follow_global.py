"""Seed 000's own steps, in the admin of a brand-new configurator, give what the help page
promises: the Out of Stock option is "Available on Backorder" and can be bought, because
backorders are enabled globally (issue #8). Runs on a server and database of its own."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.helpers import purchase_status, sign_in


def test_seed_000_steps_on_a_new_configurator(fresh_page: Page) -> None:
    page = fresh_page
    sign_in(page)
    right_panel = page.locator("#right-panel")
    layers = page.get_by_role("navigation", name="Layers")

    # Create a product, add a layer and an option.
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Name").fill("Desk Lamp")
    page.get_by_label("Web address (slug)").fill("desk-lamp")
    page.get_by_label("Base price ($)").fill("40.00")
    page.get_by_role("button", name="Create product").click()
    expect(right_panel.get_by_role("heading", name="Add a layer")).to_be_visible()
    page.get_by_label("Layer name").fill("Shade")
    page.get_by_role("button", name="Add layer").click()
    expect(right_panel.get_by_role("heading", name="Layer: Shade")).to_be_visible()
    page.get_by_label("Option name").fill("Linen")
    page.get_by_role("button", name="Add option").click()
    expect(layers.get_by_role("link", name=re.compile(r"^Linen"))).to_be_visible()

    # Step 2: Global Settings (the gear) > Stock Management > Enable Backorder.
    layers.get_by_role("link", name="Global Settings").click()
    expect(right_panel.get_by_role("heading", name="Global Settings")).to_be_visible()
    enable_backorder = page.get_by_role("group", name="Enable Backorder")
    expect(enable_backorder.get_by_label("No backorders")).to_be_checked()
    expect(page.get_by_label("Backorders for new image layers")).to_have_value("")
    expect(page.get_by_label("Enable Stock Management")).to_be_checked()
    enable_backorder.get_by_label("Allow backorders and notify customer").check()
    page.get_by_role("button", name="Save settings").click()
    expect(right_panel.get_by_role("status")).to_contain_text("Global Settings saved.")

    # Steps 3 and 4: the option's Stock Management on, Stock Status Out of Stock.
    layers.get_by_role("link", name=re.compile(r"^Linen")).click()
    expect(right_panel.get_by_role("heading", name="Option: Linen in Shade")).to_be_visible()
    expect(page.get_by_label("Backorders", exact=True)).to_have_value("")
    page.get_by_label("Enable Stock Management").check()
    page.get_by_label("Stock Status").select_option(label="Out of Stock")
    page.get_by_role("button", name="Save option").click()
    expect(right_panel.get_by_role("status")).to_contain_text("Option saved.")
    expect(right_panel).to_contain_text("Shoppers now see: Available on Backorder.")
    expect(right_panel).not_to_contain_text("Allow backorders to keep selling it")

    # New products start as drafts: publish it, then shop.
    publication = page.get_by_role("region", name=re.compile(r"^Status"))
    publication.get_by_role("button", name="Publish").click()
    expect(publication.get_by_role("heading")).to_have_text("Status: Published")

    # The storefront: available on backorder, and it can be added to the cart.
    page.goto("/products/desk-lamp")
    expect(purchase_status(page)).to_contain_text("Available on Backorder: Shade · Linen.")
    expect(page.get_by_role("button", name="Cannot be ordered")).to_have_count(0)
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart"))
    expect(page.get_by_role("main")).to_contain_text("(Available Backorder)")
