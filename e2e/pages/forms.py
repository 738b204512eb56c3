"""Getting a shop into the state a flow starts from, without pages: the shop's own forms, read
from the page that shows them and posted as a browser without JavaScript posts them, through
Playwright's request API on a browser's cookies (so the cart, or the merchant's session, is
that browser's).

For what a flow needs done but does not test: a product of its own with a layer or two and a
Stock Management block, an order placed to fulfil. Each costs a few requests instead of a few
dozen steps in Chromium. What the pages themselves do is proven by the flows about them
(test_backorders_follow_global and test_publication build products through the editor;
test_shopper and test_shopper_pages shop through the pages).

    built = ProductForms.create(admin.page, "QA e2e Bike 3fa9c1", "qa-e2e-bike-3fa9c1")
    built.add_layer("Wheels")
    built.add_option("Wheels", "Gravel Tan", "120.00")
    built.stock_management("Gravel Tan", track_inventory=True, quantity=5)
    built.publish()
    order = place_order(shopper_page, "qa-e2e-bike-3fa9c1", {"Wheels": "Gravel Tan"})
    shopper_page.goto(order.address)

A form is found by where it posts (its `action`); fields keep the values the page gave them
unless a change names them, like a person who changes only what they came to change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import APIRequestContext, APIResponse, BrowserContext, Page

from configurator.core.availability import Backorders, StockStatus

CUSTOMER = {
    "customer_name": "Ada Lovelace",
    "email": "ada@example.com",
    "address_line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "United Kingdom",
}
_BACKORDERS = {choice.label: choice.value for choice in Backorders}
_STATUS = {"In Stock": StockStatus.IN_STOCK.value, "Out of Stock": StockStatus.OUT_OF_STOCK.value}


@dataclass
class Form:
    action: str
    multipart: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    """What it sends as it is: a ticked checkbox's value, nothing for a clear one."""


class _Forms(HTMLParser):
    """Every form of a page: its action and the values its fields would send as they are."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self._current: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._select_form: Form | None = None

    def _owner(self, attrs: dict[str, str | None]) -> Form | None:
        owner = attrs.get("form")
        return self.by_id.get(owner) if owner else self._current

    def handle_starttag(self, tag: str, pairs: list[tuple[str, str | None]]) -> None:
        attrs = dict(pairs)
        if tag == "form":
            self._start_form(attrs)
            return
        form = self._owner(attrs)
        name = attrs.get("name")
        if form is not None and name:
            self._start_field(form, tag, name, attrs)
        elif tag == "option" and self._select is not None:
            self._option(attrs)

    def _start_form(self, attrs: dict[str, str | None]) -> None:
        form = Form(
            action=attrs.get("action") or "",
            multipart=attrs.get("enctype") == "multipart/form-data",
        )
        self.forms.append(form)
        if attrs.get("id"):
            self.by_id[str(attrs["id"])] = form
        self._current = form

    def _start_field(self, form: Form, tag: str, name: str, attrs: dict[str, str | None]) -> None:
        kind = (attrs.get("type") or "text").lower()
        if tag == "input" and kind in {"submit", "button", "file", "reset", "image"}:
            return
        if tag == "input" and kind in {"checkbox", "radio"}:
            if "checked" in attrs:
                form.fields[name] = attrs.get("value") or "on"
        elif tag == "input":
            form.fields[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select, self._select_first, self._select_form = name, None, form
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""

    def _option(self, attrs: dict[str, str | None]) -> None:
        value = attrs.get("value") or ""
        form = self._select_form
        assert self._select is not None and form is not None
        if self._select_first is None:
            self._select_first = value
            form.fields.setdefault(self._select, value)
        if "selected" in attrs:
            form.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._current is not None:
            self._current.fields[self._textarea] += data


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def submit(
    request: APIRequestContext, page_path: str, action: str, changes: dict[str, Any] | None = None
) -> APIResponse:
    """Open `page_path`, take its form that posts to `action`, change the named fields
    (None clears a checkbox or leaves a field out) and post it; redirects are not followed.
    Fails, with the page's answer, unless the shop accepts it (a redirect or 2xx)."""
    shown = request.get(page_path)
    assert shown.ok, f"GET {page_path}: {shown.status}"
    found = [form for form in forms_of(shown.text()) if form.action == action]
    assert found, f"{page_path} has no form posting to {action}"
    form = found[0]
    values: dict[str, str | float | bool] = dict(form.fields)
    for name, value in (changes or {}).items():
        if value is None or value is False:
            values.pop(name, None)
        elif value is True:
            values[name] = "on"
        else:
            values[name] = str(value)
    if form.multipart:
        answer = request.post(action, multipart=dict(values), max_redirects=0)
    else:
        answer = request.post(action, form=values, max_redirects=0)
    assert answer.status < 400, f"POST {action}: {answer.status}\n{answer.text()[:2000]}"
    return answer


def _location(answer: APIResponse) -> str:
    location = answer.headers.get("location", "")
    assert location, f"{answer.url}: {answer.status}, no redirect"
    return location


def _item(location: str) -> int:
    found = re.search(r"[?&]item=(\d+)", location)
    assert found, location
    return int(found.group(1))


@dataclass
class ProductForms:
    """A product built through the editor's forms (the merchant's session of `page`)."""

    request: APIRequestContext
    path: str
    """The editor's address, /admin/products/<id>."""
    name: str
    slug: str
    layers: dict[str, int] = field(default_factory=dict)
    options: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, page: Page, name: str, slug: str, base_price: str = "1000.00") -> ProductForms:
        """A draft, as the dashboard's "New product" makes it."""
        answer = submit(
            page.request,
            "/admin/products/new",
            "/admin/products",
            {"name": name, "slug": slug, "base_price": base_price},
        )
        return cls(page.request, urlsplit(_location(answer)).path, name, slug)

    def _panel(self, panel: str, item: int | None = None) -> str:
        return f"{self.path}?panel={panel}" + (f"&item={item}" if item is not None else "")

    def global_settings(
        self,
        *,
        stock_management: bool | None = None,
        backorders: str | None = None,
        out_of_stock_threshold: int | None = None,
        only_x_left_threshold: int | None = None,
        notify_below: int | None = None,
        allow_custom_backordering: bool | None = None,
    ) -> None:
        """Editor.global_settings's fields, by the same labels and values."""
        changes: dict[str, Any] = {
            "backorders": _BACKORDERS[backorders] if backorders else None,
            "out_of_stock_threshold": out_of_stock_threshold,
            "only_x_left_threshold": only_x_left_threshold,
            "notify_below": notify_below,
        }
        changes = {name: value for name, value in changes.items() if value is not None}
        if stock_management is not None:
            changes["stock_management"] = stock_management
        if allow_custom_backordering is not None:
            changes["allow_custom_backordering"] = allow_custom_backordering
        submit(self.request, self._panel("settings"), f"{self.path}/settings", changes)

    def add_layer(self, name: str, *, required: bool = True) -> None:
        answer = submit(
            self.request,
            self._panel("new-layer"),
            f"{self.path}/layers",
            {"name": name, "required": required},
        )
        self.layers[name] = _item(_location(answer))

    def add_option(self, layer: str, name: str, price: str = "0.00") -> None:
        layer_id = self.layers[layer]
        answer = submit(
            self.request,
            self._panel("layer", layer_id),
            f"{self.path}/layers/{layer_id}/options",
            {"name": name, "price_delta": price},
        )
        self.options[name] = _item(_location(answer))

    def stock_management(
        self,
        option: str,
        *,
        enabled: bool | None = True,
        status: str | None = None,
        track_inventory: bool | None = None,
        quantity: int | None = None,
        backorders: str | None = None,
        out_of_stock_threshold: int | str | None = None,
        only_x_left_threshold: int | str | None = None,
        notify_below: int | str | None = None,
    ) -> None:
        """OptionPanel.stock_management's fields, by the same labels and values."""
        option_id = self.options[option]
        changes: dict[str, Any] = {}
        if enabled is not None:
            changes["stock_management"] = enabled
        if track_inventory is not None:
            changes["track_inventory"] = track_inventory
        if status is not None:
            changes["stock_status"] = _STATUS[status]
        if quantity is not None:
            changes["quantity"] = quantity
        if backorders is not None:
            changes["backorders"] = "" if backorders == "global" else _BACKORDERS[backorders]
        numbers = {
            "out_of_stock_threshold": out_of_stock_threshold,
            "only_x_left_threshold": only_x_left_threshold,
            "notify_below": notify_below,
        }
        changes.update({name: value for name, value in numbers.items() if value is not None})
        submit(
            self.request,
            self._panel("option", option_id),
            f"{self.path}/options/{option_id}",
            changes,
        )

    def publish(self) -> None:
        submit(self.request, self._panel("details"), f"{self.path}/publish")


class _Choices(HTMLParser):
    """A product page's radio buttons: (layer legend, option name) -> (field, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[tuple[str, str], tuple[str, str]] = {}
        self._legend: list[str] | None = None
        self._layer = ""
        self._radio: tuple[str, str] | None = None
        self._name: list[str] | None = None

    def handle_starttag(self, tag: str, pairs: list[tuple[str, str | None]]) -> None:
        attrs = dict(pairs)
        if tag == "legend":
            self._legend = []
        elif tag == "input" and attrs.get("type") == "radio":
            self._radio = (attrs.get("name") or "", attrs.get("value") or "")
        elif tag == "span" and "option-name" in (attrs.get("class") or "").split():
            self._name = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "legend" and self._legend is not None:
            self._layer = " ".join("".join(self._legend).split()).removesuffix(" (optional)")
            self._legend = None
        elif tag == "span" and self._name is not None and self._radio:
            self.found[self._layer, " ".join("".join(self._name).split())] = self._radio
            self._name = None

    def handle_data(self, data: str) -> None:
        if self._legend is not None:
            self._legend.append(data)
        if self._name is not None:
            self._name.append(data)


@dataclass(frozen=True)
class PlacedOrder:
    address: str
    """The order page, /orders/<key>: open it with `page.goto`."""
    number: str


def add_to_cart(
    shopper: Page | BrowserContext, slug: str, choices: dict[str, str], quantity: int = 1
) -> None:
    """Add a build to the cart of the shopper's browser (a page of it, or the browser) by the
    configurator's form, as a browser without JavaScript posts it: the page opened with the
    choices in its address (as "Update preview and price" opens it, the rules applied), then
    its form sent with the quantity."""
    request = shopper.request
    product_page = f"/products/{slug}"
    shown = request.get(product_page)
    assert shown.ok, f"GET {product_page}: {shown.status}"
    parser = _Choices()
    parser.feed(shown.text())
    chosen: dict[str, str] = {}
    for layer, option in choices.items():
        assert (layer, option) in parser.found, f"{product_page}: no {option} in {layer}"
        name, value = parser.found[layer, option]
        chosen[name] = value
    built = f"{product_page}?{urlencode(chosen)}" if chosen else product_page
    submit(request, built, "/cart/items", {"quantity": quantity})


def check_out(shopper: Page | BrowserContext, email: str = "ada@example.com") -> PlacedOrder:
    """Check out the shopper's cart by the checkout form."""
    request = shopper.request
    answer = submit(request, "/checkout", "/checkout", {**CUSTOMER, "email": email})
    address = urlsplit(_location(answer)).path
    assert "/orders/" in address, f"checkout answered {answer.status}, to {address}"
    order_page = request.get(address)
    found = re.search(r"Order <strong>([^<]+)</strong> for ", order_page.text())
    assert order_page.ok and found, f"GET {address}: {order_page.status}"
    return PlacedOrder(address, found.group(1))


def place_order(
    shopper: Page | BrowserContext,
    slug: str,
    choices: dict[str, str],
    quantity: int = 1,
    email: str = "ada@example.com",
) -> PlacedOrder:
    """`add_to_cart`, then `check_out`."""
    add_to_cart(shopper, slug, choices, quantity)
    return check_out(shopper, email)
