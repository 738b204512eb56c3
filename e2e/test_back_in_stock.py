"""A shopper asks to be emailed when the sold-out Neon Yellow laces are back, confirms through
the link of the confirmation mail (read on the admin's Emails page: no SMTP_URL, so mails wait
there), the merchant restocks, and the back-in-stock mail is listed. A shop of its own."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot
from e2e.pages import Admin
from e2e.pages.audit import blocking_violations, describe
from tests.live_server import Server

SHOPPER = "bo@example.com"


def test_notify_me_when_back_in_stock(
    new_context: CreateContextCallback, fresh_server: Server, fresh_page: Page
) -> None:
    shopper = new_context(base_url=fresh_server.url).new_page()
    _ask_to_be_told(shopper)
    merchant = fresh_page
    Admin.sign_in(merchant)
    link = _confirmation_link(merchant)
    _confirm(shopper, link)
    _restock_neon_yellow(merchant)
    _back_in_stock_mail_is_listed(merchant)


def _ask_to_be_told(page: Page) -> None:
    page.goto("/products/court-sneaker")
    section = page.get_by_role("region", name="Out of stock? We can email you")
    expect(section.get_by_label("Option")).to_have_value(re.compile(r"\d+"))
    expect(section.get_by_label("Option").get_by_role("option")).to_have_text(
        ["Laces: Neon Yellow"]
    )
    section.get_by_label("Your email").fill(SHOPPER)
    section.get_by_role("button", name="Email me when it is back in stock").click()
    expect(page.get_by_role("status").filter(has_text="open its link to confirm")).to_be_visible()
    screenshot(page, "back-in-stock-asked.png")
    assert_accessible(page, "product page with the back-in-stock form")


def _emails(page: Page) -> None:
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Emails").click()
    expect(page.get_by_role("heading", name="Emails", exact=True)).to_be_visible()
    expect(page.get_by_text("SMTP_URL is not set")).to_be_visible()


def _confirmation_link(page: Page) -> str:
    _emails(page)
    mail = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Confirm: email me when it is back in stock")
    )
    expect(mail).to_contain_text(SHOPPER)
    expect(mail).to_contain_text("Waiting")
    found = re.search(r"https?://\S+/back-in-stock/\S+", mail.inner_text())
    assert found, "no confirmation link in the mail"
    return found.group(0)


def _confirm(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_text(f"Confirm that we may email {SHOPPER} once")).to_be_visible()
    assert_accessible(page, "back-in-stock confirmation")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text(f"Confirmed: we will email {SHOPPER} once")


def _restock_neon_yellow(page: Page) -> None:
    neon_yellow = Admin(page).product("Court Sneaker").option("Neon Yellow", "Laces")
    neon_yellow.panel.get_by_label("Stock Status").select_option(label="In Stock")
    neon_yellow.save()


def _back_in_stock_mail_is_listed(page: Page) -> None:
    _emails(page)
    mail = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Back in stock: Neon Yellow")
    )
    expect(mail).to_have_count(1)
    expect(mail).to_contain_text(SHOPPER)
    expect(mail).to_contain_text("Court Sneaker with Laces: Neon Yellow is back in stock.")
    screenshot(page, "admin-emails.png")
    assert_accessible(page, "Emails page")


def assert_accessible(page: Page, name: str) -> None:
    found = blocking_violations(page)
    assert not found, f"[{name}]\n{describe(found)}"
