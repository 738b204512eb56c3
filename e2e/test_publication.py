"""A new product starts as a draft: the merchant previews it, cannot publish it before a
shopper could build it, then publishes it; shoppers see it only then. The admin fits a phone,
and its live preview reads the same however an option was opened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, ViewportSize, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.conftest import OwnProducts
from e2e.helpers import screenshot
from e2e.pages import Admin
from e2e.pages.forms import place_order

BANNER = "Draft preview \u2013 shoppers cannot see this."
PHONE: ViewportSize = {"width": 390, "height": 844}


def test_a_new_product_is_a_draft_until_the_merchant_publishes_it(
    admin: Admin, own_products: OwnProducts, new_context: CreateContextCallback
) -> None:
    page = admin.page
    shopper = new_context().new_page()

    # The merchant creates a lamp (a draft) and adds a required layer, Shade.
    editor = own_products.new(admin, "Desk Lamp", "49.90")
    name, path = editor.name, f"/products/{editor.slug}"
    publication = editor.publication
    expect(publication.get_by_role("heading")).to_have_text("Status: Draft")
    screenshot(page, "admin-draft.png")
    editor.add_layer("Shade")

    _the_draft_is_not_found(shopper, name, path)
    _preview_the_draft(page.context, publication, name, path)

    # Publishing is refused while Shade has no option, and says so.
    publication.get_by_role("button", name="Publish").click()
    expect(publication.get_by_role("status")).to_contain_text(
        "Not published: a shopper could not build it yet. Shade is required but has no options yet."
    )
    expect(publication.get_by_role("heading")).to_have_text("Status: Draft")
    assert shopper.goto(path).status == 404  # type: ignore[union-attr]

    # An option for Shade, then Publish works.
    editor.add_option("Shade", "Linen")
    editor.publish()
    expect(publication.get_by_role("status")).to_contain_text(
        "Published: shoppers can now see and buy it."
    )

    # The shopper sees it now, without the banner.
    shopper.goto("/")
    shopper.get_by_role("link", name=re.compile(re.escape(name))).click()
    expect(shopper.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(shopper.get_by_text(BANNER)).to_have_count(0)
    expect(shopper.get_by_role("button", name="Add to cart")).to_be_enabled()


def _the_draft_is_not_found(shopper: Page, name: str, path: str) -> None:
    """Shoppers: not on the home page, and its address is not found."""
    shopper.goto("/")
    expect(shopper.get_by_role("heading", level=1)).to_be_visible()
    expect(shopper.get_by_text(name)).to_have_count(0)
    response = shopper.goto(path)
    assert response is not None and response.status == 404
    expect(shopper.get_by_text(name)).to_have_count(0)


def _preview_the_draft(
    merchant_context: BrowserContext, publication: Locator, name: str, path: str
) -> None:
    """The merchant previews the draft, with the banner, and cannot add it to a cart."""
    with merchant_context.expect_page() as opened:
        publication.get_by_role("link", name="Preview draft").click()
    preview = opened.value
    expect(preview.get_by_text(BANNER)).to_be_visible()
    expect(preview.get_by_role("heading", name=name, level=1)).to_be_visible()
    # No Add to cart on a draft, before or after the page updates itself.
    add = preview.get_by_role("button", name="Publish to sell it")
    expect(add).to_be_disabled()
    with preview.expect_response(re.compile(rf"{re.escape(path)}/configuration")):
        preview.get_by_label("Quantity").fill("2")
        preview.get_by_label("Quantity").press("Tab")
    expect(add).to_be_disabled()
    expect(preview.get_by_role("button", name="Add to cart")).to_have_count(0)
    preview.close()


@pytest.mark.usefixtures("demo_catalog")
def test_a_published_product_keeps_an_option_on_every_required_layer(page: Page) -> None:
    editor = Admin.sign_in(page).product("Court Sneaker")
    studio = editor.option("Studio", "Backdrop")
    page.once("dialog", lambda dialog: dialog.accept())
    studio.panel.get_by_role("button", name="Delete option").click()
    expect(studio.panel.get_by_role("status")).to_contain_text(
        "Unpublish Court Sneaker first, or add another option to Backdrop"
    )
    expect(studio.panel).to_be_visible()

    page.goto("/products/court-sneaker")
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.usefixtures("demo_catalog")
def test_the_admin_fits_a_phone(new_context: CreateContextCallback) -> None:
    page = new_context(viewport=PHONE).new_page()
    # One order (by the shop's forms), so the order tables have a row.
    place_order(page, "aero-road-bike", {})

    admin = Admin.sign_in(page)
    products = admin.products
    expect(products.get_by_role("cell", name="Aero Road Bike", exact=True)).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
    # Each stacked cell still says what it is.
    status = admin.cell(products, "Aero Road Bike", "Status")
    label = status.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label.startswith('"Status"')
    screenshot(page, "admin-dashboard-phone.png")

    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.get_by_role("cell", name="Ada Lovelace").first).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]

    editor = admin.product("Aero Road Bike")
    assert scroll_width(page) <= PHONE["width"]
    editor.option("Carbon Deep", "Wheels")
    assert scroll_width(page) <= PHONE["width"]


@pytest.mark.usefixtures("demo_catalog")
def test_the_live_preview_is_the_same_however_an_option_is_opened(page: Page) -> None:
    editor = Admin.sign_in(page).product("Aero Road Bike")
    expect(editor.preview.get_by_role("heading")).to_have_text("Live preview (default choices)")
    _, default_images = editor.preview_state()

    editor.option("Midnight Blue", "Frame")
    expect(page).to_have_url(re.compile(r"\?panel=option&item=\d+$"))
    from_list = editor.preview_state()
    assert [name.split()[:2] for name in editor.open_in_layers()] == [["Midnight", "Blue"]]

    page.goto(page.url)
    editor.option("Midnight Blue", "Frame")
    by_address = editor.preview_state()

    assert from_list == by_address
    assert from_list[0] == "Live preview (with Midnight Blue)"
    assert from_list[1] != default_images
    # The Layers panel marks the option open, either way.
    marked = editor.open_in_layers()
    assert len(marked) == 1 and marked[0].startswith("Midnight Blue"), marked
