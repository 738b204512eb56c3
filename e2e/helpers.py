"""Small helpers shared by the browser tests."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Locator, Page, ViewportSize, expect

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "e2e-merchant-password-1"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PRODUCT_PATH = "/products/aero-road-bike"
MONEY = re.compile(r"(-?)\$([\d,]+\.\d{2})")


def money(text: str) -> Decimal:
    """The one amount in a text such as "Line total $1,749.00" (or "+$450.00")."""
    found = MONEY.findall(text)
    assert len(found) == 1, f"expected exactly one amount of money in {text!r}"
    sign, digits = found[0]
    amount = Decimal(digits.replace(",", ""))
    return -amount if sign else amount


def fmt(amount: Decimal) -> str:
    """Format as the shop does: $1,749.00."""
    return f"${amount:,.2f}"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save docs/screenshots/<name> when E2E_SCREENSHOTS=1 (so CI does not dirty the tree);
    `full_page=False`: what the screen shows (a sticky bar where the shopper sees it)."""
    if os.environ.get("E2E_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS / name)), full_page=full_page, animations="disabled")


def option_radio(page: Page, name: str) -> Locator:
    return page.get_by_role("radio", name=name)


def option_label(page: Page, name: str) -> Locator:
    """The clickable card of an option: its <label>, which holds the name and any notice."""
    return page.locator("label.option").filter(has=option_radio(page, name))


def purchase_status(page: Page) -> Locator:
    """The summary region next to the add-to-cart button that announces availability."""
    return page.locator(".purchase").get_by_role("status")


def choice_query(page: Page, option_name: str) -> str:
    """`layer-<id>=<option id>` for an option on the configurator page."""
    radio = option_radio(page, option_name)
    return f"{radio.get_attribute('name')}={radio.get_attribute('value')}"


def option_line(page: Page, layer: str) -> Locator:
    """One chosen option in a cart, checkout or order listing ("Wheels: Carbon Deep ...")."""
    return page.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{layer}:"))


def fill_checkout(page: Page, *, email: str) -> None:
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Address", exact=True).fill("12 Analytical Row")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("N1 9GU")
    page.get_by_label("Country").fill("United Kingdom")


def sign_in(page: Page) -> None:
    page.goto("/admin/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Configurable products")).to_be_visible()
