"""axe-core on the pages shoppers and merchants use most: no serious or critical issues."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import PRODUCT_PATH, fill_checkout, option_radio, purchase_status, sign_in
from e2e.pages.audit import blocking_violations, describe

pytestmark = pytest.mark.usefixtures("demo_catalog")


def check_documents(page: Page, number: str, checked: dict[str, list[dict[str, Any]]]) -> None:
    """The pick list's print view, and Documents refusing a backorder message."""
    page.goto(f"/admin/orders/{number}/documents/pick-list")
    expect(page.get_by_role("heading", name=f"Pick list for order {number}")).to_be_visible()
    checked["pick list, print view"] = blocking_violations(page)

    page.goto("/admin/documents")
    page.get_by_role("textbox", name="Backorder message").fill("[nope] left")
    page.get_by_role("button", name="Save message").click()
    expect(page.locator("#backorder_message-error")).to_contain_text("Unknown placeholder [nope].")
    checked["documents settings with an error"] = blocking_violations(page)


def check_backorder_queue(page: Page, checked: dict[str, list[dict[str, Any]]]) -> None:
    page.goto("/admin/backorders")
    expect(page.get_by_role("table", name=re.compile(r"^Orders waiting for"))).to_be_visible()
    checked["admin backorder queue"] = blocking_violations(page)


def test_accessibility(page: Page) -> None:
    checked: dict[str, list[dict[str, Any]]] = {}

    page.goto(PRODUCT_PATH)
    option_radio(page, "Carbon Deep").check()
    expect(purchase_status(page)).to_contain_text("Available on Backorder")
    checked["configurator (Carbon Deep chosen)"] = blocking_violations(page)

    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart"))
    checked["cart with an item"] = blocking_violations(page)

    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    checked["checkout"] = blocking_violations(page)

    fill_checkout(page, email="")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page.get_by_text("Enter your email.")).to_be_visible()
    checked["checkout with a field error"] = blocking_violations(page)

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page.get_by_role("heading", name="Thank you, your order is placed")).to_be_visible()
    checked["order confirmation"] = blocking_violations(page)
    number = page.locator(".confirmation .lead strong").inner_text()
    confirmation = page.url

    sign_in(page)
    page.goto(f"/admin/orders/{number}")
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    checked["admin order"] = blocking_violations(page)
    check_documents(page, number, checked)
    check_backorder_queue(page, checked)
    page.goto(f"/admin/orders/{number}")

    page.get_by_label(f"Yes, cancel order {number}").check()
    page.get_by_role("button", name="Cancel order and restock").click()
    expect(page.get_by_role("status")).to_contain_text("Order cancelled")
    checked["admin order, cancelled"] = blocking_violations(page)

    page.goto(confirmation)
    expect(page.get_by_role("heading", name=f"Order {number} was cancelled")).to_be_visible()
    checked["order confirmation, cancelled"] = blocking_violations(page)

    page.goto("/admin")
    expect(page.get_by_role("heading", name="Configurable products")).to_be_visible()
    page.get_by_role("link", name="Aero Road Bike").click()
    expect(page.get_by_role("heading", name="Configurator: Aero Road Bike")).to_be_visible()
    checked["admin editor"] = blocking_violations(page)

    layers = page.get_by_role("navigation", name="Layers")
    layers.get_by_role("link", name=re.compile(r"^Carbon Deep")).click()
    expect(page.get_by_role("heading", name="Option: Carbon Deep in Wheels")).to_be_visible()
    checked["admin editor, option panel"] = blocking_violations(page)

    layers.get_by_role("link", name="Global Settings").click()
    expect(
        page.locator("#right-panel").get_by_role("heading", name="Global Settings")
    ).to_be_visible()
    checked["admin editor, Global Settings"] = blocking_violations(page)

    failures = {name: found for name, found in checked.items() if found}
    assert not failures, "serious/critical axe violations:\n" + "\n".join(
        f"[{name}]\n{describe(found)}" for name, found in failures.items()
    )


def test_accessibility_of_conditional_logic(page: Page) -> None:
    """What the rules add: the notice of a changed build, the editor's Conditional logic panel
    with a field error."""
    checked: dict[str, list[dict[str, Any]]] = {}
    page.goto(PRODUCT_PATH)
    option_radio(page, "Gravel Tan").check()
    expect(page.locator("#availability")).to_contain_text("Flat Bar, Silver is chosen instead")
    checked["configurator (a rule changed the build)"] = blocking_violations(page)

    sign_in(page)
    page.get_by_role("link", name="Aero Road Bike").click()
    page.get_by_role("navigation", name="Layers").get_by_role(
        "link", name=re.compile(r"^Conditional logic")
    ).click()
    panel = page.locator("#right-panel")
    expect(panel.get_by_role("heading", name="Conditional logic")).to_be_visible()
    panel.get_by_role("button", name="Add rule").click()
    expect(panel.get_by_text("Choose at least one option for IF.")).to_be_visible()
    checked["admin editor, Conditional logic with an error"] = blocking_violations(page)

    failures = {name: found for name, found in checked.items() if found}
    assert not failures, "serious/critical axe violations:\n" + "\n".join(
        f"[{name}]\n{describe(found)}" for name, found in failures.items()
    )
