"""A merchant turns backorders off for a configurator, sees the storefront refuse the Out of
Stock option, then restocks that option. Runs on a server and database of its own."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.helpers import (
    PRODUCT_PATH,
    choice_query,
    option_label,
    option_radio,
    purchase_status,
    screenshot,
    sign_in,
)


def test_merchant_flow(fresh_page: Page) -> None:
    page = fresh_page
    sign_in(page)
    page.get_by_role("link", name="Aero Road Bike").click()
    expect(page.get_by_role("heading", name="Configurator: Aero Road Bike")).to_be_visible()
    editor_url = page.url

    _turn_backorders_off(page)
    _carbon_deep_cannot_be_chosen(page)
    page.goto(editor_url)
    _restock_carbon_deep(page)
    _carbon_deep_is_back(page)


def _turn_backorders_off(page: Page) -> None:
    """Global Settings: turn Enable Backorder off."""
    right_panel = page.locator("#right-panel")
    layers = page.get_by_role("navigation", name="Layers")
    page.evaluate("window.__marker = 1")
    layers.get_by_role("link", name="Global Settings").click()
    expect(right_panel.get_by_role("heading", name="Global Settings")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?panel=settings$"))
    enable_backorder = page.get_by_role("group", name="Enable Backorder")
    expect(enable_backorder.get_by_label("Allow backorders and notify customer")).to_be_checked()
    enable_backorder.get_by_label("No backorders").check()
    page.get_by_role("button", name="Save settings").click()
    expect(right_panel.get_by_role("status")).to_contain_text("Global Settings saved.")
    enable_backorder = page.get_by_role("group", name="Enable Backorder")
    expect(enable_backorder.get_by_label("No backorders")).to_be_checked()
    expect(
        enable_backorder.get_by_label("Allow backorders and notify customer")
    ).not_to_be_checked()
    expect(layers.get_by_role("link", name=re.compile(r"^Carbon Deep"))).to_contain_text(
        "Out of Stock"
    )
    assert page.evaluate("window.__marker") == 1, "the editor reloaded instead of swapping"
    screenshot(page, "admin-settings.png")


def _carbon_deep_cannot_be_chosen(page: Page) -> None:
    """The storefront, same browser: Carbon Deep can no longer be chosen; a forced URL
    with that option is refused, and nothing can be added."""
    page.goto(PRODUCT_PATH)
    carbon = option_radio(page, "Carbon Deep")
    expect(carbon).to_be_disabled()
    expect(carbon).to_have_accessible_description("Out of Stock")
    expect(option_label(page, "Carbon Deep")).to_contain_text("Out of Stock")
    expect(option_label(page, "Carbon Deep")).not_to_contain_text("Available on Backorder")
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()

    response = page.goto(f"{PRODUCT_PATH}?{choice_query(page, 'Carbon Deep')}")
    assert response is not None and response.status == 200
    expect(purchase_status(page)).to_contain_text(
        "Wheels: Carbon Deep is out of stock and cannot be ordered."
    )
    expect(page.get_by_role("button", name="Cannot be ordered")).to_be_disabled()
    expect(page.get_by_role("button", name="Add to cart")).to_have_count(0)
    expect(option_radio(page, "Carbon Deep")).to_be_checked()
    expect(option_label(page, "Carbon Deep")).to_contain_text("Out of Stock")


def _restock_carbon_deep(page: Page) -> None:
    """Back in the admin: restock Carbon Deep from the Layers panel."""
    right_panel = page.locator("#right-panel")
    layers = page.get_by_role("navigation", name="Layers")
    page.evaluate("window.__marker = 1")
    layers.get_by_role("link", name=re.compile(r"^Carbon Deep")).click()
    expect(right_panel.get_by_role("heading", name="Option: Carbon Deep in Wheels")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?panel=option&item=\d+$"))
    stock_status = page.get_by_label("Stock Status")
    expect(stock_status).to_have_value("out_of_stock")
    stock_status.select_option(label="In Stock")
    page.get_by_role("button", name="Save option").click()
    expect(right_panel.get_by_role("status")).to_contain_text("Option saved.")
    expect(page.get_by_label("Stock Status")).to_have_value("in_stock")
    expect(right_panel).to_contain_text("Shoppers now see: In stock.")
    expect(layers.get_by_role("link", name=re.compile(r"^Carbon Deep"))).not_to_contain_text(
        "Out of Stock"
    )
    assert page.evaluate("window.__marker") == 1, "the editor reloaded instead of swapping"
    screenshot(page, "admin-option.png")


def _carbon_deep_is_back(page: Page) -> None:
    """The storefront: Carbon Deep is back, with no stock notice at all."""
    page.goto(PRODUCT_PATH)
    carbon = option_radio(page, "Carbon Deep")
    expect(carbon).to_be_enabled()
    expect(carbon).to_have_accessible_description("")
    expect(option_label(page, "Carbon Deep")).not_to_contain_text("Available on Backorder")
    expect(option_label(page, "Carbon Deep")).not_to_contain_text("Out of Stock")
    carbon.check()
    expect(purchase_status(page)).to_have_text("In stock, ready to build.")
