"""Stock in bulk in the browser (issue 12): a CSV with one bad row writes nothing and shows the
row; fixed, it is checked again, applied, and the storefront shows the change."""

from __future__ import annotations

import re

from playwright.sync_api import Page, ViewportSize, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot, sign_in
from e2e.pages import Admin, Configurator
from e2e.pages.audit import blocking_violations, describe
from tests.live_server import Server

PHONE: ViewportSize = {"width": 390, "height": 844}


def choose_file(page: Page, name: str, content: str) -> None:
    page.get_by_label("CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.get_by_role("button", name="Check the file").click()


def test_import_with_a_bad_row_then_fixed_and_applied(fresh_page: Page) -> None:
    page = fresh_page
    honey = Configurator.open(page, "aero-road-bike").option("Honey Leather", "Saddle")
    expect(honey).to_have_accessible_description("Only 3 left")

    admin = Admin.sign_in(page)
    page.get_by_role("link", name="Inventory").click()
    expect(page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()

    choose_file(page, "restock.csv", "sku,quantity\nSD-HONEY,0\nSD-VELVET,4\n")
    expect(page.get_by_text("restock.csv: nothing was imported.")).to_be_visible()
    errors = page.get_by_role("table", name="Rows with errors")
    expect(errors).to_contain_text('Unknown SKU "SD-VELVET": no option has it.')
    expect(errors.get_by_role("cell", name="3", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)
    screenshot(page, "inventory-import-error.png")

    Configurator.open(page, "aero-road-bike")
    expect(honey).to_have_accessible_description("Only 3 left")

    page.goto("/admin/inventory")
    choose_file(page, "restock.csv", "sku,quantity\nSD-HONEY,0\n")
    expect(page.get_by_text("Dry run of restock.csv: 1 option(s) would change")).to_be_visible()
    expect(page.get_by_role("table", name="Changes")).to_contain_text("quantity: 3 → 0")
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text("Imported restock.csv: 1 option(s) changed")).to_be_visible()
    inventory = page.get_by_role("table", name=re.compile(r"^Options"))
    expect(admin.cell(inventory, "Honey Leather", "Status")).to_have_text("Out of Stock")

    Configurator.open(page, "aero-road-bike")
    expect(honey).to_have_accessible_description("Out of Stock")


def test_the_inventory_fits_a_phone(
    new_context: CreateContextCallback, fresh_server: Server
) -> None:
    page = new_context(base_url=fresh_server.url, viewport=PHONE).new_page()
    sign_in(page)
    page.get_by_role("link", name="Inventory").click()
    expect(page.get_by_text("24 option(s) match.")).to_be_visible()
    page.get_by_label("Show").select_option("low")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("2 option(s) match.")).to_be_visible()
    expect(page.get_by_role("link", name="Honey Leather")).to_be_visible()
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
    screenshot(page, "inventory-phone.png")
    violations = blocking_violations(page)
    assert not violations, describe(violations)
