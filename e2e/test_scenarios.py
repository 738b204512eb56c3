"""The named shop states QA asks for (`configurator scenario NAME`), as a shopper meets them.
Each runs on a shop of its own: the worker's server, restored (skipped with E2E_BASE_URL: run
the scenario on that server's host instead)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.pages import Configurator
from tests.live_server import Server

BIKE = "aero-road-bike"


def test_sold_out_saddle_cannot_be_chosen(
    sold_out_saddle: Server, new_context: CreateContextCallback
) -> None:
    page = new_context(base_url=sold_out_saddle.url).new_page()
    shop = Configurator.open(page, BIKE)
    saddle = shop.option("Honey Leather", "Saddle")
    expect(saddle).to_have_accessible_description("Out of Stock")
    expect(saddle).to_be_disabled()


def test_threshold_minus_5_sells_five_more_than_on_hand(
    threshold_minus_5: Server, new_context: CreateContextCallback
) -> None:
    page = new_context(base_url=threshold_minus_5.url).new_page()
    shop = Configurator.open(page, BIKE)
    # 8 salable is above the "Only X left" threshold (5): no notice, and it can be chosen.
    expect(shop.option("Honey Leather", "Saddle")).to_be_enabled()
    shop.choose("Saddle", "Honey Leather")
    shop.set_quantity(9)
    shop.add_to_cart()
    expect(page.get_by_role("alert").filter(has_text="Only 8")).to_be_visible()

    page.get_by_label("Quantity").fill("8")
    cart = shop.add_to_cart_and_open_cart()
    line = cart.line("Aero Road Bike")
    expect(line.item).to_contain_text("3 ship now, 5 once restocked.")
    assert line.label == "(Available Backorder)"


def test_empty_shop_has_nothing_to_build(
    empty_shop: Server, new_context: CreateContextCallback
) -> None:
    page = new_context(base_url=empty_shop.url).new_page()
    page.goto("/")
    expect(page.get_by_role("link", name=re.compile("Aero Road Bike"))).to_have_count(0)
    assert page.goto(f"/products/{BIKE}").status == 404  # type: ignore[union-attr]
