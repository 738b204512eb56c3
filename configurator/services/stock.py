"""Quantities on hand and their history.

Every change of an option's quantity goes through here and is written as an append-only
stock movement in the same transaction, so that the sum of an option's movements is always its
quantity (`configurator stock check` verifies it). Sales use a conditional update: the database,
not an earlier read, decides who gets the last unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from configurator.core.availability import effective_stock, is_low_stock
from configurator.core.configuration import LayerSpec, OptionSpec
from configurator.services.catalog import list_products, spec_by_id
from configurator.store.models import CustomerOrder, Option, StockMovement

MAX_QUANTITY_ON_HAND = 1_000_000


class MovementReason(StrEnum):
    ORDER_PLACED = "order placed"
    ORDER_CANCELLED = "order cancelled"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    INITIAL = "initial stock"
    REPAIR = "repair"


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


def set_quantity(
    session: Session,
    option: Option,
    new_quantity: int,
    *,
    seen: int | None,
    username: str,
    reason: MovementReason = MovementReason.ADJUSTMENT,
    note: str = "",
) -> None:
    """Set an option's quantity on hand, as a merchant does. `seen` is the quantity the form
    showed: if an order changed it since, refuse rather than overwrite that sale. `note` goes
    on the movement (an import's file name)."""
    current = option.quantity
    if seen is not None and seen != current:
        raise StockChanged(current)
    if new_quantity == current:
        return
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
    _record(
        session,
        option,
        new_quantity - current,
        new_quantity,
        reason,
        username=username,
        note=note,
    )


def take_for_order(
    session: Session,
    demand: Mapping[int, int],
    floors: Mapping[int, int | None],
    order: CustomerOrder,
) -> dict[int, int]:
    """Take `demand` units per option id for an order, in id order (two checkouts lock rows
    in the same order, so they cannot deadlock). Each update only succeeds while the quantity
    stays at or above the option's floor. Returns each option's quantity before the sale.
    Raises SoldOut for the first option that cannot give its units; the caller rolls back."""
    before: dict[int, int] = {}
    for option_id in sorted(demand):
        units = demand[option_id]
        statement = update(Option).where(
            col(Option.id) == option_id, col(Option.track_inventory).is_(True)
        )
        floor = floors.get(option_id)
        if floor is not None:
            statement = statement.where(col(Option.quantity) - units >= floor)
        row = session.execute(
            statement.values(quantity=col(Option.quantity) - units).returning(col(Option.quantity))
        ).first()
        if row is None:
            raise SoldOut(option_id)
        after = int(row[0])
        before[option_id] = after + units
        option = session.get(Option, option_id)
        assert option is not None
        session.refresh(option)
        _record(session, option, -units, after, MovementReason.ORDER_PLACED, order=order)
    return before


def give_back(
    session: Session, taken: Mapping[int, int], order: CustomerOrder, username: str
) -> None:
    """Return the units an order took (it was cancelled), in id order."""
    for option_id in sorted(taken):
        units = taken[option_id]
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
        _record(
            session,
            option,
            units,
            int(row[0]),
            MovementReason.ORDER_CANCELLED,
            order=order,
            username=username,
        )


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
