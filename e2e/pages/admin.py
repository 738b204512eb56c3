"""The merchant's admin in the merchant's words: sign in, the products, a configurator's editor
with its Layers panel, an option's Stock Management block and the Global Settings (the gear).
Built only on roles, labels and visible text."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Locator, Page, expect

from configurator.core.availability import SETTING_LABELS
from e2e.pages.audit import audit
from e2e.target import ADMIN_SESSION_COOKIE, Merchant, merchant

if TYPE_CHECKING:
    from playwright._impl._api_structures import Cookie, SetCookieParam

    from e2e.pages.forms import ProductForms

SHOPS: weakref.WeakKeyDictionary[BrowserContext, str] = weakref.WeakKeyDictionary()
"""The shop (base URL) of each browser the suite opened (`new_context` in e2e/conftest.py)."""
SESSIONS: dict[tuple[str, str], list[Cookie]] = {}
"""The session cookie of each (shop, merchant) signed in through the form in this run."""


def forget_sessions(shop: str) -> None:
    """The shop was reset: the sessions kept for it are no more."""
    for key in [key for key in SESSIONS if key[0] == shop]:
        del SESSIONS[key]


def keep_session(shop: str, token: str, username: str | None = None) -> None:
    """The merchant is signed in to `shop` with the session `token` (made without the form)."""
    host = urlsplit(shop).hostname or ""
    SESSIONS[shop, username or merchant().username] = [
        {
            "name": ADMIN_SESSION_COOKIE,
            "value": token,
            "domain": host,
            "path": "/",
            "expires": -1,
            "httpOnly": True,
            "secure": shop.startswith("https:"),
            "sameSite": "Lax",
        }
    ]


def session_cookies(shop: str, username: str | None = None) -> list[Cookie]:
    """The merchant's session cookie on `shop` once signed in there, else []."""
    return SESSIONS.get((shop, username or merchant().username), [])


@dataclass
class Admin:
    page: Page

    @classmethod
    def sign_in(
        cls, page: Page, account: Merchant | None = None, *, through_form: bool = False
    ) -> Admin:
        """Sign in through the form; on a shop where this merchant already has a session in
        this run (signed in through the form once, or the session a shop the suite started
        was made with), the browser is handed that session's cookie instead: each form costs
        a page, a password hash and a redirect. `through_form=True` always uses the form."""
        account = account or merchant()
        shop = SHOPS.get(page.context)
        kept = session_cookies(shop, account.username) if shop and not through_form else []
        if kept:
            page.context.add_cookies(cast("list[SetCookieParam]", kept))
            page.goto("/admin")
            if urlsplit(page.url).path.rstrip("/") == "/admin":
                return cls._on_dashboard(page)
        page.goto("/admin/login")
        audit(page, "admin sign-in")
        page.get_by_label("Username").fill(account.username)
        page.get_by_label("Password").fill(account.password)
        page.get_by_role("button", name="Sign in").click()
        admin = cls._on_dashboard(page)
        if shop:
            SESSIONS[shop, account.username] = [
                cookie
                for cookie in page.context.cookies(shop)
                if cookie["name"] == ADMIN_SESSION_COOKIE
            ]
        return admin

    @classmethod
    def _on_dashboard(cls, page: Page) -> Admin:
        expect(page.get_by_role("heading", name="Configurable products")).to_be_visible()
        audit(page, "admin dashboard")
        return cls(page)

    @property
    def products(self) -> Locator:
        """The dashboard's table of products (Name, Status, Web address, ...)."""
        return self.page.get_by_role("table", name="Products")

    def cell(self, table: Locator, row: str, column: str) -> Locator:
        """The cell of `table` in the row of `row` (its Name cell) under the heading `column`."""
        headings = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
        named = table.get_by_role("row").filter(has=self.page.get_by_role("cell", name=row))
        return named.first.get_by_role("cell").nth(headings.index(column))

    def dashboard(self) -> None:
        self.page.goto("/admin")
        expect(self.page.get_by_role("heading", name="Configurable products")).to_be_visible()

    def product(self, name: str) -> Editor:
        """Open the editor of `name` from the dashboard."""
        self.dashboard()
        self.page.get_by_role("link", name=name, exact=True).click()
        return Editor.expect_open(self.page, name)

    def editor(self, built: ProductForms) -> Editor:
        """Open the editor of a product built through the forms (e2e/pages/forms.py)."""
        self.page.goto(built.path)
        return Editor.expect_open(self.page, built.name, built.slug)

    def order(self, number: str) -> Locator:
        """Open an order's page from the Orders list (its row says whether it is a Pending
        order); the page's main region."""
        self.page.goto("/admin/orders")
        self.page.get_by_role("link", name=number, exact=True).click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(number)
        return self.page.get_by_role("main")

    def orders_row(self, number: str) -> Locator:
        """The Orders list's row of an order."""
        self.page.goto("/admin/orders")
        return self.page.get_by_role("row").filter(
            has=self.page.get_by_role("link", name=number, exact=True)
        )

    def new_product(self, name: str, slug: str, base_price: str = "1000.00") -> Editor:
        """Create a product (a draft) and open its editor (from the dashboard, which a
        merchant who just signed in is on already)."""
        if urlsplit(self.page.url).path.rstrip("/") != "/admin":
            self.dashboard()
        self.page.get_by_role("link", name="New product").click()
        self.page.get_by_label("Name").fill(name)
        self.page.get_by_label("Web address (slug)").fill(slug)
        self.page.get_by_label("Base price ($)").fill(base_price)
        self.page.get_by_role("button", name="Create product").click()
        return Editor.expect_open(self.page, name, slug)

    def inventory(self) -> Inventory:
        """Open the Inventory page from the admin's menu."""
        self.page.get_by_role("link", name="Inventory").click()
        expect(self.page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()
        return Inventory(self.page)


@dataclass
class Inventory:
    """The Inventory page: every option in one table, and Import a CSV (checked first, then
    applied, each with a progress bar while it runs)."""

    page: Page

    def check_file(self, name: str, content: str) -> None:
        """Choose a CSV and press "Check the file"."""
        self.page.get_by_label("CSV file").set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": content.encode()}
        )
        self.page.get_by_role("button", name="Check the file").click()

    def apply(self) -> None:
        self.page.get_by_role("button", name="Apply these changes").click()

    @property
    def progress(self) -> Locator:
        """The bar of a check or apply that runs (named "Checking row 4,000 of 10,000")."""
        return self.page.get_by_role("progressbar", name=re.compile(r"^(Checking|Applying|Saving)"))

    @property
    def summary(self) -> Locator:
        """Where the import says how it went (the live region under the page's heading)."""
        return self.page.get_by_role("status").filter(has_text=re.compile(r"\.csv"))


@dataclass
class Editor:
    """/admin/products/{id}: the Layers panel on the left, one panel on the right."""

    page: Page
    name: str
    slug: str = ""

    @classmethod
    def expect_open(cls, page: Page, name: str, slug: str = "") -> Editor:
        expect(page.get_by_role("heading", name=f"Configurator: {name}")).to_be_visible()
        audit(page, "admin editor")
        return cls(page, name, slug)

    @property
    def layers(self) -> Locator:
        return self.page.get_by_role("navigation", name="Layers")

    def layers_link(self, option: str) -> Locator:
        """An option in the Layers panel, with its badges ("Out of Stock", "Backorder", 5)."""
        return self.layers.get_by_role("link", name=re.compile(rf"^{re.escape(option)}\b"))

    @property
    def preview(self) -> Locator:
        """The live preview, "Live preview (default choices)" or "(with Midnight Blue)"."""
        return self.page.get_by_role("region", name=re.compile(r"^Live preview"))

    def preview_state(self) -> tuple[str, list[str]]:
        """What the live preview says it shows, and the pictures it stacks (in order)."""
        heading = self.preview.get_by_role("heading").inner_text()
        picture = self.preview.get_by_role("img", name=re.compile(r"^Preview: "))
        images: list[str] = picture.evaluate("p => Array.from(p.children, image => image.src)")
        return heading, images

    def open_in_layers(self) -> list[str]:
        """The Layers panel's links marked as the one open (aria-current)."""
        marked: list[str] = self.layers.get_by_role("link").evaluate_all(
            "links => links.filter(link => link.getAttribute('aria-current') === 'true')"
            ".map(link => link.textContent.trim())"
        )
        return marked

    def panel(self, heading: str | re.Pattern[str]) -> Locator:
        """The right panel, named by its heading."""
        return self.page.get_by_role("region", name=heading)

    @property
    def publication(self) -> Locator:
        return self.page.get_by_role("region", name=re.compile(r"^Status"))

    def saved(self, panel: Locator, message: str) -> None:
        expect(panel.get_by_role("status")).to_contain_text(message)

    def submit(self, panel: Locator, button: str, message: str) -> None:
        """Press `button` and wait for the panel the server sends back, saying `message`.
        The panel before the press is marked, so a message still showing from an earlier
        save is not taken for this one (the next step would race the swap)."""
        panel.evaluate("panel => { panel.dataset.submitted = 'yes' }")
        panel.get_by_role("button", name=button).click()
        expect(panel).not_to_have_attribute("data-submitted", "yes")
        self.saved(panel, message)

    # Global Settings ---------------------------------------------------------------------

    def open_global_settings(self) -> Locator:
        """Open the gear (or take its panel when it is open already: opening it again would
        swap a fresh form in under what a flow then ticks, and the save would send that)."""
        panel = self.panel("Global Settings")
        if not panel.is_visible():
            self.layers.get_by_role("link", name="Global Settings").click()
        expect(panel).to_be_visible()
        audit(self.page, "admin editor, Global Settings")
        return panel

    def global_settings(
        self,
        *,
        stock_management: bool | None = None,
        backorders: str | None = None,
        out_of_stock_threshold: int | None = None,
        only_x_left_threshold: int | None = None,
        notify_below: int | None = None,
        backorders_for_new_options: str | None = None,
        allow_custom_backordering: bool | None = None,
        charge_policy: str | None = None,
    ) -> Locator:
        """Open the gear, change what is given (by the labels the merchant reads), save.
        `charge_policy`: "Charge now" or "Charge on restock" (the whole shop's)."""
        panel = self.open_global_settings()
        if stock_management is not None:
            panel.get_by_label("Enable Stock Management").set_checked(stock_management)
        if backorders is not None:
            panel.get_by_role("group", name="Enable Backorder").get_by_label(
                backorders, exact=True
            ).check()
        numbers = {
            "out_of_stock_threshold": out_of_stock_threshold,
            "only_x_left_threshold": only_x_left_threshold,
            "notify_below": notify_below,
        }
        for name, value in numbers.items():
            if value is not None:
                panel.get_by_label(SETTING_LABELS[name], exact=True).fill(str(value))
        if backorders_for_new_options is not None:
            panel.get_by_label("Backorders for new image layers").select_option(
                label=backorders_for_new_options
            )
        if allow_custom_backordering is not None:
            panel.get_by_label("Allow custom backordering").set_checked(allow_custom_backordering)
        if charge_policy is not None:
            panel.get_by_role("group", name="Charge policy").get_by_label(
                charge_policy, exact=True
            ).check()
        self.submit(panel, "Save settings", "Global Settings saved.")
        return panel

    # Layers and options ------------------------------------------------------------------

    def add_layer(self, name: str) -> Locator:
        """Add a layer (from a new product's first panel, or the Layers panel's "Add layer")."""
        new_layer = self.panel("Add a layer")
        if not new_layer.is_visible():
            self.layers.get_by_role("link", name=re.compile(r"Add layer$")).click()
        new_layer.get_by_label("Layer name").fill(name)
        new_layer.get_by_role("button", name="Add layer").click()
        panel = self.panel(f"Layer: {name}")
        expect(panel).to_be_visible()
        return panel

    def layer(self, name: str) -> Locator:
        panel = self.panel(f"Layer: {name}")
        if not panel.is_visible():
            self.layers.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\b")).first.click()
        expect(panel).to_be_visible()
        return panel

    def add_option(self, layer: str, name: str, price: str = "0.00") -> None:
        panel = self.layer(layer)
        panel.get_by_label("Option name").fill(name)
        panel.get_by_label("Price adjustment ($)").fill(price)
        panel.get_by_role("button", name="Add option").click()
        expect(self.layers_link(name)).to_be_visible()

    def option(self, name: str, layer: str | None = None) -> OptionPanel:
        """Open an option from the Layers panel (or take its panel when it is open already:
        opening it again would swap a fresh form in under what a flow types)."""
        heading = f"Option: {name} in {layer}" if layer else re.compile(rf"^Option: {name} in ")
        panel = self.panel(heading)
        if not panel.is_visible():
            self.layers_link(name).click()
        expect(panel).to_be_visible()
        audit(self.page, "admin editor, option panel")
        return OptionPanel(self, panel, name)

    # Status ------------------------------------------------------------------------------

    def publish(self) -> None:
        self.publication.get_by_role("button", name="Publish").click()
        expect(self.publication.get_by_role("heading")).to_have_text("Status: Published")

    def delete_product(self) -> None:
        panel = self.panel("Product details")
        if not panel.is_visible():
            self.layers.get_by_role("link", name="Product details").click()
        panel.get_by_label(re.compile(rf"^Yes, delete {re.escape(self.name)}")).check()
        panel.get_by_role("button", name="Delete product").click()
        expect(self.page.get_by_role("heading", name="Configurable products")).to_be_visible()


@dataclass
class OptionPanel:
    """An option's panel: name, price, image and its Stock Management block."""

    editor: Editor
    panel: Locator
    name: str

    def stock_management(
        self,
        *,
        enabled: bool | None = True,
        status: str | None = None,
        track_inventory: bool | None = None,
        quantity: int | None = None,
        backorders: str | None = None,
        out_of_stock_threshold: int | str | None = None,
        only_x_left_threshold: int | str | None = None,
        notify_below: int | str | None = None,
    ) -> Locator:
        """Set the block's fields by their labels (a threshold of "" goes back to the global
        setting) and save; the panel after saving."""
        panel = self.panel
        if enabled is not None:
            panel.get_by_label("Enable Stock Management").set_checked(enabled)
        if track_inventory is not None:
            panel.get_by_label("Track inventory").set_checked(track_inventory)
        if status is not None:
            panel.get_by_label("Stock Status").select_option(label=status)
        if quantity is not None:
            panel.get_by_label("Quantity on hand").fill(str(quantity))
        if backorders is not None:
            label = (
                f"Use global setting ({_global(panel)})" if backorders == "global" else backorders
            )
            panel.get_by_label("Backorders", exact=True).select_option(label=label)
        numbers = {
            "out_of_stock_threshold": out_of_stock_threshold,
            "only_x_left_threshold": only_x_left_threshold,
            "notify_below": notify_below,
        }
        for name, value in numbers.items():
            if value is not None:
                panel.get_by_label(SETTING_LABELS[name], exact=True).fill(str(value))
        return self.save()

    def save(self) -> Locator:
        self.editor.submit(self.panel, "Save option", "Option saved.")
        return self.panel

    def add_expected_delivery(self, expected_on: date, quantity: int) -> Locator:
        """Record an expected delivery in the panel's "Expected deliveries" (a tracked
        option): its date and the quantity expected; the panel after it is recorded."""
        self.panel.get_by_label("Expected delivery date").fill(expected_on.isoformat())
        self.panel.get_by_label("Quantity expected").fill(str(quantity))
        self.editor.submit(self.panel, "Add expected delivery", "Expected delivery recorded.")
        return self.panel

    @property
    def expected_deliveries(self) -> Locator:
        """The deliveries listed under "Expected deliveries", earliest first."""
        return self.panel.get_by_test_id("expected-delivery")

    @property
    def shoppers_see(self) -> Locator:
        """ "Shoppers now see: Available on Backorder." (announced as it changes)."""
        return self.panel.get_by_text(re.compile(r"^Shoppers now see:"))


def _global(panel: Locator) -> str:
    hint = panel.get_by_text(re.compile(r"^Global setting now: ")).inner_text()
    return hint.removeprefix("Global setting now: ").rstrip(".")
