"""Incoming stock and promised dates: which expected delivery each backordered unit ships from.

Pure: plain values in, dates out. The merchant records expected deliveries per tracked option
(a date and a quantity). Waiting backorders are matched oldest first against the deliveries in
date order, unit by unit: the first waiting unit is covered by the first unit of the earliest
delivery, and so on. A waiting unit gets the date of the delivery that covers it; an order line
ships whole, so a line is promised the date of its last unit. Units beyond every recorded
delivery get None: the option's delivery timeframe ("ships in 2-3 weeks") applies to them.

A new shopper's units queue behind every waiting unit (`next_units_date`), which is what the
product page, the cart and checkout promise ("Available on Backorder - ships around 14
January"). A delivery that slips, shrinks or is cancelled can only move promises later
(`moved_later` names the lines to tell).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SHIPS_AROUND = "ships around"
MAX_DAYS_AHEAD = 3 * 366
"""How far ahead a delivery may be expected (a typo such as 2062 is refused)."""
MAX_DELIVERY_UNITS = 1_000_000
MONTHS = (
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
class Delivery:
    """An expected delivery of one option: `quantity` units around `expected_on`. `key` names
    it (its id); deliveries on the same day are used in key order."""

    expected_on: date
    quantity: int
    key: int = 0


@dataclass(frozen=True, slots=True)
class WaitingUnits:
    """An order line's option that waits for stock (`key`: the order line option), with its
    units still waiting; given oldest first (the backorder queue's order)."""

    key: int
    units: int


def in_date_order(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The deliveries that bring something, earliest first (same day: in key order)."""
    return sorted((d for d in deliveries if d.quantity > 0), key=lambda d: (d.expected_on, d.key))


def _unit_dates(deliveries: Sequence[Delivery]) -> Iterator[date | None]:
    """The date of each incoming unit in turn, then None for ever."""
    for delivery in in_date_order(deliveries):
        for _ in range(delivery.quantity):
            yield delivery.expected_on
    while True:
        yield None


def date_of_unit(index: int, deliveries: Sequence[Delivery]) -> date | None:
    """The date of the delivery that brings the incoming unit at `index` (0: the first unit of
    the earliest delivery); None when the deliveries bring fewer units."""
    if index < 0:
        return None
    for delivery in in_date_order(deliveries):
        if index < delivery.quantity:
            return delivery.expected_on
        index -= delivery.quantity
    return None


def unit_promises(
    waiting: Sequence[WaitingUnits], deliveries: Sequence[Delivery]
) -> list[tuple[int, date | None]]:
    """Each waiting unit, oldest first, with the date of the delivery that covers it (None:
    beyond every delivery). A line waiting for 3 units appears 3 times, in a row."""
    dates = _unit_dates(deliveries)
    return [(line.key, next(dates)) for line in waiting for _ in range(max(0, line.units))]


def promise_dates(
    waiting: Sequence[WaitingUnits], deliveries: Sequence[Delivery]
) -> dict[int, date | None]:
    """Per waiting line (by key), the date it is promised: that of the delivery covering its
    last unit, since a line ships whole; None when some of its units are beyond every
    delivery (the option's timeframe applies). Lines are matched oldest first."""
    promised: dict[int, date | None] = {}
    covered = 0
    for line in waiting:
        if line.units <= 0:
            continue
        covered += line.units
        promised[line.key] = date_of_unit(covered - 1, deliveries)
    return promised


def next_units_date(queued: int, units: int, deliveries: Sequence[Delivery]) -> date | None:
    """When a new shopper's `units` would ship: after the `queued` units already waiting, the
    date of the delivery covering the last of them; None when the deliveries do not cover them
    all."""
    if units < 1 or not deliveries:
        return None
    return date_of_unit(max(0, queued) + units - 1, deliveries)


def _later(before: date | None, after: date | None) -> bool:
    """None (no date: beyond every delivery) counts as later than any date."""
    if before is None:
        return False
    return after is None or after > before


def moved(
    before: Mapping[int, date | None], after: Mapping[int, date | None]
) -> dict[int, date | None]:
    """The lines whose promised date changed, with their new one."""
    return {key: new for key, new in after.items() if before.get(key) != new}


def moved_later(
    before: Mapping[int, date | None], after: Mapping[int, date | None]
) -> dict[int, date | None]:
    """The lines promised a later date than before (or none any more): the customers to tell."""
    return {key: new for key, new in after.items() if key in before and _later(before[key], new)}


def day_in_words(day: date, today: date) -> str:
    """ "14 January", with the year only when it is not this year ("14 January 2028")."""
    words = f"{day.day} {MONTHS[day.month - 1]}"
    return words if day.year == today.year else f"{words} {day.year}"


def is_overdue(expected_on: date, today: date | None) -> bool:
    """A delivery whose day has passed: it promises nothing (until its date is changed or its
    stock received). Without a `today`, nothing is overdue."""
    return today is not None and expected_on < today


def ships_around(day: date, today: date) -> str:
    """ "ships around 14 January": said after "Available on Backorder -" and in the cart."""
    return f"{SHIPS_AROUND} {day_in_words(day, today)}"


def promise_words(promised: date | None, timeframe: str | None, today: date) -> str:
    """What a recorded backordered option says about when it ships: "ships around 14
    January" when a delivery covers it, else the timeframe it was promised ("" for none)."""
    if promised is not None:
        return ships_around(promised, today)
    return timeframe or ""


@dataclass(frozen=True, slots=True)
class DeliveryInput:
    """An expected delivery as the merchant typed it, checked."""

    expected_on: date
    quantity: int


def parse_delivery(
    form: Mapping[str, str], today: date, *, current: date | None = None
) -> tuple[DeliveryInput | None, dict[str, str]]:
    """Check an expected delivery's form: `expected_on` a date (YYYY-MM-DD, what a date field
    sends) not in the past and at most about three years ahead, `expected_quantity` a positive
    whole number. `current`: the date a delivery being edited has now, which may stay as it is even
    once past (only a new date must not be in the past)."""
    errors: dict[str, str] = {}
    text = str(form.get("expected_on", "")).strip()
    day: date | None = None
    try:
        day = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        day = None
    if day is None:
        errors["expected_on"] = "Enter the expected date as YYYY-MM-DD, for example 2027-01-14."
    elif day < today and day != current:
        errors["expected_on"] = "The expected date is in the past; enter today or a later date."
    elif day > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["expected_on"] = "The expected date is more than three years ahead."
    units = str(form.get("expected_quantity", "")).strip()
    quantity = 0
    if not units.isascii() or not units.isdigit() or len(units) > 9:
        errors["expected_quantity"] = "Quantity must be a whole number of units, for example 20."
    else:
        quantity = int(units)
        if not 1 <= quantity <= MAX_DELIVERY_UNITS:
            errors["expected_quantity"] = f"Quantity must be between 1 and {MAX_DELIVERY_UNITS:,}."
    if errors or day is None:
        return None, errors
    return DeliveryInput(day, quantity), {}


def consume_received(received: int, deliveries: Sequence[Delivery]) -> dict[int, int]:
    """ "Receive stock" counts against the expected deliveries, earliest first: the units left
    expected per delivery key after `received` units arrived (0: the delivery is complete)."""
    left = max(0, received)
    remaining: dict[int, int] = {}
    for delivery in in_date_order(deliveries):
        taken = min(left, delivery.quantity)
        left -= taken
        remaining[delivery.key] = delivery.quantity - taken
    return remaining
