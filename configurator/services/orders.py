"""Checkout: customer details, placing an order in one transaction, and reading orders back."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from configurator.core.availability import Split, split_summary
from configurator.core.checkout import plan_checkout
from configurator.core.configuration import ConfiguratorSpec
from configurator.core.fulfilment import (
    Cancellation,
    LineSnapshot,
    RecordedOption,
    ShippingSummary,
    cancellation,
    shipping_summary,
    snapshot_line,
)
from configurator.services import mail
from configurator.services.cart import CartItem, CartView, cart_id_for, view_cart
from configurator.services.catalog import spec_by_id
from configurator.services.stock import SoldOut, give_back, take_for_order
from configurator.store.db import unit_of_work
from configurator.store.models import (
    Cart,
    CartLine,
    CustomerOrder,
    OrderLine,
    OrderLineOption,
    utcnow,
)

ORDER_PLACED = "placed"
ORDER_CANCELLED = "cancelled"

EMAIL_PATTERN = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
CUSTOMER_FIELDS: dict[str, tuple[str, int, bool]] = {
    # name: (label, max length, required)
    "customer_name": ("Full name", 120, True),
    "email": ("Email", 254, True),
    "address_line1": ("Address", 200, True),
    "address_line2": ("Address line 2", 200, False),
    "city": ("City", 100, True),
    "postal_code": ("Postal code", 20, True),
    "country": ("Country", 100, True),
}


class CheckoutError(ValueError):
    """The order cannot be placed as it stands; the cart says why on each line."""

    def __init__(self, message: str, cart: CartView, *, sold_out: bool = False) -> None:
        super().__init__(message)
        self.cart = cart
        self.sold_out = sold_out


@dataclass(frozen=True)
class CustomerDetails:
    customer_name: str
    email: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    country: str


def validate_customer(form: Mapping[str, str]) -> tuple[CustomerDetails | None, dict[str, str]]:
    """Clean the checkout form; return the details, or the message for each bad field."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (label, max_length, required) in CUSTOMER_FIELDS.items():
        value = " ".join(str(form.get(name, "")).split())
        if required and not value:
            errors[name] = f"Enter your {label.lower()}."
        elif len(value) > max_length:
            errors[name] = f"{label} must be at most {max_length} characters."
        elif any(ord(ch) < 32 for ch in value):
            errors[name] = f"{label} contains characters we cannot print."
        values[name] = value
    if "email" not in errors and not EMAIL_PATTERN.match(values["email"]):
        errors["email"] = "Enter an email address like name@example.com."
    if errors:
        return None, errors
    return CustomerDetails(**values), {}


def _order_number() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "CFG-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _checkout_key(cart_token: str | None, checkout_key: str) -> str | None:
    """The key an order is found by when its form is sent again: bound to the shopper's cart,
    so that nobody else's resubmission can ever land on this order."""
    if not cart_token or not checkout_key:
        return None
    return hashlib.sha256(f"{cart_id_for(cart_token)}:{checkout_key}".encode()).hexdigest()


def place_order(
    session: Session,
    *,
    cart_token: str | None,
    customer: CustomerDetails,
    checkout_key: str = "",
) -> str:
    """Check the cart again, take the stock, write the order with its snapshot, empty the cart.

    One transaction: either the whole order is written with its stock movements and the cart
    emptied, or nothing is. Returns the order's public token. The same checkout form sent
    twice (a double click, a retried request) returns the first order's token. The commit is
    durable: once the shopper sees the confirmation, a power cut cannot take the order back.
    """
    key = _checkout_key(cart_token, checkout_key)
    try:
        with unit_of_work(session, write=True, durable=True):
            return _place_order(session, cart_token, customer, key)
    except _SoldOutWhileCheckingOut as exc:
        raise CheckoutError(exc.message, view_cart(session, cart_token), sold_out=True) from None
    except IntegrityError:
        # The same form, placed by a request that got there first: show that order.
        placed = session.exec(
            select(CustomerOrder.token).where(CustomerOrder.checkout_key == key)
        ).first()
        if key is None or placed is None:
            raise
        return placed


class _SoldOutWhileCheckingOut(Exception):
    """An option ran out between the cart's check and taking its stock (nothing written)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _place_order(
    session: Session, cart_token: str | None, customer: CustomerDetails, key: str | None
) -> str:
    if cart_token:
        # One checkout per cart at a time (a second tab, a double click): on PostgreSQL the
        # cart's row lock makes the second wait and then find the order placed or the cart
        # empty; SQLite's BEGIN IMMEDIATE already did the same.
        session.exec(
            select(Cart.id).where(Cart.id == cart_id_for(cart_token)).with_for_update()
        ).first()
    if key is not None:
        placed = session.exec(
            select(CustomerOrder.token).where(CustomerOrder.checkout_key == key)
        ).first()
        if placed is not None:
            return placed
    cart = view_cart(session, cart_token)
    plan = plan_checkout(cart.items)
    if plan.refusal:
        raise CheckoutError(plan.refusal, cart)
    assert cart_token is not None
    order = CustomerOrder(
        number=_order_number(),
        token=secrets.token_urlsafe(24),
        customer_name=customer.customer_name,
        email=customer.email,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        city=customer.city,
        postal_code=customer.postal_code,
        country=customer.country,
        subtotal_cents=cart.subtotal,
        checkout_key=key,
    )
    session.add(order)
    session.flush()
    assert order.id is not None

    try:
        before = take_for_order(session, plan.demand, plan.floors, order)
    except SoldOut as exc:
        raise _SoldOutWhileCheckingOut(plan.sold_out(exc.option_id)) from None

    # Split lines by the quantities actually taken, when another order came first.
    exact = plan.specs_as_taken(before)
    if exact:
        cart = view_cart(session, cart_token, specs=exact)
    for position, item in enumerate(cart.items):
        _write_line(session, order, position, item, plan.demand)
    order.has_backorder = any(item.has_backorder for item in cart.items)
    order.backorder_told = cart.has_backorder
    session.add(order)
    session.flush()
    # The mails go into the outbox with the order, and are sent after it (never block it).
    mail.enqueue_order_placed(session, order)
    mail.after_sale(session, _sold(cart, before, plan.demand))

    cart_id = cart_id_for(cart_token)
    for cart_line in session.exec(select(CartLine).where(CartLine.cart_id == cart_id)):
        session.delete(cart_line)
    cart_row = session.get(Cart, cart_id)
    if cart_row is not None:
        session.delete(cart_row)
    return order.token


def _sold(
    cart: CartView, before: Mapping[int, int], demand: Mapping[int, int]
) -> dict[int, mail.Sold]:
    """Each option the order took stock of: its configurator as this checkout read it and its
    quantity on hand now."""
    sold: dict[int, mail.Sold] = {}
    for item in cart.items:
        configuration = item.configuration
        if configuration is None:
            continue
        for choice in configuration.chosen:
            option_id = choice.option.id if choice.option else None
            if option_id is not None and option_id in demand and option_id in before:
                after = before[option_id] - demand[option_id]
                sold[option_id] = mail.Sold(configuration.spec, after)
    return sold


def _write_line(
    session: Session, order: CustomerOrder, position: int, item: CartItem, demand: dict[int, int]
) -> None:
    configuration = item.configuration
    assert configuration is not None and item.split is not None and order.id is not None
    line = OrderLine(
        order_id=order.id,
        position=position,
        product_id=configuration.spec.product_id,
        product_name=configuration.spec.name,
        product_slug=configuration.spec.slug,
        base_price_cents=configuration.spec.base_price,
        unit_price_cents=item.unit_price,
        quantity=item.quantity,
        line_total_cents=item.line_total,
        has_backorder=item.has_backorder,
        backorder_told=item.backorder_told,
        backorder_line=item.backorder_line,
        quantity_in_stock=item.split.in_stock,
        quantity_backordered=item.split.backordered,
    )
    session.add(line)
    session.flush()
    assert line.id is not None
    for option_position, cart_option in enumerate(item.options):
        option = cart_option.choice.option
        assert option is not None
        session.add(
            OrderLineOption(
                order_line_id=line.id,
                position=option_position,
                layer_name=cart_option.choice.layer.name,
                option_name=option.name,
                sku=option.sku,
                price_delta_cents=option.price_delta,
                backordered=cart_option.backordered > 0,
                customer_told=bool(cart_option.label) or not cart_option.backordered,
                quantity_backordered=cart_option.backordered,
                option_id=option.id,
                stock_taken=item.quantity if option.id in demand else 0,
                shown_to_shopper=cart_option.choice.layer.shown_to_shopper,
            )
        )


class OrderError(ValueError):
    """A merchant action on an order we refuse, with the reason."""


def cancel_order(session: Session, *, number: str, username: str) -> CustomerOrder:
    """Cancel an order and give back the stock it took, with movements, in one transaction."""
    with unit_of_work(session, write=True):
        order = session.exec(select(CustomerOrder).where(CustomerOrder.number == number)).first()
        if order is None:
            raise LookupError("No such order.")
        # Claim the cancellation with a conditional update: of two merchants (or a double click)
        # cancelling at once, exactly one gives the stock back.
        claimed = session.execute(
            update(CustomerOrder)
            .where(col(CustomerOrder.id) == order.id, col(CustomerOrder.status) == ORDER_PLACED)
            .values(status=ORDER_CANCELLED, cancelled_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise OrderError("This order is already cancelled; its stock was given back then.")
        session.refresh(order)
        line_ids = [
            line.id
            for line in session.exec(select(OrderLine).where(OrderLine.order_id == order.id))
        ]
        taken: dict[int, int] = {}
        for option in session.exec(
            select(OrderLineOption).where(col(OrderLineOption.order_line_id).in_(line_ids))
        ):
            if option.option_id is not None and option.stock_taken:
                taken[option.option_id] = taken.get(option.option_id, 0) + option.stock_taken
        give_back(session, taken, order, username)
        mail.enqueue_order_cancelled(session, order)
        return order


@dataclass(frozen=True)
class OrderLineView:
    line: OrderLine
    options: tuple[OrderLineOption, ...]
    shown_options: tuple[OrderLineOption, ...] = ()
    """What the shopper is shown: the snapshot records every option, but a layer the
    configurator did not show them when they ordered stays hidden, unless they were told it
    is backordered. Recorded at checkout, so a later change to the catalog changes nothing."""

    @property
    def split_summary(self) -> str:
        """What of this line ships now and what once restocked, as recorded at checkout."""
        return split_summary(Split(self.line.quantity_in_stock, self.line.quantity_backordered))


@dataclass(frozen=True)
class OrderView:
    order: CustomerOrder
    lines: tuple[OrderLineView, ...]


def line_snapshots(view: OrderView, *, merchant: bool) -> tuple[LineSnapshot, ...]:
    """The order's lines as the fulfilment wording reads them (see `snapshot_line`)."""
    return tuple(
        snapshot_line(
            entry.line.product_name,
            entry.line.quantity,
            entry.line.quantity_in_stock,
            entry.line.has_backorder,
            [
                RecordedOption(f"{o.layer_name}: {o.option_name}", o.customer_told)
                for o in entry.options
                if o.backordered
            ],
            merchant=merchant,
        )
        for entry in view.lines
    )


def order_status(
    view: OrderView, *, merchant: bool
) -> tuple[ShippingSummary | None, Cancellation | None]:
    """What the order's page says about shipping: what ships now and once restocked while it
    is placed, or that it was cancelled and ships nothing."""
    order = view.order
    if order.status == ORDER_CANCELLED:
        return None, cancellation(order.number, order.cancelled_at, merchant=merchant)
    return shipping_summary(line_snapshots(view, merchant=merchant), merchant=merchant), None


def _order_view(session: Session, order: CustomerOrder) -> OrderView:
    lines = session.exec(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.position))
    ).all()
    line_ids = [line.id for line in lines]
    options = session.exec(
        select(OrderLineOption)
        .where(col(OrderLineOption.order_line_id).in_(line_ids))
        .order_by(col(OrderLineOption.position))
    ).all()
    specs: dict[int, ConfiguratorSpec | None] = {}

    def shown(line: OrderLine, option: OrderLineOption) -> bool:
        if option.backordered and option.customer_told:
            return True  # what waits for stock is always named
        if option.shown_to_shopper is not None:
            return option.shown_to_shopper  # as the shopper saw it when they ordered
        # Not recorded (see migration 0008): ask the catalog as it is now.
        if not line.product_id:
            return True
        if line.product_id not in specs:
            specs[line.product_id] = spec_by_id(session, line.product_id)
        spec = specs[line.product_id]
        return spec is None or spec.option_shown_to_shopper(option.option_id)

    views = []
    for line in lines:
        own = tuple(o for o in options if o.order_line_id == line.id)
        views.append(OrderLineView(line, own, tuple(o for o in own if shown(line, o))))
    return OrderView(order=order, lines=tuple(views))


def order_by_token(session: Session, token: str) -> OrderView | None:
    order = session.exec(select(CustomerOrder).where(CustomerOrder.token == token)).first()
    return _order_view(session, order) if order else None


def order_by_number(session: Session, number: str) -> OrderView | None:
    order = session.exec(select(CustomerOrder).where(CustomerOrder.number == number)).first()
    return _order_view(session, order) if order else None


def recent_orders(session: Session, limit: int = 200) -> list[CustomerOrder]:
    return list(
        session.exec(
            select(CustomerOrder)
            .order_by(col(CustomerOrder.created_at).desc(), col(CustomerOrder.id).desc())
            .limit(limit)
        )
    )
