"""What the shop's emails say, and when a failed one is tried again.

Pure: plain values in, a `Mail` (recipient, subject, plain text) out. Mails are plain text only,
so nothing a merchant or a shopper typed (a product name, a customer's name) can become markup
or a link; a line break typed into a name cannot start a new mail header either (`one_line`).
The services put these mails into the outbox in the same transaction as the event that causes
them, and a sender delivers them later (see `services.mail`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from configurator.core.configuration import ConfiguratorSpec
from configurator.core.fulfilment import LineSnapshot, shipping_summary

SIGNATURE = "Layerworks"
EMAIL_PATTERN = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MAX_EMAIL_LENGTH = 254
BACK_IN_STOCK_ASKED = (
    "Thank you. We sent you a mail: open its link to confirm, and we will email you once when "
    "it is back in stock."
)

RETRY_FIRST = timedelta(seconds=30)
RETRY_LONGEST = timedelta(hours=1)
MAX_ATTEMPTS = 8
"""A mail is tried this many times (about 2 hours in all) before it is marked failed."""


class MailKind(StrEnum):
    """Why a mail was written; the Emails page shows the label."""

    ORDER_CONFIRMATION = "order_confirmation"
    ORDER_CANCELLED = "order_cancelled"
    READY_TO_SHIP = "ready_to_ship"
    SHIPPED = "shipped"
    NEW_ORDER = "new_order"
    LOW_STOCK = "low_stock"
    BACK_IN_STOCK_CONFIRM = "back_in_stock_confirm"
    BACK_IN_STOCK = "back_in_stock"
    NEW_SHIP_DATE = "new_ship_date"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    MailKind.ORDER_CONFIRMATION: "Order confirmation",
    MailKind.ORDER_CANCELLED: "Order cancelled",
    MailKind.READY_TO_SHIP: "Ready to ship",
    MailKind.SHIPPED: "Shipped",
    MailKind.NEW_ORDER: "New order (to you)",
    MailKind.LOW_STOCK: "Low stock (to you)",
    MailKind.BACK_IN_STOCK_CONFIRM: "Back in stock: confirm address",
    MailKind.BACK_IN_STOCK: "Back in stock",
    MailKind.NEW_SHIP_DATE: "New ship date",
}


@dataclass(frozen=True, slots=True)
class Mail:
    kind: MailKind
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """An order as its mails read it: the lines as recorded at checkout (see
    `fulfilment.LineSnapshot`; backordered options already carry their timeframe, if any)."""

    number: str
    customer_name: str
    email: str
    url: str
    lines: tuple[LineSnapshot, ...]
    subtotal: str = ""
    pictures: tuple[tuple[str, str], ...] = ()
    """Each line's product name and the absolute address of its build's picture (a line whose
    product is gone or unpublished has none)."""
    pending: OrderFacts | None = None
    """The Pending order placed with this one (Charge on restock): charged when it ships."""
    is_pending: bool = False
    """This order is itself a Pending order (everything in the checkout was backordered)."""


def one_line(text: str) -> str:
    """Text for a header or a single line: line breaks and other control characters become
    spaces, so nothing typed can add a header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def clean_email(text: str) -> str | None:
    """An address as a shopper typed it, trimmed; None if it cannot be an address."""
    value = text.strip()
    if not value or len(value) > MAX_EMAIL_LENGTH or not value.isprintable():
        return None
    return value if EMAIL_PATTERN.match(value) else None


def backordered_option(layer: str, option: str, timeframe: str | None) -> str:
    """ "Wheels: Carbon Deep (ships in 2-3 weeks)"; the timeframe is left out when unset."""
    name = f"{one_line(layer)}: {one_line(option)}"
    timeframe = one_line(timeframe or "")
    return f"{name} ({timeframe})" if timeframe else name


def _mail(kind: MailKind, to: str, subject: str, paragraphs: Sequence[str]) -> Mail:
    body = "\n\n".join(p for p in paragraphs if p) + f"\n\n-- \n{SIGNATURE}\n"
    return Mail(kind, to, one_line(subject), body)


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"  - {one_line(item)}" for item in items)


def _shipping(order: OrderFacts, *, merchant: bool) -> list[str]:
    summary = shipping_summary(order.lines, merchant=merchant)
    parts = [summary.headline]
    if summary.ships_now:
        parts.append(f"{summary.now_heading}:\n{_bullets(summary.ships_now)}")
    if summary.ships_later:
        parts.append(f"{summary.later_heading}:\n{_bullets(summary.ships_later)}")
    return parts


def order_confirmation(order: OrderFacts) -> Mail:
    """To the customer: the order, what ships now and what is backordered (with when)."""
    return _mail(
        MailKind.ORDER_CONFIRMATION,
        order.email,
        f"Your order {order.number}",
        [
            f"Hello {one_line(order.customer_name)},",
            _thanks(order),
            *_shipping(order, merchant=False),
            *_pending_order(order.pending, merchant=False),
            _pictures(order),
            f"Your order, at any time: {order.url}",
        ],
    )


def _thanks(order: OrderFacts) -> str:
    if order.is_pending:
        return (
            f"Thank you for your order {order.number}. Everything in it is backordered, so "
            f"nothing is charged now: it is a Pending order of {order.subtotal}, charged when "
            "the items ship (no shipping and no discounts are added to it)."
        )
    return f"Thank you for your order {order.number}." + (
        f" Subtotal: {order.subtotal}." if order.subtotal else ""
    )


def _pending_order(pending: OrderFacts | None, *, merchant: bool, admin_url: str = "") -> list[str]:
    """The Pending order placed with an order, as its confirmation (or the merchant's new order
    mail) names it."""
    if pending is None:
        return []
    if merchant:
        return [
            f"The backordered items are in Pending order {pending.number} ({pending.subtotal}): "
            "charge it when they ship (no shipping, no discounts)."
            + (f" {admin_url}" if admin_url else "")
        ]
    items = [
        f"{line.product_name} \N{MULTIPLICATION SIGN} {line.quantity}" for line in pending.lines
    ]
    return [
        f"Backordered items are charged when they ship, not now: they are in your Pending order "
        f"{pending.number} ({pending.subtotal}; no shipping and no discounts are added to it).",
        _bullets(items),
        f"Your Pending order: {pending.url}",
    ]


def _pictures(order: OrderFacts) -> str:
    """ "Pictures of your builds:" and a link per line ("" when there is none)."""
    if not order.pictures:
        return ""
    title = "Picture of your build" if len(order.pictures) == 1 else "Pictures of your builds"
    return f"{title}:\n" + _bullets([f"{name}: {url}" for name, url in order.pictures])


def new_order(
    order: OrderFacts, merchant_email: str, admin_url: str, pending_admin_url: str = ""
) -> Mail:
    """To the merchant: a new order, and what of it to ship now and what to hold (and its
    Pending order, to charge when it ships)."""
    kind = "Pending order" if order.is_pending else "order"
    return _mail(
        MailKind.NEW_ORDER,
        merchant_email,
        f"New {kind} {order.number} from {one_line(order.customer_name)}",
        [
            f"{one_line(order.customer_name)} <{order.email}> placed {kind} {order.number}."
            + (f" Subtotal: {order.subtotal}." if order.subtotal else "")
            + (" Charge it when the items ship." if order.is_pending else ""),
            *_shipping(order, merchant=True),
            *_pending_order(order.pending, merchant=True, admin_url=pending_admin_url),
            f"Open it in the admin: {admin_url}",
        ],
    )


def order_cancelled(order: OrderFacts) -> Mail:
    return _mail(
        MailKind.ORDER_CANCELLED,
        order.email,
        f"Your order {order.number} was cancelled",
        [
            f"Hello {one_line(order.customer_name)},",
            f"Your order {order.number} was cancelled. Nothing from it will ship.",
            f"Your order: {order.url}",
        ],
    )


def ready_to_ship(order: OrderFacts) -> Mail:
    """To the customer, when a restock completes the order: all of it ships now."""
    items = [f"{line.product_name} \N{MULTIPLICATION SIGN} {line.quantity}" for line in order.lines]
    return _mail(
        MailKind.READY_TO_SHIP,
        order.email,
        f"Your order {order.number} is ready to ship",
        [
            f"Hello {one_line(order.customer_name)},",
            f"Good news: everything in your order {order.number} is now in stock, and we are "
            "getting it ready to ship."
            + (
                f" It is a Pending order: its {order.subtotal} is charged as it ships."
                if order.is_pending
                else ""
            ),
            _bullets(items),
            f"Your order: {order.url}",
        ],
    )


def shipped(order: OrderFacts, tracking: str = "", items: Sequence[str] = ()) -> Mail:
    """To the customer: the order (or the named part of it) is on its way."""
    tracking = one_line(tracking)
    return _mail(
        MailKind.SHIPPED,
        order.email,
        f"Your order {order.number} has shipped",
        [
            f"Hello {one_line(order.customer_name)},",
            f"We shipped:\n{_bullets(items)}"
            if items
            else f"We shipped your order {order.number}.",
            f"Tracking reference: {tracking}" if tracking else "",
            f"Your order: {order.url}",
        ],
    )


@dataclass(frozen=True, slots=True)
class NewShipDate:
    """A backordered option of an order whose promised date moved later: "Wheels: Carbon
    Deep" and when it ships now ("ships around 20 January", or the option's timeframe, or ""
    when nothing can be promised)."""

    option: str
    ships: str


def new_ship_date(
    number: str, customer_name: str, email: str, url: str, moved: Sequence[NewShipDate]
) -> Mail:
    """To the customer, once per order, when an expected delivery slipped, shrank or was
    cancelled and their backordered items now ship later than they were told."""
    whens = {one_line(m.ships) for m in moved}
    when = next(iter(whens))
    if len(whens) == 1 and when.startswith("ships "):
        # "ships around 20 January" -> "now ship around 20 January"
        headline = f"Your backordered items now ship {when.removeprefix('ships ')}."
        subject = f"Your order {number}: backordered items now ship {when.removeprefix('ships ')}"
    else:
        headline = "Your backordered items now ship later than we told you."
        subject = f"Your order {number}: backordered items now ship later"
    items = [
        f"{m.option}: {m.ships}" if m.ships else f"{m.option}: we will email you when it ships"
        for m in moved
    ]
    return _mail(
        MailKind.NEW_SHIP_DATE,
        email,
        subject,
        [
            f"Hello {one_line(customer_name)},",
            f"A delivery we expected for your order {number} is late or smaller than planned. "
            + headline,
            _bullets(items),
            "We are sorry for the wait. Nothing else in your order changes.",
            f"Your order: {url}",
        ],
    )


@dataclass(frozen=True, slots=True)
class LowStockFacts:
    product_name: str
    layer_name: str
    option_name: str
    sku: str
    quantity: int
    notify_below: int
    admin_url: str


def low_stock(facts: LowStockFacts, merchant_email: str) -> Mail:
    """To the merchant, once when a sale takes an option to Notify for Quantity Below."""
    name = f"{one_line(facts.product_name)}, {one_line(facts.layer_name)}: "
    name += one_line(facts.option_name)
    sku = f" (SKU {one_line(facts.sku)})" if facts.sku else ""
    return _mail(
        MailKind.LOW_STOCK,
        merchant_email,
        f"Low stock: {name}",
        [
            f"{name}{sku} is down to {facts.quantity} on hand; you asked to be told at "
            f"{facts.notify_below} or below (Notify for Quantity Below).",
            "You will not be told again until its quantity has been above that and falls again.",
            f"Restock it: {facts.admin_url}",
        ],
    )


@dataclass(frozen=True, slots=True)
class BackInStockFacts:
    email: str
    product_name: str
    layer_name: str
    option_name: str
    url: str
    """The confirmation link (to confirm) or the product page (once back in stock)."""


def _option_name(facts: BackInStockFacts) -> str:
    return f"{one_line(facts.product_name)} with {one_line(facts.layer_name)}: " + one_line(
        facts.option_name
    )


def back_in_stock_choices(spec: ConfiguratorSpec) -> tuple[tuple[int, str], ...]:
    """The options a shopper may ask to be told about: on a layer they see, and not orderable
    at all (Out of Stock with backorders off); as (option id, "Laces: Neon Yellow")."""
    return tuple(
        (option.id, f"{layer.name}: {option.name}")
        for layer in spec.layers
        if layer.shown_to_shopper
        for option in layer.options
        if not spec.availability(option).is_purchasable
    )


def back_in_stock_confirmation(facts: BackInStockFacts) -> Mail:
    """Double opt-in: nothing more is sent to this address unless its owner confirms."""
    return _mail(
        MailKind.BACK_IN_STOCK_CONFIRM,
        facts.email,
        "Confirm: email me when it is back in stock",
        [
            f"Someone (we hope you) asked us to email this address once {_option_name(facts)} "
            "is back in stock.",
            f"To confirm, open this link: {facts.url}",
            "If you did not ask, ignore this mail: we will not write again.",
        ],
    )


def back_in_stock(facts: BackInStockFacts) -> Mail:
    return _mail(
        MailKind.BACK_IN_STOCK,
        facts.email,
        f"Back in stock: {one_line(facts.option_name)}",
        [
            f"{_option_name(facts)} is back in stock.",
            f"Build yours: {facts.url}",
            "You asked to be told once; we will not write about it again.",
        ],
    )


def retry_delay(attempts: int, first: timedelta = RETRY_FIRST) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from `first`, at most an
    hour (30 s, 1 min, 2 min, 4 min …)."""
    delay: timedelta = first * (2 ** max(attempts - 1, 0))
    return min(delay, RETRY_LONGEST)


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    use_tls: bool
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://[user:password@]host[:port]` (STARTTLS when the server offers it, port 25 by
    default) or `smtps://…` (TLS from the start, port 465). Raises ValueError for anything
    else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("use smtp://host:port or smtps://host:port")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number") from None
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        use_tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
