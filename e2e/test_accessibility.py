"""axe-core on the pages shoppers and merchants use most: no serious or critical issues."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import Admin, Configurator
from e2e.pages.audit import blocking_violations, describe

pytestmark = pytest.mark.usefixtures("demo_catalog")


def check_documents(page: Page, number: str, checked: dict[str, list[dict[str, Any]]]) -> None:
    """The pick list's print view, and Documents refusing a backorder message."""
    page.goto(f"/admin/orders/{number}/documents/pick-list")
    expect(page.get_by_role("heading", name=f"Pick list for order {number}")).to_be_visible()
    checked["pick list, print view"] = blocking_violations(page)

    page.goto("/admin/documents")
    message = page.get_by_role("textbox", name="Backorder message")
    message.fill("[nope] left")
    page.get_by_role("button", name="Save message").click()
    expect(message).to_have_accessible_description(re.compile(r"Unknown placeholder \[nope\]\."))
    checked["documents settings with an error"] = blocking_violations(page)


def check_backorder_queue(page: Page, checked: dict[str, list[dict[str, Any]]]) -> None:
    page.goto("/admin/backorders")
    expect(page.get_by_role("table", name=re.compile(r"^Orders waiting for"))).to_be_visible()
    checked["admin backorder queue"] = blocking_violations(page)


def test_accessibility(page: Page) -> None:
    checked: dict[str, list[dict[str, Any]]] = {}

    configurator = Configurator.open(page, "aero-road-bike")
    configurator.choose("Wheels", "Carbon Deep")
    expect(configurator.availability).to_contain_text("Available on Backorder")
    checked["configurator (Carbon Deep chosen)"] = blocking_violations(page)

    cart = configurator.add_to_cart_and_open_cart()
    checked["cart with an item"] = blocking_violations(page)

    checkout = cart.checkout()
    checked["checkout"] = blocking_violations(page)

    checkout.fill(email="")
    checkout.place_order()
    expect(page.get_by_text("Enter your email.")).to_be_visible()
    checked["checkout with a field error"] = blocking_violations(page)

    page.get_by_label("Email").fill("ada@example.com")
    order = checkout.place_order_and_confirm()
    checked["order confirmation"] = blocking_violations(page)
    number = order.number
    confirmation = page.url

    page.goto("/admin/login")
    checked["admin sign-in"] = blocking_violations(page)
    admin = Admin.sign_in(page, through_form=True)  # the one flow that proves the form
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
    expect(order.heading).to_have_text(f"Order {number} was cancelled")
    checked["order confirmation, cancelled"] = blocking_violations(page)

    editor = admin.product("Aero Road Bike")
    checked["admin editor"] = blocking_violations(page)

    editor.option("Carbon Deep", "Wheels")
    checked["admin editor, option panel"] = blocking_violations(page)

    editor.open_global_settings()
    checked["admin editor, Global Settings"] = blocking_violations(page)

    failures = {name: found for name, found in checked.items() if found}
    assert not failures, "serious/critical axe violations:\n" + "\n".join(
        f"[{name}]\n{describe(found)}" for name, found in failures.items()
    )


def test_accessibility_of_conditional_logic(page: Page) -> None:
    """What the rules add: the notice of a changed build, the editor's Conditional logic panel
    with a field error."""
    checked: dict[str, list[dict[str, Any]]] = {}
    configurator = Configurator.open(page, "aero-road-bike")
    configurator.option("Gravel Tan").check()
    expect(configurator.availability).to_contain_text("Flat Bar, Silver is chosen instead")
    checked["configurator (a rule changed the build)"] = blocking_violations(page)

    editor = Admin.sign_in(page).product("Aero Road Bike")
    editor.layers.get_by_role("link", name=re.compile(r"^Conditional logic")).click()
    panel = editor.panel(re.compile(r"^Conditional logic"))
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Add rule").click()
    expect(panel.get_by_text("Choose at least one option for IF.")).to_be_visible()
    checked["admin editor, Conditional logic with an error"] = blocking_violations(page)

    failures = {name: found for name, found in checked.items() if found}
    assert not failures, "serious/critical axe violations:\n" + "\n".join(
        f"[{name}]\n{describe(found)}" for name, found in failures.items()
    )
