"""Checkout: customer details, placing an order in one transaction, and reading orders back."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from configurator.core.availability import Split, split_summary
from configurator.core.checkout import plan_checkout
from configurator.core.composition import recorded_picture_url
from configurator.core.configuration import MAIN_VIEW, ConfiguratorSpec, LayerImage
from configurator.core.fulfilment import (
    Cancellation,
    Fulfilment,
    LineProgress,
    LineSnapshot,
    ShippingSummary,
    cancellation,
    line_fulfilment,
    order_fulfilment,
    shipping_summary,
)
from configurator.services import composer, mail
from configurator.services.cart import CartItem, CartOption, CartView, cart_id_for, view_cart
from configurator.services.catalog import spec_by_id
from configurator.services.stock import (
    ORDER_CANCELLED,
    ORDER_PLACED,
    FulfilmentChange,
    SoldOut,
    give_back,
    line_progress,
    lock_option,
    name_pending_order,
    refresh_fulfilment,
    take_for_order,
    waiting_lines,
)
from configurator.store.db import unit_of_work
from configurator.store.models import (
    Cart,
    CartLine,
    CustomerOrder,
    OrderLine,
    OrderLineOption,
    Shipment,
    utcnow,
)

__all__ = ["ORDER_CANCELLED", "ORDER_PLACED"]

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


@dataclass(frozen=True)
class PlacedOrder:
    """What a checkout did: the order's public token, whether this request wrote it (not a
    repeat of a form already placed), and how many units of it wait for stock."""

    token: str
    new: bool
    backordered_units: int = 0


def place_order(
    session: Session,
    *,
    cart_token: str | None,
    customer: CustomerDetails,
    checkout_key: str = "",
) -> str:
    """`place_order_outcome`, for callers that need only the order's token."""
    return place_order_outcome(
        session, cart_token=cart_token, customer=customer, checkout_key=checkout_key
    ).token


def place_order_outcome(
    session: Session,
    *,
    cart_token: str | None,
    customer: CustomerDetails,
    checkout_key: str = "",
) -> PlacedOrder:
    """Check the cart again, take the stock, write the order with its snapshot, empty the cart.

    One transaction: either the whole order is written with its stock movements and the cart
    emptied, or nothing is. The same checkout form sent twice (a double click, a retried
    request) returns the first order (`new` is then false). The commit is durable: once the
    shopper sees the confirmation, a power cut cannot take the order back.
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
        return PlacedOrder(placed, new=False)


class _SoldOutWhileCheckingOut(Exception):
    """An option ran out between the cart's check and taking its stock (nothing written)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _place_order(
    session: Session, cart_token: str | None, customer: CustomerDetails, key: str | None
) -> PlacedOrder:
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
            return PlacedOrder(placed, new=False)
    cart = view_cart(session, cart_token)
    plan = plan_checkout(cart.items)
    if plan.refusal:
        raise CheckoutError(plan.refusal, cart)
    assert cart_token is not None
    order = CustomerOrder(
        number=_order_number(),
        token=secrets.token_urlsafe(24),
        **asdict(customer),
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
    pending = _write_orders(session, order, cart, plan.demand)
    # The mails go into the outbox with the order, and are sent after it (never block it).
    mail.enqueue_order_placed(session, order, pending=pending)
    mail.after_sale(session, _sold(cart, before, plan.demand))

    cart_id = cart_id_for(cart_token)
    session.execute(delete(CartLine).where(col(CartLine.cart_id) == cart_id))
    session.execute(delete(Cart).where(col(Cart.id) == cart_id))
    backordered = sum(item.split.backordered for item in cart.items if item.split is not None)
    return PlacedOrder(order.token, new=True, backordered_units=backordered)


def _write_orders(
    session: Session, order: CustomerOrder, cart: CartView, demand: dict[int, int]
) -> CustomerOrder | None:
    """Write the cart's lines into the order, and what the charge policy moves out of it into
    a Pending order (returned; None when nothing moves)."""
    charged, later = _charged_parts(cart)
    pending = None
    if not charged:
        # Everything waits (Charge on restock): nothing is charged now, so the checkout's one
        # order is its Pending order rather than an empty order beside one.
        order.pending, charged, later = True, later, []
    _write_lines(session, order, charged, demand)
    if later:
        pending = _pending_order(session, order)
        _write_lines(session, pending, later, demand)
        name_pending_order(session, order, pending, set(demand) - _options_of(charged))
    return pending


def _options_of(items: list[CartItem]) -> set[int]:
    return {o.choice.option.id for item in items for o in item.options if o.choice.option}


def _charged_parts(cart: CartView) -> tuple[list[CartItem], list[CartItem]]:
    """The cart's lines charged with the order, and those (or the part of a split line) that
    the charge policy moves to the Pending order."""
    charged: list[CartItem] = []
    pending: list[CartItem] = []
    for item in cart.items:
        now, later = item.charged_parts()
        charged += [now] if now else []
        pending += [later] if later else []
    return charged, pending


def _pending_order(session: Session, main: CustomerOrder) -> CustomerOrder:
    """The Pending order beside `main`: the same customer and time (so restocks fill it as
    old as its checkout), its own number and token, and each linked to the other."""
    assert main.id is not None
    pending = CustomerOrder(
        number=_order_number(),
        token=secrets.token_urlsafe(24),
        created_at=main.created_at,
        **{name: getattr(main, name) for name in CUSTOMER_FIELDS},
        subtotal_cents=0,
        pending=True,
        main_order_id=main.id,
    )
    session.add(pending)
    session.flush()
    return pending


def _write_lines(
    session: Session, order: CustomerOrder, items: list[CartItem], demand: dict[int, int]
) -> None:
    """Write an order's lines with their options, and what follows from them: its subtotal
    (integer cents) and fulfilment status."""
    progress = [
        _write_line(session, order, position, item, demand) for position, item in enumerate(items)
    ]
    order.subtotal_cents = sum(item.line_total for item in items)
    order.fulfilment = order_fulfilment(progress).value
    order.has_backorder = any(item.has_backorder for item in items)
    order.backorder_told = any(item.backorder_told for item in items)
    session.add(order)
    session.flush()


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
) -> LineProgress:
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
    session.execute(
        insert(OrderLineOption),
        [
            _option_row(line.id, option_position, cart_option, item.quantity, demand)
            for option_position, cart_option in enumerate(item.options)
        ],
    )
    return LineProgress(
        item.quantity, 0, tuple(o.backordered for o in item.options if o.backordered)
    )


def _option_row(
    line_id: int, position: int, cart_option: CartOption, quantity: int, demand: dict[int, int]
) -> dict[str, object]:
    option = cart_option.choice.option
    assert option is not None
    return {
        "order_line_id": line_id,
        "position": position,
        "layer_name": cart_option.choice.layer.name,
        "option_name": option.name,
        "sku": option.sku,
        "price_delta_cents": option.price_delta,
        "backordered": cart_option.backordered > 0,
        "customer_told": bool(cart_option.label) or not cart_option.backordered,
        "quantity_backordered": cart_option.backordered,
        "option_id": option.id,
        "stock_taken": quantity if option.id in demand else 0,
        "shown_to_shopper": cart_option.choice.layer.shown_to_shopper,
        "restock_timeframe": cart_option.restock_timeframe,
        "promised_date": cart_option.promised_date,
        "image_id": image.image_id if (image := option.image_for(MAIN_VIEW)) else None,
    }


class OrderError(ValueError):
    """A merchant action on an order we refuse, with the reason."""


@dataclass(frozen=True)
class Cancelled:
    """A cancelled order, and the other orders whose status moved because the units it gave
    back filled their waiting lines (`changes`)."""

    order: CustomerOrder
    changes: tuple[FulfilmentChange, ...]


def cancel_order(session: Session, *, number: str, username: str) -> Cancelled:
    """Cancel an order and give back what it took and did not ship, with movements, in one
    transaction. What it held on hand goes to the oldest lines still waiting first."""
    with unit_of_work(session, write=True):
        order = session.exec(select(CustomerOrder).where(CustomerOrder.number == number)).first()
        if order is None:
            raise LookupError("No such order.")
        if order.fulfilment == Fulfilment.SHIPPED.value:
            raise OrderError("This order has shipped in full; there is nothing left to cancel.")
        lines = {
            line.id: line
            for line in session.exec(select(OrderLine).where(OrderLine.order_id == order.id))
        }
        option_ids = sorted(
            {
                o.option_id
                for o in session.exec(
                    select(OrderLineOption).where(col(OrderLineOption.order_line_id).in_(lines))
                )
                if o.option_id is not None and o.stock_taken
            }
        )
        # Options first, then the order (the order restocks take them in): a restock of these
        # options waits for this cancellation, or comes first and is seen below.
        for option_id in option_ids:
            lock_option(session, option_id)
        # Then, in id order, this order and every order the units it gives back may go to (the
        # lines waiting for these options cannot change while their options are held): orders
        # are always locked in id order after options, so a restock cannot deadlock with this.
        recipients = {
            line.order_id
            for option_id in option_ids
            for line, _line_id, _number in waiting_lines(session, option_id, taken_from_stock=True)
        }
        session.exec(
            select(CustomerOrder.id)
            .where(col(CustomerOrder.id).in_(recipients | {order.id}))
            .order_by(col(CustomerOrder.id))
            .with_for_update()
        ).all()
        # Claim the cancellation with a conditional update: of two merchants (or a double click)
        # cancelling at once, exactly one gives the stock back.
        claimed = session.execute(
            update(CustomerOrder)
            .where(
                col(CustomerOrder.id) == order.id,
                col(CustomerOrder.status) == ORDER_PLACED,
                col(CustomerOrder.fulfilment) != Fulfilment.SHIPPED.value,
            )
            .values(
                status=ORDER_CANCELLED,
                cancelled_at=utcnow(),
                fulfilment=Fulfilment.CANCELLED.value,
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(order)
            if order.status == ORDER_CANCELLED:
                raise OrderError("This order is already cancelled; its stock was given back then.")
            raise OrderError("This order has shipped in full; there is nothing left to cancel.")
        session.refresh(order)
        returns: dict[int, tuple[int, int]] = {}
        for line in session.exec(
            select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .execution_options(populate_existing=True)
        ):
            for option in session.exec(
                select(OrderLineOption)
                .where(OrderLineOption.order_line_id == line.id)
                .execution_options(populate_existing=True)
            ):
                if option.option_id is None or not option.stock_taken:
                    continue
                unshipped = min(option.stock_taken, line.quantity - line.quantity_shipped)
                still_waiting = max(0, option.quantity_backordered - option.quantity_allocated)
                waiting = min(still_waiting, unshipped)
                before = returns.get(option.option_id, (0, 0))
                returns[option.option_id] = (
                    before[0] + waiting,
                    before[1] + unshipped - waiting,
                )
        filled = give_back(session, returns, order, username)
        changes = refresh_fulfilment(session, filled)
        mail.enqueue_order_cancelled(session, order)
        return Cancelled(order, tuple(changes))


@dataclass(frozen=True)
class OrderLineView:
    line: OrderLine
    options: tuple[OrderLineOption, ...]
    shown_options: tuple[OrderLineOption, ...] = ()
    """What the shopper is shown: the snapshot records every option, but a layer the
    configurator did not show them when they ordered stays hidden, unless they were told it
    is backordered. Recorded at checkout, so a later change to the catalog changes nothing."""
    images: tuple[LayerImage, ...] = ()
    """The images its options had at checkout, bottom first: the picture of the build as
    ordered (a later change of the catalog changes nothing)."""
    picture_key: bytes = b""
    """The shop's secret its picture's address is signed with (`composer.picture_key`)."""

    @property
    def build_image(self) -> str | None:
        """The address of that picture (`composition.recorded_picture_url`, signed); None when
        none of its options had an image."""
        if not self.images:
            return None
        return recorded_picture_url(self.images, key=self.picture_key, size=160)

    @property
    def split_summary(self) -> str:
        """What of this line ships now and what once restocked: the split recorded at checkout,
        less what restocks have allocated and what has shipped since ("" once nothing waits)."""
        progress = self.progress
        return split_summary(Split(progress.ready, progress.waiting))

    @property
    def progress(self) -> LineProgress:
        return line_progress(self.line, self.options)

    def fulfilment(self, order: CustomerOrder) -> Fulfilment:
        """The line's own status: what of it is ready, shipped, or still waits."""
        return line_fulfilment(self.progress, cancelled=order.status == ORDER_CANCELLED)


@dataclass(frozen=True)
class OrderView:
    order: CustomerOrder
    lines: tuple[OrderLineView, ...]
    shipments: tuple[Shipment, ...] = ()
    pending: OrderView | None = None
    """The Pending order the same checkout placed (Charge on restock), with its lines."""
    main_order: CustomerOrder | None = None
    """For a Pending order: the order the same checkout placed with it."""

    @property
    def fulfilment(self) -> Fulfilment:
        return Fulfilment(self.order.fulfilment)


def line_snapshots(view: OrderView, *, merchant: bool) -> tuple[LineSnapshot, ...]:
    """The order's lines as the fulfilment wording reads them: the merchant is told of every
    backordered option, the customer only of those the shop told at checkout."""
    snapshots = []
    for entry in view.lines:
        line = entry.line
        progress = entry.progress
        left = line.quantity - progress.shipped
        if left <= 0:
            continue  # shipped in full: the shipments list says so
        still_waiting = [
            o
            for o in entry.options
            if o.backordered and o.quantity_backordered > o.quantity_allocated
        ]
        told = [o for o in still_waiting if merchant or o.customer_told]
        snapshots.append(
            LineSnapshot(
                product_name=line.product_name,
                quantity=left,
                quantity_in_stock=progress.ready,
                backordered_options=tuple(f"{o.layer_name}: {o.option_name}" for o in told),
                silent=len(told) < len(still_waiting),
            )
        )
    return tuple(snapshots)


def order_status(
    view: OrderView, *, merchant: bool
) -> tuple[ShippingSummary | None, Cancellation | None]:
    """What the order's page says about shipping: what ships now and once restocked while it
    is placed, or that it was cancelled and ships nothing."""
    order = view.order
    if order.status == ORDER_CANCELLED:
        return None, cancellation(order.number, order.cancelled_at, merchant=merchant)
    if view.fulfilment is Fulfilment.SHIPPED:
        return None, None
    return shipping_summary(line_snapshots(view, merchant=merchant), merchant=merchant), None


def _spec_of(
    session: Session, specs: dict[int, ConfiguratorSpec | None], line: OrderLine
) -> ConfiguratorSpec | None:
    """The line's configurator as it is now (read once per order and product)."""
    if not line.product_id:
        return None
    if line.product_id not in specs:
        specs[line.product_id] = spec_by_id(session, line.product_id)
    return specs[line.product_id]


def _shown(
    session: Session,
    specs: dict[int, ConfiguratorSpec | None],
    line: OrderLine,
    option: OrderLineOption,
) -> bool:
    if option.backordered and option.customer_told:
        return True  # what waits for stock is always named
    if option.shown_to_shopper is not None:
        return option.shown_to_shopper  # as the shopper saw it when they ordered
    # Not recorded (see migration 0008): ask the catalog as it is now.
    spec = _spec_of(session, specs, line)
    return spec is None or spec.option_shown_to_shopper(option.option_id)


def _order_view(session: Session, order: CustomerOrder, *, linked: bool = True) -> OrderView:
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
    pictures = composer.recorded_images(session, options)
    key = composer.picture_key(session) if pictures else b""
    views = []
    for line in lines:
        own = tuple(o for o in options if o.order_line_id == line.id)
        shown_options = tuple(o for o in own if _shown(session, specs, line, o))
        views.append(OrderLineView(line, own, shown_options, pictures.get(line.id or 0, ()), key))
    shipments = session.exec(
        select(Shipment).where(Shipment.order_id == order.id).order_by(col(Shipment.id))
    ).all()
    pending = main_order = None
    if linked and order.main_order_id is not None:
        main_order = session.get(CustomerOrder, order.main_order_id)
    elif linked and order.id is not None and not order.pending:
        found = pending_order_of(session, order.id)
        pending = _order_view(session, found, linked=False) if found else None
    return OrderView(
        order=order,
        lines=tuple(views),
        shipments=tuple(shipments),
        pending=pending,
        main_order=main_order,
    )


def pending_order_of(session: Session, order_id: int) -> CustomerOrder | None:
    """The Pending order placed with this order, if any."""
    return session.exec(
        select(CustomerOrder).where(CustomerOrder.main_order_id == order_id)
    ).first()


def order_by_token(session: Session, token: str) -> OrderView | None:
    order = session.exec(select(CustomerOrder).where(CustomerOrder.token == token)).first()
    return _order_view(session, order) if order else None


def order_by_number(session: Session, number: str) -> OrderView | None:
    order = session.exec(select(CustomerOrder).where(CustomerOrder.number == number)).first()
    return _order_view(session, order) if order else None


def recent_orders(
    session: Session, limit: int = 200, *, fulfilment: tuple[Fulfilment, ...] = ()
) -> list[CustomerOrder]:
    """The newest orders first; only those in these fulfilment statuses when given."""
    statement = select(CustomerOrder)
    if fulfilment:
        statement = statement.where(
            col(CustomerOrder.fulfilment).in_([status.value for status in fulfilment])
        )
    return list(
        session.exec(
            statement.order_by(
                col(CustomerOrder.created_at).desc(), col(CustomerOrder.id).desc()
            ).limit(limit)
        )
    )
