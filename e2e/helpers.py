"""Small helpers shared by the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Locator, Page, ViewportSize

from e2e.pages.admin import Admin
from e2e.pages.money import MONEY, fmt, money
from e2e.pages.shop import Checkout
from e2e.target import LOCAL_ADMIN_PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = LOCAL_ADMIN_PASSWORD
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PRODUCT_PATH = "/products/aero-road-bike"
__all__ = ["MONEY", "fmt", "money"]


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save docs/screenshots/<name> when E2E_SCREENSHOTS=1 (so CI does not dirty the tree);
    `full_page=False`: what the screen shows (a sticky bar where the shopper sees it)."""
    if os.environ.get("E2E_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS / name)), full_page=full_page, animations="disabled")


def option_radio(page: Page, name: str) -> Locator:
    return page.get_by_role("radio", name=name)


def purchase_status(page: Page) -> Locator:
    """The summary region next to the add-to-cart button that announces availability."""
    return page.locator(".purchase").get_by_role("status")


def fill_checkout(page: Page, *, email: str) -> None:
    Checkout(page).fill(email=email)


def sign_in(page: Page) -> None:
    """Sign in as the merchant of the shop under test (E2E_ADMIN_USER on E2E_BASE_URL)."""
    Admin.sign_in(page)
