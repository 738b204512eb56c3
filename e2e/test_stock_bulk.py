"""Stock in bulk in the browser (issue 12): a CSV with one bad row writes nothing and shows the
row; fixed, it is checked again, applied, and the storefront shows the change."""

from __future__ import annotations

import re

from playwright.sync_api import Page, ViewportSize, expect
from pytest_playwright.pytest_playwright import CreateContextCallback
from sqlalchemy import update
from sqlmodel import col

from configurator.store.db import make_engine, new_session, unit_of_work
from configurator.store.models import ImportJob, Layer, Option, Product
from e2e.helpers import screenshot, sign_in
from e2e.pages import Admin, Configurator, Inventory
from e2e.pages.audit import blocking_violations, describe
from e2e.target import merchant
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


def add_bolts(server: Server, count: int) -> None:
    """A product of `count` tracked options, 100 per layer (BOLT-000, BOLT-001, ...)."""
    engine = make_engine(server.database_url)
    try:
        with new_session(engine) as session, unit_of_work(session, write=True):
            product = Product(name="Workshop Bolts", slug="workshop-bolts")
            session.add(product)
            session.flush()
            assert product.id is not None
            for start in range(0, count, 100):
                layer = Layer(product_id=product.id, name=f"Size {start // 100 + 1}")
                session.add(layer)
                session.flush()
                assert layer.id is not None
                session.add_all(
                    Option(
                        layer_id=layer.id,
                        name=f"Bolt {n}",
                        sku=f"BOLT-{n:03d}",
                        position=n,
                        stock_management=True,
                        track_inventory=True,
                    )
                    for n in range(start, min(start + 100, count))
                )
    finally:
        engine.dispose()


def test_a_file_of_300_rows_is_checked_then_applied_with_a_summary(
    fresh_page: Page, fresh_server: Server
) -> None:
    """The check and the apply run in the background (their bar may be too quick to see with
    300 rows: the integration tests hold a job to look at it); the page ends on the review,
    which a reload keeps, then on the summary."""
    page = fresh_page
    add_bolts(fresh_server, 300)
    inventory = Admin.sign_in(page).inventory()
    rows = "".join(f"BOLT-{n:03d},{n % 7 + 1}\n" for n in range(300))
    inventory.check_file("bolts.csv", "sku,quantity\n" + rows)
    expect(page.get_by_text("Dry run of bolts.csv: 300 option(s) would change")).to_be_visible()
    expect(inventory.progress).to_have_count(0)
    page.wait_for_url(re.compile(r"/admin/inventory/import/[\w-]+$"))
    page.reload()
    expect(page.get_by_text("Dry run of bolts.csv: 300 option(s) would change")).to_be_visible()
    expect(page.get_by_role("table", name="Changes")).to_contain_text("quantity: 0 → 7")

    inventory.apply()
    expect(inventory.summary).to_contain_text("Imported bolts.csv: 300 option(s) changed")
    expect(inventory.progress).to_have_count(0)
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)


def test_the_bar_follows_an_import_that_another_server_runs(
    fresh_page: Page, fresh_server: Server
) -> None:
    """A check of 10,000 rows that another app server is running: its page shows the bar and
    follows it (htmx polls), and stops once it has ended."""
    page = fresh_page
    engine = make_engine(fresh_server.database_url)
    try:
        with new_session(engine) as session, unit_of_work(session, write=True):
            session.add(
                ImportJob(
                    id="elsewhere",
                    owner=merchant().username,
                    filename="spring-restock.csv",
                    content=b"sku,quantity\r\n",
                    status="checking",
                    done=4000,
                    total=10000,
                )
            )
        Admin.sign_in(page)
        page.goto("/admin/inventory/import/elsewhere")
        inventory = Inventory(page)
        expect(inventory.progress).to_have_accessible_name("Checking row 4,000 of 10,000")
        expect(page.get_by_text("Checking spring-restock.csv")).to_be_visible()
        screenshot(page, "inventory-import-progress.png", full_page=False)

        with new_session(engine) as session, unit_of_work(session, write=True):
            session.execute(
                update(ImportJob).where(col(ImportJob.id) == "elsewhere").values(done=7000)
            )
        expect(inventory.progress).to_have_accessible_name("Checking row 7,000 of 10,000")

        with new_session(engine) as session, unit_of_work(session, write=True):
            session.execute(
                update(ImportJob)
                .where(col(ImportJob.id) == "elsewhere")
                .values(status="failed", error="The import stopped before it finished.")
            )
        expect(inventory.summary).to_contain_text(
            "spring-restock.csv was not imported. The import stopped before it finished."
        )
        expect(inventory.progress).to_have_count(0)
    finally:
        engine.dispose()
