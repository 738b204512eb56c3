"""Getting a shop into the state a flow starts from, without pages: the shop's own forms, read
from the page that shows them and posted as a browser without JavaScript posts them, through
Playwright's request API on a browser's cookies (so the cart, or the merchant's session, is
that browser's).

For what a flow needs done but does not test: a product of its own with a layer or two and a
Stock Management block, an order placed to fulfil. Each costs a few requests instead of a few
dozen steps in Chromium. What the pages themselves do is proven by the flows about them
(test_backorders_follow_global, test_publication, test_readme_example and two of test_stock
build products through the editor; test_shopper and test_shopper_pages shop through the
pages).

    built = own_products.build(admin, "Bike")  # ProductForms.create, deleted at the end
    built.add_layer("Wheels")
    built.add_option("Wheels", "Gravel Tan", "120.00")
    built.stock_management("Gravel Tan", track_inventory=True, quantity=5)
    built.publish()
    order = place_order(shopper_page, built.slug, {"Wheels": "Gravel Tan"})
    shopper_page.goto(order.address)

A form is found by where it posts (its `action`); fields keep the values the page gave them
unless a change names them, like a person who changes only what they came to change. A change
must name a field the form has, and a value it offers (a radio button's, a select's option):
a renamed field fails here, not silently on the server."""

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
_STATUS = {status.label: status.value for status in StockStatus}


@dataclass
class Form:
    action: str
    multipart: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    """What it sends as it is: a ticked checkbox's value, nothing for a clear one."""
    offered: dict[str, set[str] | None] = field(default_factory=dict)
    """Every field it has, with the values a person can pick (radio buttons, a select's
    options, a checkbox's value) or None where they type."""


@dataclass
class _Control:
    owner: Form | str | None
    """Its form, or the id its `form=` attribute names (resolved once the page is read)."""
    tag: str
    name: str
    kind: str
    value: str | None
    checked: bool
    options: list[tuple[str, bool]] = field(default_factory=list)
    """A select's (value, selected); a textarea's text as its one entry."""


class _Forms(HTMLParser):
    """Every form of a page: its action and the values its fields would send as they are.
    Disabled fields send nothing; a field may sit outside its form (`form="id"`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self.controls: list[_Control] = []
        self._current: Form | None = None
        self._open: _Control | None = None
        """The select or textarea being read."""
        self._option: list[str] | None = None
        self._option_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, pairs: list[tuple[str, str | None]]) -> None:
        attrs = dict(pairs)
        if tag == "form":
            form = Form(
                action=attrs.get("action") or "",
                multipart=attrs.get("enctype") == "multipart/form-data",
            )
            self.forms.append(form)
            if attrs.get("id"):
                self.by_id[str(attrs["id"])] = form
            self._current = form
        elif tag == "option" and self._open is not None:
            self._option, self._option_attrs = [], attrs
        elif tag in {"input", "select", "textarea"} and attrs.get("name"):
            self._control(tag, attrs)

    def _control(self, tag: str, attrs: dict[str, str | None]) -> None:
        kind = (attrs.get("type") or "text").lower() if tag == "input" else tag
        if kind in {"submit", "button", "file", "reset", "image"} or "disabled" in attrs:
            return
        control = _Control(
            owner=attrs.get("form") or self._current,
            tag=tag,
            name=str(attrs["name"]),
            kind=kind,
            value=attrs.get("value"),
            checked="checked" in attrs,
        )
        self.controls.append(control)
        if tag in {"select", "textarea"}:
            self._open = control

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "option" and self._open is not None and self._option is not None:
            value = self._option_attrs.get("value")
            text = " ".join("".join(self._option).split())
            self._open.options.append(
                (text if value is None else value, "selected" in self._option_attrs)
            )
            self._option = None
        elif tag in {"select", "textarea"}:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._open is not None and self._open.kind == "textarea":
            self._open.value = (self._open.value or "") + data

    def close(self) -> None:
        super().close()
        for control in self.controls:
            owner = control.owner
            form = self.by_id.get(owner) if isinstance(owner, str) else owner
            if form is not None:
                _add(form, control)


def _add(form: Form, control: _Control) -> None:
    """What the control offers and sends, into its form."""
    name, offered = control.name, form.offered
    if control.kind in {"checkbox", "radio"}:
        value = "on" if control.value is None else control.value
        choices = offered.get(name) or set()
        offered[name] = choices | {value}
        if control.checked:
            form.fields[name] = value
    elif control.kind == "select":
        offered[name] = {value for value, _ in control.options}
        chosen = [value for value, selected in control.options if selected]
        if chosen or control.options:
            form.fields[name] = (chosen or [control.options[0][0]])[0]
    else:
        offered[name] = None
        form.fields[name] = control.value or ""


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    parser.close()
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
        assert name in form.offered, f"{page_path}: the form to {action} has no field {name}"
        choices = form.offered[name]
        if value is None or value is False:
            values.pop(name, None)
            continue
        if value is True:  # tick a checkbox: it sends its own value
            assert choices and len(choices) == 1, f"{page_path}: {name} is not a checkbox"
            values[name] = next(iter(choices))
            continue
        wanted = str(value)
        assert choices is None or wanted in choices, (
            f"{page_path}: {name} offers {sorted(choices)}, not {wanted}"
        )
        values[name] = wanted
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
    options: dict[tuple[str, str], int] = field(default_factory=dict)
    """(layer, option) -> the option's id."""

    def _option_id(self, name: str, layer: str | None) -> int:
        found = [
            option_id
            for (in_layer, option), option_id in self.options.items()
            if option == name and layer in (None, in_layer)
        ]
        assert len(found) == 1, f"{len(found)} options {name!r} in {layer or 'its layers'}"
        return found[0]

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
        """Editor.global_settings's stock fields, by the same labels and values; the rest of
        the form (new options' backorders, the shop's charge policy) is sent as it is."""
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
        self.options[layer, name] = _item(_location(answer))

    def stock_management(
        self,
        option: str,
        layer: str | None = None,
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
        """OptionPanel.stock_management's fields, by the same labels and values (`layer` when
        two layers have an option of that name)."""
        option_id = self._option_id(option, layer)
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
    answer = submit(request, built, "/cart/items", {"quantity": quantity})
    # A question (200) or "nothing added" (back to the product) would leave the cart short.
    assert _location(answer).startswith("/cart?added="), (
        f"{built}: adding {quantity} did not go to the cart ({answer.status}, "
        f"{answer.headers.get('location', 'no redirect')})"
    )


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
