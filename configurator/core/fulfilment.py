"""What an order's reader is told about shipping: what ships now, what ships once restocked, or
that a cancelled order ships nothing.

Pure: plain values in (a snapshot of the order's lines), sentences out; templates only print
them. The customer and the merchant read the same facts in their own words; a backorder the
customer was not told of (a silent backorder) stays silent on the customer's page.

An item ships whole: it ships now only when every one of its options is in stock (the split the
order recorded at checkout), so a line's backordered items wait for the options named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from configurator.core.availability import SHIPS_ONCE_RESTOCKED
from configurator.core.promises import MONTHS

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    """One order line as recorded at checkout.

    `backordered_options` names the options ("Wheels: Carbon Deep") that the reader may be told
    are backordered; `silent` is true when the line has backordered items that the reader is
    not to be told of.
    """

    product_name: str
    quantity: int
    quantity_in_stock: int
    backordered_options: tuple[str, ...] = ()
    silent: bool = False


@dataclass(frozen=True, slots=True)
class RecordedOption:
    """A backordered option of an order line as recorded: its name as the reader is told it
    ("Wheels: Carbon Deep") and whether the shopper was told at checkout."""

    name: str
    customer_told: bool


def snapshot_line(
    product_name: str,
    quantity: int,
    quantity_in_stock: int,
    has_backorder: bool,
    backordered: Sequence[RecordedOption],
    *,
    merchant: bool,
) -> LineSnapshot:
    """One recorded order line as its reader may read it: the merchant is told of every
    backordered option, the customer only of those the shop told at checkout."""
    told = [o.name for o in backordered if merchant or o.customer_told]
    return LineSnapshot(
        product_name=product_name,
        quantity=quantity,
        quantity_in_stock=quantity_in_stock if has_backorder else quantity,
        backordered_options=tuple(told),
        silent=len(told) < len(backordered),
    )


@dataclass(frozen=True, slots=True)
class ShippingSummary:
    """The order's shipping in one sentence, and when part of it waits, the two lists."""

    headline: str
    now_heading: str
    ships_now: tuple[str, ...]
    later_heading: str
    ships_later: tuple[str, ...]

    @property
    def waits(self) -> bool:
        return bool(self.ships_later)


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A cancelled order: its title, when (in words and as a machine-readable time) and that
    nothing ships."""

    title: str
    when: str
    iso: str
    message: str


def _items(name: str, quantity: int) -> str:
    return f"{name} \N{MULTIPLICATION SIGN} {quantity}"


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _headline(now: Sequence[str], later: Sequence[str], *, merchant: bool) -> str:
    """The sentence above the two lists: all of the order ships now, none of it, or part."""
    if merchant:
        if not later:
            return "Everything is in stock: ship the whole order now."
        if not now:
            return "Nothing can ship yet: hold the whole order until it is restocked."
        return "Ship part of this order now and hold the rest until it is restocked."
    if not later:
        return "Everything in this order is in stock and ships now."
    if not now:
        return "Nothing in this order is in stock yet: all of it ships once restocked."
    return "Part of this order ships now; the rest ships once restocked."


def shipping_summary(lines: Sequence[LineSnapshot], *, merchant: bool = False) -> ShippingSummary:
    """Say exactly what ships now and what ships once restocked, by line and option names.

    For the customer (`merchant=False`) a silently backordered line is named in neither list,
    and an order whose only backorders are silent promises nothing about timing.
    """
    now: list[str] = []
    later: list[str] = []
    silent = False
    for line in lines:
        backordered = line.quantity - line.quantity_in_stock
        if not merchant and backordered > 0 and line.silent and not line.backordered_options:
            silent = True
            continue
        if line.quantity_in_stock > 0:
            now.append(_items(line.product_name, line.quantity_in_stock))
        if backordered > 0:
            waiting = _and(line.backordered_options) or "its backordered options"
            later.append(f"{_items(line.product_name, backordered)}, waiting for {waiting}")
    if merchant:
        now_heading, later_heading = "Ship now", "Hold until restocked"
    else:
        now_heading, later_heading = "Ships now", SHIPS_ONCE_RESTOCKED
        if silent and not later:
            return ShippingSummary(
                "We will ship your order as soon as it is ready.", now_heading, (), "", ()
            )
    headline = _headline(now, later, merchant=merchant)
    return ShippingSummary(headline, now_heading, tuple(now), later_heading, tuple(later))


def in_words(moment: datetime) -> str:
    """ "Tuesday 1 December 2026 at 14:32 UTC" (a time stored without a zone is UTC)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{_DAYS[utc.weekday()]} {utc.day} {MONTHS[utc.month - 1]} {utc.year} at {utc:%H:%M} UTC"


def cancellation(
    number: str, cancelled_at: datetime | None, *, merchant: bool = False
) -> Cancellation:
    """What a cancelled order says: it was cancelled, when, and that nothing from it ships."""
    if cancelled_at is None:
        when, iso = "", ""
    else:
        utc = cancelled_at.replace(tzinfo=UTC) if cancelled_at.tzinfo is None else cancelled_at
        when, iso = in_words(utc), utc.astimezone(UTC).isoformat(timespec="minutes")
    if merchant:
        message = "Nothing from this order ships; the stock it took was given back."
    else:
        message = "Nothing from this order will ship."
    return Cancellation(f"Order {number} was cancelled", when, iso, message)


# Fulfilment: where each line and the order stand between checkout and shipment ---------------


class Fulfilment(StrEnum):
    """An order's (or a line's) fulfilment status, as the merchant and the customer see it.

    Magento 2's "shipping on hold until stock arrives", per line: what is in stock (or was
    allocated from a restock) is ready to ship; what still waits for stock holds.
    """

    AWAITING_STOCK = "awaiting"
    PARTLY_READY = "partly_ready"
    READY_TO_SHIP = "ready"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _FULFILMENT_LABELS[self]

    @property
    def waits(self) -> bool:
        """Something of it still waits for stock."""
        return self in (Fulfilment.AWAITING_STOCK, Fulfilment.PARTLY_READY)


_FULFILMENT_LABELS = {
    Fulfilment.AWAITING_STOCK: "Awaiting stock",
    Fulfilment.PARTLY_READY: "Partly ready",
    Fulfilment.READY_TO_SHIP: "Ready to ship",
    Fulfilment.SHIPPED: "Shipped",
    Fulfilment.CANCELLED: "Cancelled",
}
WAITING = (Fulfilment.AWAITING_STOCK, Fulfilment.PARTLY_READY)


@dataclass(frozen=True, slots=True)
class LineProgress:
    """One order line between checkout and shipment.

    `quantity` is Qty Ordered; `waiting_by_option` holds, per backordered option of the line,
    the units still waiting for stock (its Qty Backordered less what restocks allocated since);
    `shipped` the units already shipped. An item ships whole, so the option that waits most
    decides how many of the line's items wait.
    """

    quantity: int
    shipped: int = 0
    waiting_by_option: tuple[int, ...] = ()

    @property
    def waiting(self) -> int:
        """Items that cannot ship yet (never more than what is left to ship)."""
        most = max((max(0, w) for w in self.waiting_by_option), default=0)
        return min(most, self.quantity - self.shipped)

    @property
    def ready(self) -> int:
        """Items that can ship now and have not shipped yet."""
        return max(0, self.quantity - self.shipped - self.waiting)


def order_fulfilment(lines: Sequence[LineProgress], *, cancelled: bool = False) -> Fulfilment:
    """The order's status from its lines: Cancelled; Shipped once every item shipped; Ready to
    ship when nothing waits; Partly ready when some items can ship and others wait; Awaiting
    stock when nothing left to ship can ship yet. A line alone is read the same way."""
    if cancelled:
        return Fulfilment.CANCELLED
    waiting = sum(line.waiting for line in lines)
    ready = sum(line.ready for line in lines)
    if waiting == 0 and ready == 0:
        return Fulfilment.SHIPPED
    if waiting == 0:
        return Fulfilment.READY_TO_SHIP
    return Fulfilment.PARTLY_READY if ready else Fulfilment.AWAITING_STOCK


def line_fulfilment(line: LineProgress, *, cancelled: bool = False) -> Fulfilment:
    return order_fulfilment((line,), cancelled=cancelled)


# Restock: which waiting lines new units go to ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitingLine:
    """An order line's option that waits for stock: `key` names it (the order line option),
    `placed` and `order_id` and `position` say how old it is, `waiting` how many units."""

    key: int
    order_id: int
    placed: datetime
    position: int
    waiting: int


@dataclass(frozen=True, slots=True)
class Allocation:
    key: int
    order_id: int
    units: int


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    """Where received units go: to waiting lines (`allocations`, oldest first), and what is left
    over (`leftover`) becomes salable."""

    allocations: tuple[Allocation, ...]
    leftover: int

    @property
    def allocated(self) -> int:
        return sum(a.units for a in self.allocations)


def oldest_first(waiting: Sequence[WaitingLine]) -> list[WaitingLine]:
    """The backorder queue's order: the order placed first, then its lines in order."""
    return sorted(waiting, key=lambda w: (_utc(w.placed), w.order_id, w.position, w.key))


def plan_allocation(received: int, waiting: Sequence[WaitingLine]) -> AllocationPlan:
    """Restock fills waiting backorders oldest first: each waiting line gets as many of the
    `received` units as it waits for before a younger line gets any; what no line waits for is
    left over. Never more than received, never a line twice, never more than a line waits for."""
    left = max(0, received)
    allocations: list[Allocation] = []
    seen: set[int] = set()
    for line in oldest_first(waiting):
        if left == 0:
            break
        if line.key in seen:
            continue
        seen.add(line.key)
        if line.waiting <= 0:
            continue
        units = min(left, line.waiting)
        allocations.append(Allocation(line.key, line.order_id, units))
        left -= units
    return AllocationPlan(tuple(allocations), left)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def age_in_words(placed: datetime, now: datetime) -> str:
    """How long a line has waited, as the backorder queue says it: "3 days", "5 hours",
    "12 minutes", "just now"."""
    seconds = max(0, int((_utc(now) - _utc(placed)).total_seconds()))
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "just now"
