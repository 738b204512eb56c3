"""Quantities on hand and their history.

Every change of an option's quantity goes through here and is written as an append-only
stock movement in the same transaction, so that the sum of an option's movements is always its
quantity (`configurator stock check` verifies it). Sales use a conditional update: the database,
not an earlier read, decides who gets the last unit.

Restock fills waiting backorders oldest first: whenever a tracked option's quantity rises
(`set_quantity`, the one entry point every merchant change uses, or an order's cancellation),
the new units go to the oldest waiting order lines first (`fulfilment.plan_allocation`), each as
an "allocated" movement tied to its order and line; what is left over becomes salable. A
backordered unit was taken from the quantity at checkout (the quantity went below zero), so
filling it raises the quantity by one like any received unit: the movements still sum to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, insert, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from configurator.core.availability import effective_stock, is_low_stock
from configurator.core.configuration import LayerSpec, OptionSpec
from configurator.core.fulfilment import (
    WAITING,
    Allocation,
    Fulfilment,
    LineProgress,
    WaitingLine,
    order_fulfilment,
    plan_allocation,
)
from configurator.services import mail
from configurator.services.catalog import list_products, spec_by_id
from configurator.store.models import (
    CustomerOrder,
    Option,
    OrderLine,
    OrderLineOption,
    StockMovement,
    utcnow,
)

MAX_QUANTITY_ON_HAND = 1_000_000


class MovementReason(StrEnum):
    ORDER_PLACED = "order placed"
    ORDER_CANCELLED = "order cancelled"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    INITIAL = "initial stock"
    RECEIVED = "received"
    ALLOCATED = "allocated"
    BACK_IN_STOCK = "back in stock"
    REPAIR = "repair"


ORDER_PLACED = "placed"
ORDER_CANCELLED = "cancelled"


@dataclass(frozen=True)
class FulfilmentChange:
    """An order whose fulfilment status moved, for whoever tells the customer."""

    order_id: int
    number: str
    email: str
    before: Fulfilment
    after: Fulfilment


@dataclass(frozen=True)
class Restock:
    """What a rise of an option's stock did: the units allocated to waiting lines (oldest
    first), what became salable, and the orders whose status moved (`ready_to_ship`: those a
    "ready to ship" email is for)."""

    option_id: int
    received: int = 0
    allocations: tuple[Allocation, ...] = ()
    leftover: int = 0
    changes: tuple[FulfilmentChange, ...] = field(default=())

    @property
    def allocated_units(self) -> int:
        return sum(a.units for a in self.allocations)

    @property
    def ready_to_ship(self) -> tuple[FulfilmentChange, ...]:
        return tuple(c for c in self.changes if c.after is Fulfilment.READY_TO_SHIP)


class SoldOut(Exception):
    """A sale would take an option below what may be sold; nothing was written."""

    def __init__(self, option_id: int) -> None:
        super().__init__(f"option {option_id} sold out")
        self.option_id = option_id


class StockChanged(Exception):
    """The quantity changed since the merchant opened the form; nothing was written."""

    def __init__(self, current: int) -> None:
        super().__init__(f"quantity is now {current}")
        self.current = current


def _record(
    session: Session,
    option: Option,
    delta: int,
    quantity_after: int,
    reason: MovementReason,
    *,
    order: CustomerOrder | None = None,
    username: str = "",
    note: str = "",
) -> None:
    session.add(
        StockMovement(
            option_id=option.id,
            option_name=option.name,
            sku=option.sku,
            delta=delta,
            quantity_after=quantity_after,
            reason=reason.value,
            order_id=order.id if order else None,
            order_number=order.number if order else "",
            username=username,
            note=note[:200],
        )
    )


def lock_option(session: Session, option_id: int) -> Option | None:
    """The option as it is now, held until the transaction ends (its row lock on PostgreSQL;
    SQLite's writers already hold the database's write lock)."""
    return session.exec(
        select(Option)
        .where(col(Option.id) == option_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def waiting_lines(
    session: Session, option_id: int, *, taken_from_stock: bool
) -> list[tuple[WaitingLine, int, str]]:
    """The lines of placed orders that still wait for this option, with each one's order line
    id and order number. `taken_from_stock`: only lines whose units checkout took from the
    quantity on hand (tracked then), the ones a rise of the quantity can fill."""
    statement = (
        sql_select(
            col(OrderLineOption.id),
            col(OrderLine.order_id),
            col(CustomerOrder.created_at),
            col(OrderLine.position),
            col(OrderLineOption.quantity_backordered) - col(OrderLineOption.quantity_allocated),
            col(OrderLine.id),
            col(CustomerOrder.number),
        )
        .join(OrderLine, col(OrderLine.id) == col(OrderLineOption.order_line_id))
        .join(CustomerOrder, col(CustomerOrder.id) == col(OrderLine.order_id))
        .where(
            col(OrderLineOption.option_id) == option_id,
            col(CustomerOrder.status) == ORDER_PLACED,
            col(OrderLineOption.quantity_backordered) > col(OrderLineOption.quantity_allocated),
        )
    )
    if taken_from_stock:
        statement = statement.where(col(OrderLineOption.stock_taken) > 0)
    return [
        (WaitingLine(int(key), int(order_id), placed, int(position), int(units)), line, number)
        for key, order_id, placed, position, units, line, number in session.execute(statement)
    ]


def _allocate(
    session: Session,
    option: Option,
    units: int,
    quantity_before: int,
    *,
    raises_quantity: bool,
    reason: MovementReason,
    order: CustomerOrder | None = None,
    username: str = "",
    note: str = "",
) -> tuple[tuple[Allocation, ...], int, set[int]]:
    """Give `units` that just arrived to the option's oldest waiting lines, and write their
    movements: one "allocated" movement per line (tied to its order and line), then the
    leftover under `reason`. The quantity was already raised by `units` when `raises_quantity`
    (a tracked option); an untracked one's movements change nothing (delta 0). Returns the
    allocations, the leftover and the ids of the orders given units."""
    assert option.id is not None
    found = waiting_lines(session, option.id, taken_from_stock=raises_quantity)
    plan = plan_allocation(units, [w for w, _line, _number in found])
    lines = {w.key: (line, number) for w, line, number in found}
    running = quantity_before
    for allocation in plan.allocations:
        claimed = session.execute(
            update(OrderLineOption)
            .where(
                col(OrderLineOption.id) == allocation.key,
                col(OrderLineOption.quantity_backordered) - col(OrderLineOption.quantity_allocated)
                >= allocation.units,
            )
            .values(quantity_allocated=col(OrderLineOption.quantity_allocated) + allocation.units)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise RuntimeError("a waiting line was filled twice")  # the unit of work rolls back
        delta = allocation.units if raises_quantity else 0
        running += delta
        line_id, number = lines[allocation.key]
        session.add(
            StockMovement(
                option_id=option.id,
                option_name=option.name,
                sku=option.sku,
                delta=delta,
                quantity_after=running,
                reason=MovementReason.ALLOCATED.value,
                order_id=allocation.order_id,
                order_number=number,
                order_line_id=line_id,
                username=username,
                note=note,
            )
        )
    if raises_quantity and plan.leftover:
        _record(
            session,
            option,
            plan.leftover,
            running + plan.leftover,
            reason,
            order=order,
            username=username,
            note=note,
        )
    return plan.allocations, plan.leftover, {a.order_id for a in plan.allocations}


def line_progress(line: OrderLine, options: Iterable[OrderLineOption]) -> LineProgress:
    """An order line as `fulfilment.order_fulfilment` reads it."""
    return LineProgress(
        quantity=line.quantity,
        shipped=line.quantity_shipped,
        waiting_by_option=tuple(
            o.quantity_backordered - o.quantity_allocated for o in options if o.quantity_backordered
        ),
    )


def order_lines_with_options(
    session: Session, order_ids: Sequence[int]
) -> tuple[Sequence[OrderLine], Sequence[OrderLineOption]]:
    """These orders' lines (in their order) and the lines' options, read as the transaction
    sees them now (what an earlier statement of it changed included)."""
    lines = session.exec(
        select(OrderLine)
        .where(col(OrderLine.order_id).in_(order_ids))
        .order_by(col(OrderLine.order_id), col(OrderLine.position))
        .execution_options(populate_existing=True)
    ).all()
    options = session.exec(
        select(OrderLineOption)
        .where(col(OrderLineOption.order_line_id).in_([line.id for line in lines]))
        .execution_options(populate_existing=True)
    ).all()
    return lines, options


def refresh_fulfilment(session: Session, order_ids: Iterable[int]) -> list[FulfilmentChange]:
    """Derive these orders' fulfilment status again from their lines and store it; the orders
    whose status moved. The orders are locked first, in id order (after any option), so that
    what is read is what the status is written from."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    orders = session.exec(
        select(CustomerOrder)
        .where(col(CustomerOrder.id).in_(ids))
        .order_by(col(CustomerOrder.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    lines, options = order_lines_with_options(session, ids)
    changes: list[FulfilmentChange] = []
    for order in orders:
        assert order.id is not None
        progress = [
            line_progress(line, (o for o in options if o.order_line_id == line.id))
            for line in lines
            if line.order_id == order.id
        ]
        after = order_fulfilment(progress, cancelled=order.status == ORDER_CANCELLED)
        before = Fulfilment(order.fulfilment)
        if after is not before:
            order.fulfilment = after.value
            session.add(order)
            changes.append(FulfilmentChange(order.id, order.number, order.email, before, after))
            if after is Fulfilment.READY_TO_SHIP and before in WAITING:
                # A restock (or a cancelled order's units) completed it: the customer is told.
                mail.enqueue_ready_to_ship(session, order)
    session.flush()
    return changes


def set_quantity(
    session: Session,
    option: Option,
    new_quantity: int,
    *,
    seen: int | None,
    username: str,
    reason: MovementReason = MovementReason.ADJUSTMENT,
    note: str = "",
) -> Restock:
    """Set an option's quantity on hand, as a merchant does. `seen` is the quantity the form
    showed: if an order changed it since, refuse rather than overwrite that sale.

    The one entry point for every change a merchant makes (the option's form, Receive stock, an
    import, a bulk edit): a rise first fills the option's waiting backorders, oldest first, and
    only the rest becomes salable. Returns what the rise did (`Restock`)."""
    assert option.id is not None
    note = note[:200]  # what the movement keeps (an import's file name may be longer)
    current = option.quantity
    if seen is not None and seen != current:
        raise StockChanged(current)
    if new_quantity == current:
        return Restock(option.id)
    result = session.execute(
        update(Option)
        .where(col(Option.id) == option.id, col(Option.quantity) == current)
        .values(quantity=new_quantity)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        # The caller's unit of work rolls back; the merchant is told today's quantity.
        fresh = session.exec(select(Option.quantity).where(col(Option.id) == option.id)).first()
        raise StockChanged(fresh if fresh is not None else current)
    option.quantity = new_quantity
    received = new_quantity - current
    if received < 0 or not option.track_inventory:
        _record(session, option, received, new_quantity, reason, username=username, note=note)
        # The low-stock alert may come again once the quantity is above its threshold.
        mail.stock_changed(session, [] if option.id is None else [option.id])
        return Restock(option.id)
    # The conditional update holds the option's row: a checkout that sells it now waits for
    # this transaction, and one that committed before is among the waiting lines read here.
    allocations, leftover, order_ids = _allocate(
        session,
        option,
        received,
        current,
        raises_quantity=True,
        reason=reason,
        username=username,
        note=note,
    )
    changes = refresh_fulfilment(session, order_ids)
    # Back in stock (after the waiting orders took their units): those waiting for it are
    # mailed; the low-stock alert may come again.
    mail.stock_changed(session, [] if option.id is None else [option.id])
    return Restock(option.id, received, allocations, leftover, tuple(changes))


def receive_stock(
    session: Session, option_id: int, units: int, *, note: str, username: str
) -> Restock:
    """ "Receive stock": `units` arrived for a tracked option (inside the caller's unit of
    work). They fill waiting backorders oldest first; the rest becomes salable."""
    option = lock_option(session, option_id)
    if option is None:
        raise LookupError("No such option.")
    return set_quantity(
        session,
        option,
        option.quantity + units,
        seen=None,
        username=username,
        reason=MovementReason.RECEIVED,
        note=note,
    )


def release_waiting(session: Session, option: Option, *, username: str) -> Restock:
    """ "Mark back in stock" for an option whose inventory is not tracked: every line waiting
    for it is released (allocated in full), oldest first, each with a movement that changes
    no quantity (inside the caller's unit of work)."""
    assert option.id is not None
    found = waiting_lines(session, option.id, taken_from_stock=False)
    units = sum(w.waiting for w, _line, _number in found)
    allocations, _leftover, order_ids = _allocate(
        session,
        option,
        units,
        option.quantity,
        raises_quantity=False,
        reason=MovementReason.BACK_IN_STOCK,
        username=username,
    )
    changes = refresh_fulfilment(session, order_ids)
    return Restock(option.id, units, allocations, 0, tuple(changes))


def take_for_order(
    session: Session,
    demand: Mapping[int, int],
    floors: Mapping[int, int | None],
    order: CustomerOrder,
) -> dict[int, int]:
    """Take `demand` units per option id for an order, in id order (two checkouts lock rows
    in the same order, so they cannot deadlock). Each update only succeeds while the quantity
    stays at or above the option's floor. Returns each option's quantity before the sale.
    Raises SoldOut for the first option that cannot give its units; the caller rolls back.

    One statement per option (the update returns what the movement records) and one for all
    the movements: a checkout is the busiest writer, and SQLite has one writer at a time."""
    before: dict[int, int] = {}
    taken: list[dict[str, object]] = []
    for option_id in sorted(demand):
        units = demand[option_id]
        statement = update(Option).where(
            col(Option.id) == option_id, col(Option.track_inventory).is_(True)
        )
        floor = floors.get(option_id)
        if floor is not None:
            statement = statement.where(col(Option.quantity) - units >= floor)
        row = session.execute(
            statement.values(quantity=col(Option.quantity) - units)
            .returning(col(Option.quantity), col(Option.name), col(Option.sku))
            # No Option object of this session is loaded during a checkout (the cart is read
            # from the configurator cache), so there is none to bring up to date.
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            raise SoldOut(option_id)
        after = int(row[0])
        before[option_id] = after + units
        taken.append(
            _movement_row(option_id, row[1], row[2], -units, after, MovementReason.ORDER_PLACED)
            | {"order_id": order.id, "order_number": order.number}
        )
    if taken:
        session.execute(insert(StockMovement), taken)
    return before


def name_pending_order(
    session: Session, main: CustomerOrder, pending: CustomerOrder, option_ids: Iterable[int]
) -> None:
    """Checkout took its stock for the main order (one update per option, before the charge
    policy divided the lines); the movements of options whose every unit went to the Pending
    order name that order instead. Same transaction, so no one has seen them yet."""
    ids = list(option_ids)
    if not ids:
        return
    session.execute(
        update(StockMovement)
        .where(
            col(StockMovement.order_id) == main.id,
            col(StockMovement.option_id).in_(ids),
            col(StockMovement.reason) == MovementReason.ORDER_PLACED.value,
        )
        .values(order_id=pending.id, order_number=pending.number)
        .execution_options(synchronize_session=False)
    )


def _movement_row(
    option_id: int, name: str, sku: str, delta: int, after: int, reason: MovementReason
) -> dict[str, object]:
    return {
        "option_id": option_id,
        "option_name": name,
        "sku": sku,
        "delta": delta,
        "quantity_after": after,
        "reason": reason.value,
        "order_id": None,
        "order_number": "",
        "username": "",
        "created_at": utcnow(),
    }


def give_back(
    session: Session,
    returns: Mapping[int, tuple[int, int]],
    order: CustomerOrder,
    username: str,
) -> tuple[int, ...]:
    """Return what a cancelled order took and did not ship, per option id, in id order:
    `(waiting, on_hand)` units. Units that still waited were never there: they only close the
    gap checkout opened. Units on hand (in stock, or allocated by a restock) are real and go,
    like any restock, to the oldest lines still waiting first. Returns the ids of the orders
    given units."""
    given: set[int] = set()
    for option_id in sorted(returns):
        waiting, on_hand = returns[option_id]
        units = waiting + on_hand
        if units <= 0:
            continue
        row = session.execute(
            update(Option)
            .where(col(Option.id) == option_id)
            .values(quantity=col(Option.quantity) + units)
            .returning(col(Option.quantity))
        ).first()
        if row is None:
            continue  # the option was deleted; its history keeps the sale
        option = session.get(Option, option_id)
        assert option is not None
        session.refresh(option)
        after = int(row[0])
        before = after - units
        if waiting:
            _record(
                session,
                option,
                waiting,
                before + waiting,
                MovementReason.ORDER_CANCELLED,
                order=order,
                username=username,
            )
        if on_hand:
            if option.track_inventory:
                _allocations, _leftover, order_ids = _allocate(
                    session,
                    option,
                    on_hand,
                    before + waiting,
                    raises_quantity=True,
                    reason=MovementReason.ORDER_CANCELLED,
                    order=order,
                    username=username,
                )
                given |= order_ids
            else:
                _record(
                    session,
                    option,
                    on_hand,
                    after,
                    MovementReason.ORDER_CANCELLED,
                    order=order,
                    username=username,
                )
    mail.stock_changed(session, sorted(returns))
    return tuple(sorted(given))


def record_repair(session: Session, option: Option, note: str, *, username: str = "") -> None:
    """An audit entry for a repaired stored status or flag: a movement of 0 units."""
    _record(
        session, option, 0, option.quantity, MovementReason.REPAIR, username=username, note=note
    )


def movements(session: Session, option_id: int, limit: int = 200) -> list[StockMovement]:
    """An option's stock movements, newest first."""
    return list(
        session.exec(
            select(StockMovement)
            .where(StockMovement.option_id == option_id)
            .order_by(col(StockMovement.id).desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Mismatch:
    option_id: int
    name: str
    sku: str
    quantity: int
    movements_total: int


def check(session: Session) -> list[Mismatch]:
    """Options whose quantity on hand differs from the sum of their movements."""
    totals = (
        sql_select(
            col(StockMovement.option_id).label("option_id"),
            func.sum(StockMovement.delta).label("total"),
        )
        .group_by(col(StockMovement.option_id))
        .subquery()
    )
    rows = session.execute(
        sql_select(
            col(Option.id), col(Option.name), col(Option.sku), col(Option.quantity), totals.c.total
        )
        .join(totals, totals.c.option_id == col(Option.id), isouter=True)
        .order_by(col(Option.id))
    ).all()
    return [
        Mismatch(int(oid), name, sku, int(quantity), int(total or 0))
        for oid, name, sku, quantity, total in rows
        if int(quantity) != int(total or 0)
    ]


@dataclass(frozen=True)
class LowStock:
    product_id: int
    product_name: str
    layer: LayerSpec
    option: OptionSpec
    notify_below: int


def low_stock(session: Session) -> list[LowStock]:
    """Tracked options at or below Notify for Quantity Below, across all configurators."""
    found: list[LowStock] = []
    for product in list_products(session):
        assert product.id is not None
        spec = spec_by_id(session, product.id)
        if spec is None:
            continue
        for layer in spec.layers:
            for option in layer.options:
                if is_low_stock(spec.settings, option.stock):
                    notify_below = effective_stock(spec.settings, option.stock).notify_below
                    found.append(LowStock(spec.product_id, spec.name, layer, option, notify_below))
    return found
