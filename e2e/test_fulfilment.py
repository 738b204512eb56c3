"""Restock fills the oldest waiting order first, in the browser: a shopper orders the same
backordered wheels twice (two orders); the merchant receives one unit; the older order becomes
Ready to ship while the newer one still waits, for the merchant and on the shopper's pages."""

from __future__ import annotations

import os

from playwright.sync_api import Locator, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import PROJECT_ROOT
from e2e.pages import Admin, Confirmation, OptionPanel
from e2e.pages.forms import place_order
from tests.live_server import Server


def open_gravel_tan(page: Page) -> OptionPanel:
    return Admin(page).product("Aero Road Bike").option("Gravel Tan", "Wheels")


def order_gravel_tan(page: Page) -> tuple[str, str]:
    """One bike with the (backordered) Gravel Tan wheels, by the shop's forms; the order's
    number and address."""
    order = place_order(page, "aero-road-bike", {"Wheels": "Gravel Tan"})
    return order.number, order.address


def set_quantity_on_hand(gravel: OptionPanel, quantity: str) -> None:
    gravel.panel.get_by_label("Quantity on hand").fill(quantity)
    gravel.save()


def order_row(page: Page, number: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=number))


def expect_queue(admin: Page, older: str, newer: str) -> None:
    """The backorder queue lists both orders for Gravel Tan, the older first."""
    admin.goto("/admin/backorders")
    queue = admin.get_by_role("table", name="Orders waiting for Gravel Tan, oldest first")
    expect(queue.get_by_role("row")).to_have_count(4)  # header, two lines, total
    expect(queue.get_by_role("row").nth(1)).to_contain_text(older)
    expect(queue.get_by_role("row").nth(2)).to_contain_text(newer)
    expect(admin.get_by_test_id("queue-total")).to_have_text("2")
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        admin.screenshot(
            path=str(PROJECT_ROOT / "docs" / "backorder-queue.png"),
            full_page=True,
            animations="disabled",
        )


def test_receiving_one_unit_makes_the_older_order_ready_and_the_newer_one_waits(
    new_context: CreateContextCallback, fresh_server: Server
) -> None:
    merchant = new_context(base_url=fresh_server.url)
    shopper = new_context(base_url=fresh_server.url)
    admin = merchant.new_page()
    Admin.sign_in(admin)
    gravel = open_gravel_tan(admin)
    set_quantity_on_hand(gravel, "0")

    page = shopper.new_page()
    older, older_url = order_gravel_tan(page)
    newer, newer_url = order_gravel_tan(page)
    assert older != newer
    order = Confirmation(page)
    for url in (older_url, newer_url):
        page.goto(url)
        expect(order.fulfilment).to_contain_text("Awaiting stock")

    expect_queue(admin, older, newer)

    admin.get_by_role("link", name="Receive stock for Gravel Tan").click()
    expect(gravel.panel.get_by_test_id("waiting-units")).to_have_text("2")
    admin.get_by_label("Quantity received").fill("1")
    admin.get_by_label("Note (optional)").fill("First delivery")
    admin.get_by_role("button", name="Receive stock").click()
    expect(gravel.panel.get_by_role("status")).to_have_text(
        "Stock received: 1 unit went to waiting orders, oldest first; 1 order is now Ready"
        " to ship; 0 salable."
    )
    expect(gravel.panel.get_by_test_id("waiting-units")).to_have_text("1")

    admin.goto("/admin/orders")
    expect(order_row(admin, older)).to_contain_text("Ready to ship")
    expect(order_row(admin, newer)).to_contain_text("Awaiting stock")
    admin.goto("/admin")
    expect(admin.get_by_test_id("ready-count")).to_have_text("1")
    expect(admin.get_by_test_id("waiting-count")).to_have_text("1")

    page.goto(older_url)
    expect(order.fulfilment).to_contain_text("Ready to ship")
    page.goto(newer_url)
    expect(order.fulfilment).to_contain_text("Awaiting stock")

    admin.goto(f"/admin/orders/{older}")
    admin.get_by_label("Tracking reference (optional)").fill("1Z999")
    admin.get_by_role("button", name="Mark shipped").click()
    expect(admin.get_by_role("status").first).to_have_text("Marked shipped.")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Shipped")
    page.goto(older_url)
    expect(order.fulfilment).to_contain_text("Shipped")
    expect(page.get_by_role("main")).to_contain_text("tracking 1Z999")
