"""Conditional logic in the browser: the merchant adds a rule, the storefront applies it live
(and with "Update preview" without JavaScript), and a request crafted with what the rule hides
is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot
from e2e.pages import Admin, Configurator
from tests.live_server import Server


def test_a_rule_hides_a_layer_live_and_the_hidden_option_is_refused_when_posted(
    new_context: CreateContextCallback, fresh_server: Server
) -> None:
    merchant_context = new_context(base_url=fresh_server.url)
    shopper_context = new_context(base_url=fresh_server.url)
    page = merchant_context.new_page()
    editor = Admin.sign_in(page).product("Aero Road Bike")
    editor.layers.get_by_role("link", name=re.compile("Conditional logic")).click()
    panel = editor.panel(re.compile(r"^Conditional logic"))
    expect(panel.get_by_role("heading", name="Conditional logic")).to_be_visible()
    panel.get_by_label("Wheels · Carbon Deep").check()
    panel.get_by_label("THEN", exact=True).select_option("hide")
    panel.get_by_label("Layer or option").select_option(label="The layer Accessory")
    panel.get_by_role("button", name="Add rule").click()
    expect(panel.get_by_role("status")).to_contain_text("Rule added.")
    expect(panel.get_by_role("listitem").filter(has_text="Carbon Deep")).to_have_text(
        re.compile(r"IF Wheels · Carbon Deep THEN Hide the layer Accessory")
    )
    screenshot(page, "admin-rules.png")

    shopper = shopper_context.new_page()
    shop = Configurator.open(shopper, "aero-road-bike")
    accessory = shopper.get_by_role("group", name=re.compile(r"^Accessory"))
    expect(accessory).to_be_visible()
    shop.option("Brass Bell").check()

    # Live: choosing Carbon Deep takes the Accessory layer away, and says so.
    shop.option("Carbon Deep").check()
    expect(accessory).to_have_count(0)
    expect(shop.availability).to_contain_text(
        "Accessory is not offered with Wheels · Carbon Deep, so it was left out."
    )
    # The demo rule: Gravel Tan wheels hide the Drop Bar (the default), Flat Bar instead.
    shop.option("Gravel Tan").check()
    expect(shop.option("Flat Bar, Silver")).to_be_checked()
    expect(shop.option("Drop Bar, Black Tape")).to_have_count(0)
    expect(accessory).to_be_visible()
    screenshot(shopper, "configurator-rules.png")

    # A request crafted with the hidden layer's option is refused, and nothing is added.
    # A hidden field has no role or label: the form's CSRF token, by its name.
    token = shopper.locator('input[name="_csrf_token"]').first.get_attribute("value")
    wheels = shop.option("Gravel Tan").get_attribute("name")
    Configurator.open(shopper, "aero-road-bike")
    carbon = shop.option("Carbon Deep").get_attribute("value")
    bell_name = shop.option("Brass Bell").get_attribute("name")
    bell = shop.option("Brass Bell").get_attribute("value")
    assert token and wheels and carbon and bell_name and bell
    refused = shopper.request.post(
        "/cart/items",
        form={
            "_csrf_token": token,
            "product": "aero-road-bike",
            "quantity": "1",
            wheels: carbon,
            bell_name: bell,
        },
        max_redirects=0,
    )
    assert refused.status == 409
    assert "Accessory is not offered with Wheels · Carbon Deep." in refused.text()
    shopper.goto("/cart")
    expect(shopper.get_by_text("Your cart is empty")).to_be_visible()


@pytest.mark.usefixtures("demo_catalog")
def test_update_preview_applies_the_rules_without_javascript(plain_page: Page) -> None:
    """The demo's Bottle Cage is only offered with the Racing Red and Midnight Blue frames."""
    page = plain_page
    shop = Configurator.open(page, "aero-road-bike", javascript=False)
    shop.option("Bottle Cage").check()
    shop.option("Forest Green").check()
    page.get_by_role("button", name="Update preview and price").click()
    expect(shop.availability).to_contain_text(
        "Accessory: Bottle Cage is only offered with Frame · Racing Red or Frame · "
        "Midnight Blue, so it was taken off."
    )
    expect(shop.option("Bottle Cage")).to_have_count(0)
    expect(shop.option("Forest Green")).to_be_checked()
    expect(shop.option("None")).to_be_checked()
