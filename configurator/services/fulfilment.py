"""Fulfilling backorders: receiving stock, marking untracked options back in stock, shipping,
and the backorder queue the merchant works from.

Each use case is one unit of work and returns what changed (the orders whose fulfilment status
moved), so that whoever tells customers ("ready to ship", "shipped") can hook in with plain
values: `Restock.ready_to_ship`, `Shipped.change`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from configurator.core.availability import StockStatus
from configurator.core.fulfilment import WAITING, Fulfilment, age_in_words, oldest_first
from configurator.services import catalog_admin, incoming, mail
from configurator.services.catalog_admin import FormError
from configurator.services.stock import (
    MAX_QUANTITY_ON_HAND,
    ORDER_CANCELLED,
    FulfilmentChange,
    Restock,
    line_progress,
    lock_option,
    order_lines_with_options,
    receive_stock,
    refresh_fulfilment,
    release_waiting,
    waiting_lines,
    waiting_lines_of,
)
from configurator.store.db import id_batches, unit_of_work
from configurator.store.models import (
    CustomerOrder,
    Layer,
    Option,
    OrderLine,
    OrderLineOption,
    Product,
    Shipment,
    utcnow,
)

NOTE_MAX = 200
TRACKING_MAX = 100


class FulfilmentRefused(ValueError):
    """An action that does not apply as things stand (nothing changed); the message says why."""


def _whole_units(text: str, label: str, errors: dict[str, str], name: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        errors[name] = f"{label} must be a whole number of units, for example 5."
        return 0
    units = int(text)
    if not 1 <= units <= MAX_QUANTITY_ON_HAND:
        errors[name] = f"{label} must be between 1 and {MAX_QUANTITY_ON_HAND:,}."
        return 0
    return units


def _note(text: str, label: str, max_length: int, errors: dict[str, str], name: str) -> str:
    value = " ".join(text.split())
    if len(value) > max_length:
        errors[name] = f"{label} must be at most {max_length} characters."
    elif not value.isprintable():
        errors[name] = f"{label} contains characters that cannot be shown; remove them."
    return value


def receive(
    session: Session,
    product_id: int,
    option_id: int,
    form: Mapping[str, str],
    *,
    username: str,
) -> Restock:
    """ "Receive stock" on a tracked option: a quantity and a note. The units fill the oldest
    waiting lines first; the rest becomes salable, and the units count against the expected
    deliveries (`Restock.mailed`: the orders told of a later date). FormError (nothing
    written) for bad input."""
    errors: dict[str, str] = {}
    units = _whole_units(str(form.get("received", "")), "Quantity received", errors, "received")
    note = _note(str(form.get("note", "")), "Note", NOTE_MAX, errors, "note")
    if errors:
        raise FormError(errors)
    with unit_of_work(session, write=True):
        catalog_admin.get_option(session, product_id, option_id)
        option = lock_option(session, option_id)
        assert option is not None
        if not option.track_inventory:
            raise FulfilmentRefused(
                f"{option.name} does not track inventory, so it has no quantity to receive "
                "into: use Mark back in stock."
            )
        if option.quantity + units > MAX_QUANTITY_ON_HAND:
            raise FormError(
                {
                    "received": f"That would make {option.quantity + units:,} on hand; at most "
                    f"{MAX_QUANTITY_ON_HAND:,} can be."
                }
            )
        restock = receive_stock(session, option_id, units, note=note, username=username)
        # What arrived counts against the expected deliveries, earliest first; customers whose
        # items now ship later are mailed (the merchant is told how many).
        repromised = incoming.count_received(session, product_id, option_id, units)
        return replace(restock, mailed=repromised.mailed)


def mark_back_in_stock(
    session: Session, product_id: int, option_id: int, *, username: str
) -> Restock:
    """ "Mark back in stock" for an option whose inventory is not tracked: its Stock Status
    becomes In Stock and every line waiting for it is released, oldest first."""
    with unit_of_work(session, write=True):
        product = catalog_admin.get_product(session, product_id)
        catalog_admin.get_option(session, product_id, option_id)
        option = lock_option(session, option_id)
        assert option is not None
        if option.track_inventory:
            raise FulfilmentRefused(
                f"{option.name} tracks inventory: use Receive stock with the units that arrived."
            )
        restock = release_waiting(session, option, username=username)
        if option.stock_status != StockStatus.IN_STOCK.value:
            option.stock_status = StockStatus.IN_STOCK.value
            session.add(option)
            product.updated_at = utcnow()
            session.add(product)
        return restock


@dataclass(frozen=True)
class Shipped:
    """A shipment and the order's status change (None when it did not move)."""

    shipment: Shipment
    order: CustomerOrder
    change: FulfilmentChange | None


def ship_order(session: Session, *, number: str, tracking_reference: str, username: str) -> Shipped:
    """Mark shipped every item of the order that is ready and not shipped yet (all of a Ready
    to ship order, the ready lines of a Partly ready one), with an optional tracking reference.
    Shipped items are never allocated again, and a later cancellation gives back only the rest."""
    errors: dict[str, str] = {}
    tracking = _note(tracking_reference, "Tracking reference", TRACKING_MAX, errors, "tracking")
    if errors:
        raise FormError(errors)
    with unit_of_work(session, write=True):
        order = session.exec(
            select(CustomerOrder)
            .where(CustomerOrder.number == number)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if order is None:
            raise LookupError("No such order.")
        if order.status == ORDER_CANCELLED:
            raise FulfilmentRefused("This order is cancelled; nothing from it ships.")
        assert order.id is not None
        lines, options = order_lines_with_options(session, [order.id])
        items: list[str] = []
        for line in lines:
            ready = line_progress(line, (o for o in options if o.order_line_id == line.id)).ready
            if ready:
                line.quantity_shipped += ready
                session.add(line)
                items.append(f"{line.product_name} \N{MULTIPLICATION SIGN} {ready}")
        if not items:
            if order.fulfilment == Fulfilment.SHIPPED.value:
                raise FulfilmentRefused("This order has already shipped in full.")
            raise FulfilmentRefused(
                "Nothing in this order is ready to ship yet: it waits for stock."
            )
        assert order.id is not None
        shipment = Shipment(
            order_id=order.id,
            tracking_reference=tracking,
            items=", ".join(items)[:2000],
            username=username,
        )
        session.add(shipment)
        session.flush()
        changes = refresh_fulfilment(session, [order.id])
        mail.enqueue_shipped(session, order, tracking=tracking, items=items)
        return Shipped(shipment, order, changes[0] if changes else None)


# The backorder queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueLine:
    order_number: str
    customer_name: str
    waiting: int
    placed: datetime
    age: str
    promised: date | None = None
    """The date an expected delivery covers it by, as the customer was last told."""


@dataclass(frozen=True)
class QueueOption:
    """One option's waiting lines, oldest first, and its Qty Backordered still waiting."""

    product_id: int
    product_name: str
    layer_name: str
    option_id: int
    option_name: str
    sku: str
    tracked: bool
    lines: tuple[QueueLine, ...]

    @property
    def total(self) -> int:
        return sum(line.waiting for line in self.lines)


def backorder_queue(session: Session, now: datetime | None = None) -> list[QueueOption]:
    """Per option, the lines of placed orders still waiting for it, oldest first; options with
    the oldest waiting line first."""
    now = now or utcnow()
    option_ids = session.exec(
        select(OrderLineOption.option_id)
        .join(OrderLine, col(OrderLine.id) == col(OrderLineOption.order_line_id))
        .join(CustomerOrder, col(CustomerOrder.id) == col(OrderLine.order_id))
        .where(
            col(OrderLineOption.option_id).is_not(None),
            col(CustomerOrder.status) != ORDER_CANCELLED,
            col(OrderLineOption.quantity_backordered) > col(OrderLineOption.quantity_allocated),
        )
        .distinct()
    ).all()
    ids = [option_id for option_id in option_ids if option_id is not None]
    waiting = waiting_lines_of(session, ids, taken_from_stock=False)
    keys = [w.key for found in waiting.values() for w, _line, _number in found]
    order_ids = sorted({w.order_id for found in waiting.values() for w, _l, _n in found})
    options: dict[int, tuple[Option, Layer, Product]] = {}
    names: dict[int, str] = {}
    promised: dict[int, date | None] = {}
    for batch in id_batches(ids):
        for option, layer, product in session.execute(
            sql_select(Option, Layer, Product)
            .join(Layer, col(Layer.id) == col(Option.layer_id))
            .join(Product, col(Product.id) == col(Layer.product_id))
            .where(col(Option.id).in_(batch))
        ).all():
            assert option.id is not None
            options[option.id] = (option, layer, product)
    for batch in id_batches(order_ids):
        names.update(
            dict(
                session.execute(
                    sql_select(col(CustomerOrder.id), col(CustomerOrder.customer_name)).where(
                        col(CustomerOrder.id).in_(batch)
                    )
                ).all()
            )
        )
    for batch in id_batches(keys):
        promised.update(
            dict(
                session.execute(
                    sql_select(col(OrderLineOption.id), col(OrderLineOption.promised_date)).where(
                        col(OrderLineOption.id).in_(batch)
                    )
                ).all()
            )
        )
    queue: list[QueueOption] = []
    for option_id in ids:
        if option_id not in options:
            continue
        option, layer, product = options[option_id]
        found = waiting.get(option_id, [])
        numbers = {w.key: number for w, _line, number in found}
        lines = tuple(
            QueueLine(
                numbers[w.key],
                names.get(w.order_id, ""),
                w.waiting,
                w.placed,
                age_in_words(w.placed, now),
                promised.get(w.key),
            )
            for w in oldest_first([w for w, _line, _number in found])
        )
        if lines:
            assert product.id is not None
            queue.append(
                QueueOption(
                    product.id,
                    product.name,
                    layer.name,
                    option_id,
                    option.name,
                    option.sku,
                    option.track_inventory,
                    lines,
                )
            )
    queue.sort(key=lambda q: (q.lines[0].placed.replace(tzinfo=None), q.option_id))
    return queue


def fulfilment_counts(session: Session) -> dict[Fulfilment, int]:
    """How many orders are in each fulfilment status (the dashboard's counts)."""
    counts = dict.fromkeys(Fulfilment, 0)
    for status, count in session.execute(
        sql_select(col(CustomerOrder.fulfilment), func.count()).group_by(
            col(CustomerOrder.fulfilment)
        )
    ):
        counts[Fulfilment(status)] = int(count)
    return counts


def waiting_count(counts: Mapping[Fulfilment, int]) -> int:
    return sum(counts[status] for status in WAITING)


def option_waiting(session: Session, option_id: int) -> int:
    """The units of placed orders still waiting for this option (its Qty Backordered left)."""
    return sum(
        w.waiting for w, _line, _number in waiting_lines(session, option_id, taken_from_stock=False)
    )
