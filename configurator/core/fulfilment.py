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

from configurator.core.availability import SHIPS_ONCE_RESTOCKED

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


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
    return (
        f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year} at {utc:%H:%M} UTC"
    )


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
