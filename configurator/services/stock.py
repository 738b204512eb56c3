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
from datetime import date
from enum import StrEnum
from typing import NamedTuple, Protocol

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy import select as sql_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from configurator.core.availability import effective_stock, is_low_stock
from configurator.core.configuration import LayerSpec, OptionSpec
from configurator.core.fulfilment import (
    WAITING,
    Allocation,
    AllocationPlan,
    Fulfilment,
    LineProgress,
    WaitingLine,
    oldest_first,
    order_fulfilment,
    plan_allocation,
)
from configurator.core.promises import (
    WaitingUnits,
    moved,
    moved_later,
    promise_dates,
)
from configurator.services import mail
from configurator.services.catalog import (
    expected_deliveries,
    list_products,
    spec_by_id,
)
from configurator.store.db import id_batches
from configurator.store.models import (
    CustomerOrder,
    ExpectedDelivery,
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
    mailed: tuple[str, ...] = ()
    """Orders mailed a new ship date (Receive stock, counted against the expected deliveries)."""

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
    """The quantity changed since the merchant opened the form (or an import or a bulk edit
    read it); nothing was written. `option_id`: the option whose quantity changed."""

    def __init__(self, current: int, option_id: int | None = None) -> None:
        super().__init__(f"quantity of option {option_id} is now {current}")
        self.current = current
        self.option_id = option_id


def lock_option(session: Session, option_id: int) -> Option | None:
    """The option as it is now, held until the transaction ends (its row lock on PostgreSQL;
    SQLite's writers already hold the database's write lock)."""
    return session.exec(
        select(Option)
        .where(col(Option.id) == option_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


WaitingFound = tuple[WaitingLine, int, str]
"""A waiting line with its order line's id and its order's number."""


def waiting_lines(
    session: Session, option_id: int, *, taken_from_stock: bool
) -> list[WaitingFound]:
    """The lines of placed orders that still wait for this option, with each one's order line
    id and order number. `taken_from_stock`: only lines whose units checkout took from the
    quantity on hand (tracked then), the ones a rise of the quantity can fill."""
    return waiting_lines_of(session, [option_id], taken_from_stock=taken_from_stock).get(
        option_id, []
    )


def waiting_lines_of(
    session: Session, option_ids: Iterable[int], *, taken_from_stock: bool
) -> dict[int, list[WaitingFound]]:
    """`waiting_lines` of many options at once, by option id (one query per few hundred)."""
    ids = sorted(set(option_ids))
    found: dict[int, list[WaitingFound]] = {}
    for batch in id_batches(ids):
        statement = (
            sql_select(
                col(OrderLineOption.option_id),
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
                col(OrderLineOption.option_id).in_(batch),
                col(CustomerOrder.status) == ORDER_PLACED,
                col(OrderLineOption.quantity_backordered) > col(OrderLineOption.quantity_allocated),
            )
        )
        if taken_from_stock:
            statement = statement.where(col(OrderLineOption.stock_taken) > 0)
        for option_id, key, order_id, placed, position, units, line, number in session.execute(
            statement
        ):
            waiting = WaitingLine(int(key), int(order_id), placed, int(position), int(units))
            found.setdefault(int(option_id), []).append((waiting, line, number))
    return found


@dataclass(frozen=True)
class Arrival:
    """Units that just arrived for an option (a restock, a cancelled order's units): they go
    to its waiting lines first. `quantity_before` is its quantity on hand before them."""

    option: Option
    units: int
    quantity_before: int


@dataclass(frozen=True)
class _Filled:
    """Where an arrival's units went (`plan`), and the movements that say so."""

    plan: AllocationPlan
    movements: list[dict[str, object]]

    @property
    def order_ids(self) -> set[int]:
        return {a.order_id for a in self.plan.allocations}


def _allocate(
    session: Session,
    arrivals: Sequence[Arrival],
    *,
    raises_quantity: bool,
    reason: MovementReason,
    order: CustomerOrder | None = None,
    username: str = "",
    note: str = "",
) -> dict[int, _Filled]:
    """Give the units of each arrival to its option's oldest waiting lines
    (`fulfilment.plan_allocation`), claim them, and return per option id the plan and its
    movements (the caller writes them): one "allocated" movement per line, tied to its order
    and line, then the leftover under `reason`. The quantity was already raised by the units
    when `raises_quantity` (a tracked option); an untracked one's movements change nothing
    (delta 0). The waiting lines of every option are read in one query and the claims are
    one statement, however many options arrive."""
    found = waiting_lines_of(
        session,
        [a.option.id for a in arrivals if a.option.id is not None],
        taken_from_stock=raises_quantity,
    )
    filled: dict[int, _Filled] = {}
    claims: list[dict[str, int]] = []
    for arrival in arrivals:
        option = arrival.option
        assert option.id is not None
        waiting = found.get(option.id, [])
        plan = plan_allocation(arrival.units, [w for w, _line, _number in waiting])
        lines = {w.key: (line, number) for w, line, number in waiting}
        running = arrival.quantity_before
        movements: list[dict[str, object]] = []
        for allocation in plan.allocations:
            claims.append({"line_option": allocation.key, "units": allocation.units})
            delta = allocation.units if raises_quantity else 0
            running += delta
            line_id, number = lines[allocation.key]
            movements.append(
                _movement_row(
                    option,
                    delta,
                    running,
                    MovementReason.ALLOCATED,
                    order_id=allocation.order_id,
                    order_number=number,
                    order_line_id=line_id,
                    username=username,
                    note=note,
                )
            )
        if raises_quantity and plan.leftover:
            movements.append(
                _movement_row(
                    option,
                    plan.leftover,
                    running + plan.leftover,
                    reason,
                    order=order,
                    username=username,
                    note=note,
                )
            )
        filled[option.id] = _Filled(plan, movements)
    _claim(session, claims)
    return filled


_CLAIM = (
    update(OrderLineOption)
    .where(
        col(OrderLineOption.id) == bindparam("line_option"),
        col(OrderLineOption.quantity_backordered) - col(OrderLineOption.quantity_allocated)
        >= bindparam("units"),
    )
    .values(quantity_allocated=col(OrderLineOption.quantity_allocated) + bindparam("units"))
)


def _claim(session: Session, claims: Sequence[dict[str, int]]) -> None:
    """Add the planned units to each waiting line, in one statement: each only while the line
    still waits for that many (a concurrent restock may have filled it)."""
    if not claims:
        return
    # On the connection: a plain executemany, not the ORM's bulk update by primary key.
    # `refresh_fulfilment` reads these lines again (populate_existing) right after.
    claimed = session.connection().execute(_CLAIM, list(claims))
    if claimed.rowcount != len(claims):
        raise RuntimeError("a waiting line was filled twice")  # the unit of work rolls back


def _write_movements(session: Session, rows: Sequence[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(StockMovement), list(rows))


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
    session: Session, order_ids: Iterable[int]
) -> tuple[list[OrderLine], list[OrderLineOption]]:
    """These orders' lines (by order id, then position) and the lines' options, read as the
    transaction sees them now (what an earlier statement of it changed included); a few hundred
    ids per statement."""
    lines: list[OrderLine] = []
    for batch in id_batches(sorted(set(order_ids))):
        lines += session.exec(
            select(OrderLine)
            .where(col(OrderLine.order_id).in_(batch))
            .order_by(col(OrderLine.order_id), col(OrderLine.position))
            .execution_options(populate_existing=True)
        ).all()
    options: list[OrderLineOption] = []
    for batch in id_batches([line.id for line in lines if line.id is not None]):
        options += session.exec(
            select(OrderLineOption)
            .where(col(OrderLineOption.order_line_id).in_(batch))
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
    orders: list[CustomerOrder] = []
    for batch in id_batches(ids):  # ids in order: the locks are taken in id order
        orders += session.exec(
            select(CustomerOrder)
            .where(col(CustomerOrder.id).in_(batch))
            .order_by(col(CustomerOrder.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    lines, options = order_lines_with_options(session, ids)
    # Grouped once: thousands of orders (a large import) are not each matched to every line.
    options_of: dict[int, list[OrderLineOption]] = {}
    for o in options:
        options_of.setdefault(o.order_line_id, []).append(o)
    lines_of: dict[int, list[OrderLine]] = {}
    for line in lines:
        lines_of.setdefault(line.order_id, []).append(line)
    changes: list[FulfilmentChange] = []
    for order in orders:
        assert order.id is not None
        progress = [
            line_progress(line, options_of.get(line.id or 0, ()))
            for line in lines_of.get(order.id, ())
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


@dataclass(frozen=True)
class QuantityChange:
    """An option's quantity on hand set as a merchant sets it: `seen` is the quantity the form
    showed (None: the quantity this session read)."""

    option: Option
    quantity: int
    seen: int | None = None


def set_quantity(
    session: Session,
    option: Option,
    new_quantity: int,
    *,
    seen: int | None,
    username: str,
    reason: MovementReason = MovementReason.ADJUSTMENT,
    note: str = "",
    repromise_waiting: bool = True,
) -> Restock:
    """Set an option's quantity on hand, as a merchant does. `seen` is the quantity the form
    showed: if an order changed it since, refuse rather than overwrite that sale.

    The one entry point for every change a merchant makes (the option's form, Receive stock, an
    import, a bulk edit): a rise first fills the option's waiting backorders, oldest first, and
    only the rest becomes salable. Returns what the rise did (`Restock`). `set_quantities` is
    the same for many options at once."""
    (restock,) = set_quantities(
        session,
        [QuantityChange(option, new_quantity, seen)],
        username=username,
        reason=reason,
        note=note,
        repromise_waiting=repromise_waiting,
    )
    return restock


def set_quantities(
    session: Session,
    changes: Sequence[QuantityChange],
    *,
    username: str,
    reason: MovementReason = MovementReason.ADJUSTMENT,
    note: str = "",
    repromise_waiting: bool = True,
) -> list[Restock]:
    """`set_quantity` for many options (an import, a bulk edit), each option at most once, in a
    few statements whatever their number: the quantities in one conditional statement, the
    waiting lines of every raised option in one query, their allocations and all movements in
    one statement each, then the orders' fulfilment and the mails (low stock, back in stock,
    ready to ship) once for all. The lines still waiting for an option that filled some are
    promised their dates again (`repromise_where_expected`), unless `repromise_waiting` is
    False (Receive stock does it after counting the units against the expected deliveries).
    A `Restock` per change, in their order. Raises StockChanged (the caller's unit of work
    rolls back) when an order changed a quantity since it was read."""
    note = note[:200]  # what the movement keeps (an import's file name may be longer)
    for change in changes:
        if change.seen is not None and change.seen != change.option.quantity:
            raise StockChanged(change.option.quantity, change.option.id)
    moving = [c for c in changes if c.quantity != c.option.quantity]
    before = _write_quantities(session, moving)
    movements: list[dict[str, object]] = []
    arrivals: list[Arrival] = []
    for change in moving:
        option = change.option
        assert option.id is not None
        received = change.quantity - before[option.id]
        if received > 0 and option.track_inventory:
            arrivals.append(Arrival(option, received, before[option.id]))
        else:
            movements.append(
                _movement_row(
                    option, received, change.quantity, reason, username=username, note=note
                )
            )
    # The conditional update holds the options' rows: a checkout that sells one now waits for
    # this transaction, and one that committed before is among the waiting lines read here.
    filled = _allocate(
        session, arrivals, raises_quantity=True, reason=reason, username=username, note=note
    )
    for arrival in arrivals:
        assert arrival.option.id is not None
        movements += filled[arrival.option.id].movements
    _write_movements(session, movements)
    changed = refresh_fulfilment(session, {i for f in filled.values() for i in f.order_ids})
    if repromise_waiting:
        repromise_where_expected(session, [i for i, f in filled.items() if f.plan.allocations])
    # Back in stock (after the waiting orders took their units): those waiting for it are
    # mailed; the low-stock alert may come again once the quantity is above its threshold.
    mail.stock_changed(session, before)
    return [
        _restock(change, before, filled.get(change.option.id or 0), changed) for change in changes
    ]


def _restock(
    change: QuantityChange,
    before: Mapping[int, int],
    filled: _Filled | None,
    changed: Sequence[FulfilmentChange],
) -> Restock:
    option_id = change.option.id
    assert option_id is not None
    if filled is None:
        return Restock(option_id)
    order_ids = filled.order_ids
    return Restock(
        option_id,
        change.quantity - before[option_id],
        filled.plan.allocations,
        filled.plan.leftover,
        tuple(c for c in changed if c.order_id in order_ids),
    )


_SET_QUANTITY = (
    update(Option)
    .where(col(Option.id) == bindparam("option"), col(Option.quantity) == bindparam("current"))
    .values(quantity=bindparam("new_quantity"))
)


def _write_quantities(session: Session, changes: Sequence[QuantityChange]) -> dict[int, int]:
    """Write the new quantities, each only while the option still has the quantity it was read
    with, in option id order (the order checkouts lock them in); each option's quantity
    before, by id. Raises StockChanged with today's quantity if an order changed one since."""
    before: dict[int, int] = {}
    for change in changes:
        assert change.option.id is not None
        if change.option.id in before:
            raise ValueError(f"option {change.option.id} is set twice")
        before[change.option.id] = change.option.quantity
    if not changes:
        return before
    params = [
        {"option": c.option.id, "current": c.option.quantity, "new_quantity": c.quantity}
        for c in sorted(changes, key=lambda c: c.option.id or 0)
    ]
    # On the connection: a plain executemany, and no evaluation of it against every option
    # the session holds; each option object is told its new quantity below.
    written = session.connection().execute(_SET_QUANTITY, params)
    if written.rowcount != len(params):
        ids = sorted(before)
        fresh: dict[int, int] = {}
        for batch in id_batches(ids):
            fresh.update(
                (int(option_id), int(quantity))
                for option_id, quantity in session.execute(
                    sql_select(col(Option.id), col(Option.quantity)).where(
                        col(Option.id).in_(batch)
                    )
                )
            )
        # The rows this statement did write have their new quantity now: not those.
        wanted = {int(str(p["option"])): p["new_quantity"] for p in params}
        for option_id, current in before.items():
            if fresh.get(option_id, current) not in (current, wanted[option_id]):
                raise StockChanged(fresh[option_id], option_id)
        # A sale left it at the very quantity asked for, or it was deleted meanwhile.
        moved = next((i for i in ids if fresh.get(i) != before[i]), ids[0])
        raise StockChanged(fresh.get(moved, before[moved]), moved)
    for change in changes:
        # As read from the database now, so the session does not write it again.
        set_committed_value(change.option, "quantity", change.quantity)
    return before


def receive_stock(
    session: Session, option_id: int, units: int, *, note: str, username: str
) -> Restock:
    """ "Receive stock": `units` arrived for a tracked option (inside the caller's unit of
    work). They fill waiting backorders oldest first; the rest becomes salable. The waiting
    lines' dates are left to the caller (`incoming.count_received`)."""
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
        repromise_waiting=False,
    )


def release_waiting(session: Session, option: Option, *, username: str) -> Restock:
    """ "Mark back in stock" for an option whose inventory is not tracked: every line waiting
    for it is released (allocated in full), oldest first, each with a movement that changes
    no quantity (inside the caller's unit of work)."""
    assert option.id is not None
    found = waiting_lines(session, option.id, taken_from_stock=False)
    units = sum(w.waiting for w, _line, _number in found)
    filled = _allocate(
        session,
        [Arrival(option, units, option.quantity)],
        raises_quantity=False,
        reason=MovementReason.BACK_IN_STOCK,
        username=username,
    )[option.id]
    _write_movements(session, filled.movements)
    changes = refresh_fulfilment(session, filled.order_ids)
    if filled.plan.allocations:
        repromise_where_expected(session, [option.id])
    return Restock(option.id, units, filled.plan.allocations, 0, tuple(changes))


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
            _movement_row(
                _Named(option_id, row[1], row[2]),
                -units,
                after,
                MovementReason.ORDER_PLACED,
                order=order,
            )
        )
    _write_movements(session, taken)
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


class _Named(NamedTuple):
    """An option as its movements name it, read without loading it (a checkout)."""

    id: int
    name: str
    sku: str


class _MovedOption(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def sku(self) -> str: ...


def _movement_row(
    option: _MovedOption,
    delta: int,
    after: int,
    reason: MovementReason,
    *,
    order: CustomerOrder | None = None,
    order_id: int | None = None,
    order_number: str = "",
    order_line_id: int | None = None,
    username: str = "",
    note: str = "",
) -> dict[str, object]:
    """A stock movement as the row `_write_movements` inserts (every row has every key, so
    many go in one statement)."""
    return {
        "option_id": option.id,
        "option_name": option.name,
        "sku": option.sku,
        "delta": delta,
        "quantity_after": after,
        "reason": reason.value,
        "order_id": order.id if order else order_id,
        "order_number": order.number if order else order_number,
        "order_line_id": order_line_id,
        "username": username,
        "note": note[:200],
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
    movements: dict[int, list[dict[str, object]]] = {}
    arrivals: list[Arrival] = []
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
        rows = movements[option_id] = []
        if waiting:
            rows.append(
                _movement_row(
                    option,
                    waiting,
                    before + waiting,
                    MovementReason.ORDER_CANCELLED,
                    order=order,
                    username=username,
                )
            )
        if on_hand and option.track_inventory:
            arrivals.append(Arrival(option, on_hand, before + waiting))
        elif on_hand:
            rows.append(
                _movement_row(
                    option,
                    on_hand,
                    after,
                    MovementReason.ORDER_CANCELLED,
                    order=order,
                    username=username,
                )
            )
    filled = _allocate(
        session,
        arrivals,
        raises_quantity=True,
        reason=MovementReason.ORDER_CANCELLED,
        order=order,
        username=username,
    )
    for option_id, found in filled.items():
        movements[option_id] += found.movements
    _write_movements(session, [row for rows in movements.values() for row in rows])
    # The cancelled order's lines left the queues and its units filled older ones: the lines
    # still waiting for these options move up.
    repromise_where_expected(session, returns)
    mail.stock_changed(session, sorted(returns))
    return tuple(sorted({i for found in filled.values() for i in found.order_ids}))


@dataclass(frozen=True)
class Repromised:
    """What working out the waiting lines' promised dates again did: how many lines' dates
    moved, and the orders mailed because theirs moved later."""

    moved: int = 0
    mailed: tuple[str, ...] = ()


def repromise_where_expected(session: Session, option_ids: Iterable[int]) -> Repromised:
    """`repromise` for those of these options (whose waiting lines just changed: units filled
    some, an order left the queue) that have an expected delivery: one query per few hundred
    options finds them, so an import of thousands of options without one costs no more. The
    others' lines are promised no date already (the last delivery's removal said so)."""
    ids = sorted(set(option_ids))
    expected: set[int] = set()
    for batch in id_batches(ids):
        expected.update(
            int(option_id)
            for option_id in session.execute(
                sql_select(col(ExpectedDelivery.option_id))
                .where(col(ExpectedDelivery.option_id).in_(batch))
                .distinct()
            ).scalars()
        )
    return repromise(session, expected)


def repromise(session: Session, option_ids: Iterable[int]) -> Repromised:
    """Work out again the promised dates of the lines waiting for these options (those a
    delivery can fill: their units were taken from the quantity on hand) from their expected
    deliveries, store those that moved, and mail each order whose told lines now ship later,
    once (inside the caller's unit of work). Dates that move earlier are stored, not mailed."""
    ids = sorted(set(option_ids))
    if not ids:
        return Repromised()
    found = waiting_lines_of(session, ids, taken_from_stock=True)
    after: dict[int, date | None] = {}
    for chunk in id_batches(ids):
        deliveries = expected_deliveries(session, list(chunk))
        for option_id in chunk:
            queue = oldest_first([w for w, _line, _number in found.get(option_id, [])])
            after.update(
                promise_dates(
                    [WaitingUnits(w.key, w.waiting) for w in queue],
                    deliveries.get(option_id, ()),
                )
            )
    if not after:
        return Repromised()
    keys = sorted(after)
    rows: dict[int, OrderLineOption] = {}
    for batch in id_batches(keys):
        for row in session.exec(select(OrderLineOption).where(col(OrderLineOption.id).in_(batch))):
            assert row.id is not None
            rows[row.id] = row
    before = {key: row.promised_date for key, row in rows.items()}
    changed = moved(before, after)
    for key, new in changed.items():
        row = rows[key]
        row.promised_date = new
        session.add(row)
    session.flush()
    later = moved_later(before, after)
    mailed = mail.enqueue_new_ship_dates(
        session, [rows[key] for key in later if rows[key].customer_told]
    )
    return Repromised(len(changed), mailed)


def record_repair(session: Session, option: Option, note: str, *, username: str = "") -> None:
    """An audit entry for a repaired stored status or flag: a movement of 0 units."""
    _write_movements(
        session,
        [
            _movement_row(
                option, 0, option.quantity, MovementReason.REPAIR, username=username, note=note
            )
        ],
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
