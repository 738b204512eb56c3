"""The shopper's pages in the shopper's words: the configurator, the backorder question, the
cart, checkout and the order page. Built only on roles, labels and visible text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from e2e.pages.audit import audit
from e2e.pages.money import money

PLACE_ORDER = re.compile(r"^Place order")
ORDER_PLACED = "Thank you, your order is placed"
# The label the shop puts in brackets after a backordered option: "(Available Backorder)".
BRACKETED = re.compile(r"\(([^)]+)\)")


@dataclass
class Configurator:
    """A product page: one radio group per layer, the total, what is available, Add to cart."""

    page: Page
    javascript: bool = True

    @classmethod
    def open(cls, page: Page, slug: str, *, javascript: bool = True) -> Configurator:
        """Open /products/<slug> (or a full path with a query)."""
        page.goto(slug if slug.startswith("/") else f"/products/{slug}")
        audit(page, "configurator")
        return cls(page, javascript)

    def layer(self, name: str) -> Locator:
        return self.page.get_by_role("group", name=name, exact=True)

    def option(self, name: str, layer: str | None = None) -> Locator:
        """An option's radio button; its accessible description is its notice ("Available on
        Backorder", "Only 3 left", "Out of Stock")."""
        scope = self.layer(layer) if layer else self.page
        # The radio's name is its whole card: "Carbon Deep +$450.00 Available on Backorder".
        return scope.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}(\s|$)"))

    def price_adjustment(self, option: str, layer: str | None = None) -> Decimal:
        """What the option adds to the price, as its card says ("+$450.00"), or 0."""
        name = self.option(option, layer).aria_snapshot()
        amounts = re.findall(r"[+-]?\$[\d,]+\.\d{2}", name)
        return money(amounts[0].lstrip("+")) if amounts else Decimal(0)

    def choice_query(self, option: str, layer: str | None = None) -> str:
        """`layer-<id>=<option id>`, what the address carries once the option is chosen."""
        radio = self.option(option, layer)
        return f"{radio.get_attribute('name')}={radio.get_attribute('value')}"

    def choose(self, layer: str, option: str) -> None:
        """Pick `option` in `layer` and wait until the page shows it (with JavaScript the
        address follows the choice; without, "Update preview and price" reloads the page)."""
        query = self.choice_query(option, layer)
        self.option(option, layer).check()
        if not self.javascript:
            self.page.get_by_role("button", name="Update preview and price").click()
        expect(self.page).to_have_url(re.compile(re.escape(query)))
        expect(self.option(option, layer)).to_be_checked()
        audit(self.page, f"configurator, {option} chosen")

    def set_quantity(self, quantity: int) -> None:
        """Type the quantity and leave the field, as a shopper does (the total follows)."""
        field = self.page.get_by_label("Quantity")
        field.fill(str(quantity))
        if self.javascript:
            with self.page.expect_response(re.compile(r"/configuration\?")):
                field.press("Tab")
        else:
            self.page.get_by_role("button", name="Update preview and price").click()
        if quantity == 1:  # the address leaves the quantity of one out
            expect(self.page).not_to_have_url(re.compile(r"quantity="))
        else:
            expect(self.page).to_have_url(re.compile(rf"quantity={quantity}\b"))

    @property
    def picture(self) -> Locator:
        """The stacked picture of the build ("Preview: Aero Road Bike, Side view, ...")."""
        return self.page.get_by_role("img", name=re.compile(r"^Preview: "))

    def picture_sources(self) -> list[str]:
        """The pictures the preview stacks, bottom first (decorative: no role of their own)."""
        sources: list[str] = self.picture.evaluate(
            "picture => Array.from(picture.children, image => image.getAttribute('src'))"
        )
        return sources

    @property
    def cart_link(self) -> Locator:
        """The header's "Cart 2 items" link."""
        return self.page.get_by_role("navigation", name="Shop").get_by_role(
            "link", name=re.compile(r"^Cart")
        )

    @property
    def availability(self) -> Locator:
        """What the shopper may buy and what ships later (announced as it changes)."""
        return self.page.get_by_role("status", name="Availability")

    @property
    def total(self) -> Locator:
        """ "Total for 5 $7,095.00 $1,419.00 each"."""
        return self.page.get_by_role("paragraph").filter(has_text=re.compile(r"^\s*Total"))

    def total_amount(self) -> Decimal:
        return _first_amount(self.total.inner_text())

    @property
    def add_button(self) -> Locator:
        return self.page.get_by_role(
            "button", name=re.compile(r"^(Add to cart|Cannot be ordered|Publish to sell it)$")
        )

    def add_to_cart(self) -> None:
        """Click Add to cart; what was added, a question or a refusal follows (without
        JavaScript: the cart page, the question's page or the page with the refusal)."""
        self.page.get_by_role("button", name="Add to cart").click()

    @property
    def added(self) -> Locator:
        """With JavaScript the shopper stays here: "Added to your cart. View cart" under the
        button, announced."""
        return self.page.get_by_role("status").filter(
            has=self.page.get_by_role("link", name="View cart")
        )

    def add_to_cart_and_open_cart(self, added: str = "Added to your cart.") -> Cart:
        self.add_to_cart()
        return self.open_cart_after_adding(added)

    def open_cart_after_adding(self, added: str) -> Cart:
        """See what was added (with JavaScript under the button, without on the cart page it
        leads to) and open the cart."""
        if self.javascript:
            expect(self.added).to_contain_text(added)
            audit(self.page, "configurator, added to the cart")
            self.added.get_by_role("link", name="View cart").click()
            expect(self.page).to_have_url(re.compile(r"/cart$"))
        else:
            expect(self.page).to_have_url(re.compile(r"/cart\?added="))
            expect(self.page.get_by_role("status").filter(has_text=added)).to_be_visible()
        audit(self.page, "cart")
        return Cart(self.page, self.javascript)

    @property
    def question(self) -> BackorderQuestion:
        return BackorderQuestion(self.page.get_by_role("alertdialog"))


def _first_amount(text: str) -> Decimal:
    return money(re.findall(r"-?\$[\d,]+\.\d{2}", text)[0])


@dataclass
class BackorderQuestion:
    """'There are only 5 of … in stock, and you have added 10, do you want to back order the
    other 5?' with its Yes and No."""

    dialog: Locator

    def answer_yes(self) -> None:
        self.dialog.get_by_role("button", name=re.compile(r"^Yes, back order")).click()

    def answer_no(self) -> None:
        self.dialog.get_by_role("button", name=re.compile(r"^No, ")).click()


@dataclass
class CartLine:
    """One line of the cart: a product heading, its chosen options, quantity and total."""

    item: Locator

    def option(self, layer: str) -> Locator:
        """The chosen option of `layer` ("Wheels: Carbon Deep (Available Backorder) +$450.00")."""
        return self.item.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{layer}:"))

    @property
    def label(self) -> str:
        """The label in brackets on a backordered option, "(Available Backorder)", or ""."""
        found = BRACKETED.findall(self.item.get_by_role("list").first.inner_text())
        return f"({found[0]})" if found else ""

    @property
    def heading(self) -> Locator:
        return self.item.get_by_role("heading", level=2)

    @property
    def quantity(self) -> Locator:
        return self.item.get_by_label("Quantity")

    def total(self) -> Decimal:
        paragraph = self.item.get_by_role("paragraph").filter(has_text="Line total")
        return _first_amount(paragraph.inner_text())

    def unit_price(self) -> Decimal:
        paragraph = self.item.get_by_role("paragraph").filter(has_text=re.compile(r"each$"))
        return _first_amount(paragraph.inner_text())

    @property
    def not_charged_now(self) -> Locator:
        """Why (some of) the line is not charged now, under Charge on restock."""
        return self.item.get_by_role("paragraph").filter(has_text="Pending order")

    def change_quantity(self, quantity: int) -> None:
        self.quantity.fill(str(quantity))
        self.item.get_by_role("button", name="Update").click()

    @property
    def question(self) -> BackorderQuestion:
        return BackorderQuestion(self.item.get_by_role("alertdialog"))


@dataclass
class Cart:
    page: Page
    javascript: bool = True

    @classmethod
    def open(cls, page: Page, *, javascript: bool = True) -> Cart:
        page.goto("/cart")
        return cls(page, javascript)

    @property
    def lines(self) -> Locator:
        """The cart's lines: list items with a product heading (not the options inside them)."""
        return self.page.get_by_role("listitem").filter(
            has=self.page.get_by_role("heading", level=2)
        )

    def line(self, product: str, *, back_ordered: bool = False) -> CartLine:
        """The line of `product`; `back_ordered=True` for its "back ordered" line."""
        lines = self.lines.filter(
            has=self.page.get_by_role("heading", level=2, name=re.compile(re.escape(product)))
        )
        marked = self.page.get_by_role("heading", level=2, name=re.compile("back ordered"))
        lines = lines.filter(has=marked) if back_ordered else lines.filter(has_not=marked)
        return CartLine(lines.first)

    def nth(self, index: int) -> CartLine:
        return CartLine(self.lines.nth(index))

    def status(self, text: str) -> Locator:
        return self.page.get_by_role("status").filter(has_text=text)

    def subtotal(self) -> Decimal:
        paragraph = self.page.get_by_role("paragraph").filter(has_text=re.compile(r"^\s*Subtotal"))
        return _first_amount(paragraph.inner_text())

    @property
    def charge_policy(self) -> Locator:
        """The explanation of Charge on restock above the subtotal."""
        return self.page.get_by_text(re.compile(r"^Backordered items are charged when they ship"))

    def charged_later(self) -> Decimal:
        """What moves to the Pending order ("Pending order, charged when it ships $1,749.00")."""
        paragraph = self.page.get_by_role("paragraph").filter(
            has_text=re.compile(r"^\s*Pending order, charged when it ships")
        )
        return _first_amount(paragraph.inner_text())

    def line_totals(self) -> list[Decimal]:
        return [CartLine(item).total() for item in self.lines.all()]

    def assert_subtotal_is_sum_of_lines(self) -> None:
        totals = self.line_totals()
        assert self.subtotal() == sum(totals, Decimal(0)), (self.subtotal(), totals)

    def checkout(self) -> Checkout:
        self.page.get_by_role("link", name="Proceed to checkout").click()
        expect(self.page.get_by_role("heading", name="Checkout")).to_be_visible()
        audit(self.page, "checkout")
        return Checkout(self.page)


@dataclass
class Checkout:
    page: Page

    def fill(self, *, email: str = "ada@example.com", name: str = "Ada Lovelace") -> None:
        self.page.get_by_label("Full name").fill(name)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Address", exact=True).fill("12 Analytical Row")
        self.page.get_by_label("City").fill("London")
        self.page.get_by_label("Postal code").fill("N1 9GU")
        self.page.get_by_label("Country").fill("United Kingdom")

    def place_order(self) -> None:
        self.page.get_by_role("button", name=PLACE_ORDER).click()

    def place_order_and_confirm(self) -> Confirmation:
        self.place_order()
        expect(self.page.get_by_role("heading", name=ORDER_PLACED)).to_be_visible()
        audit(self.page, "order confirmation")
        return Confirmation(self.page)

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    def option(self, layer: str) -> Locator:
        """A chosen option in the order summary ("Wheels: Carbon Deep (Available Backorder)")."""
        return (
            self.page.get_by_role("main")
            .get_by_role("listitem")
            .filter(has_text=re.compile(rf"^\s*{layer}:"))
        )


@dataclass
class Confirmation:
    """The order page: what ships now and what once restocked."""

    page: Page

    @property
    def number(self) -> str:
        """The order's number, from "Order <number> for ada@example.com."."""
        lead = self.page.get_by_role("paragraph").filter(has_text=re.compile(r"^Order \S+ for "))
        found = re.match(r"Order (\S+) for ", lead.inner_text())
        assert found, lead.inner_text()
        return found.group(1)

    @property
    def shipping_summary(self) -> Locator:
        """ "Part of this order ships now; …" with the two lists, as one block of text."""
        return self.main.get_by_text(re.compile(r"ships (now|once restocked)")).first

    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")

    @property
    def fulfilment(self) -> Locator:
        """ "Status: Awaiting stock" (or Ready to ship, Shipped)."""
        return self.main.get_by_role("paragraph").filter(has_text=re.compile(r"^\s*Status:"))

    @property
    def pending_order(self) -> Locator:
        """The Pending order placed with this one (Charge on restock): its heading and lines."""
        return self.main.get_by_role("region", name=re.compile(r"^Pending order "))

    @property
    def pending_number(self) -> str:
        heading = self.pending_order.get_by_role("heading", level=2).inner_text()
        found = re.match(r"Pending order (\S+):", heading)
        assert found, heading
        return found.group(1)

    def ships(self, when: str) -> Locator:
        """What the order page lists under "Ships now" or "Ships once restocked"."""
        return self.main.get_by_role("list", name=when, exact=True).get_by_role("listitem")

    @property
    def heading(self) -> Locator:
        """ "Thank you, your order is placed", or "Order … was cancelled"."""
        return self.page.get_by_role("heading", level=1)

    def option(self, layer: str) -> Locator:
        return self.main.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{layer}:"))


def buy(page: Page, slug: str, choices: dict[str, str], quantity: int = 1) -> Confirmation:
    """Shop in one go: choose, add `quantity` to the cart, check out."""
    configurator = Configurator.open(page, slug)
    for layer, option in choices.items():
        configurator.choose(layer, option)
    if quantity != 1:
        configurator.set_quantity(quantity)
    cart = configurator.add_to_cart_and_open_cart()
    checkout = cart.checkout()
    checkout.fill()
    return checkout.place_order_and_confirm()
