"""Stock and backorder rules: the one place that decides what a shopper may buy.

Pure: plain values in, plain answers out. No database, no web. The storefront, the cart,
checkout and the admin all ask this module; none of them re-derives a rule.

Vocabulary, from the seeds:
- each configurator has Global Settings > Stock Management: the stock management switch, the
  backorder choice ("Enable Backorder"; No backorders / Allow backorders / Allow backorders and
  notify customer), the Out-of-Stock Threshold, the "Only X left" threshold and Notify for
  Quantity Below. Backorders only exist, and only have an effect, while stock management is on;
- each image layer (option) has its own Stock Management block: enabled or not, a manual Stock
  Status ("In Stock" / "Out of Stock") while inventory is not tracked, or Track inventory with a
  quantity on hand, and its own backorder choice and thresholds, each either set or inherited
  from the global setting ("Use global setting").

Salable quantity follows Magento 2: quantity - Out-of-Stock Threshold (25 - (-50) = 75). With
backorders allowed, a threshold of 0 means no cap; a negative one caps how many can be
backordered. With backorders off, a positive threshold keeps a reserve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from configurator.core.promises import Delivery, is_overdue, next_units_date, ships_around

BACKORDER_NOTICE = "Available on Backorder"
BACKORDER_CART_LABEL = "(Available Backorder)"
BACKORDERED_LINE_LABEL = "back ordered"
OUT_OF_STOCK_NOTICE = "Out of Stock"
SHIPS_ONCE_RESTOCKED = "Ships once restocked"
TIMEFRAME_MAX_LENGTH = 80
"""How long an option's delivery timeframe may be (Lightspeed's "delivery timeframes")."""
BACKORDER_EXPLANATION = (
    "Backordered options are not in stock right now; we will ship them once they are restocked."
)

T = TypeVar("T")


class StockStatus(StrEnum):
    """The manual Stock Status of an image layer whose inventory is not tracked."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"

    @property
    def label(self) -> str:
        return "In Stock" if self is StockStatus.IN_STOCK else "Out of Stock"


class Backorders(StrEnum):
    """Whether an option can be bought beyond its stock, and whether the shopper is told."""

    NO = "no"
    ALLOW = "allow"
    ALLOW_AND_NOTIFY = "notify"

    @property
    def label(self) -> str:
        return _BACKORDER_LABELS[self]

    @property
    def explanation(self) -> str:
        return _BACKORDER_EXPLANATIONS[self]

    @property
    def allowed(self) -> bool:
        return self is not Backorders.NO

    @property
    def tells_customer(self) -> bool:
        return self is Backorders.ALLOW_AND_NOTIFY


_BACKORDER_LABELS = {
    Backorders.NO: "No backorders",
    Backorders.ALLOW: "Allow backorders",
    Backorders.ALLOW_AND_NOTIFY: "Allow backorders and notify customer",
}
_BACKORDER_EXPLANATIONS = {
    Backorders.NO: "Out of Stock options cannot be ordered.",
    Backorders.ALLOW: "Yes, but do not tell customers: they see no notice; orders still record "
    "what is backordered.",
    Backorders.ALLOW_AND_NOTIFY: 'Yes, and tell customers: "Available on Backorder" on the '
    'option, "(Available Backorder)" in the cart.',
}


@dataclass(frozen=True, slots=True)
class StockSettings:
    """A configurator's Global Settings > Stock Management section."""

    stock_management: bool
    backorders: Backorders = Backorders.NO
    out_of_stock_threshold: int = 0
    only_x_left_threshold: int = 0
    notify_below: int = 1
    allow_custom_backordering: bool = False

    @property
    def backorder_effective(self) -> bool:
        """Backorders have no effect while stock management is off."""
        return self.stock_management and self.backorders.allowed


@dataclass(frozen=True, slots=True)
class OptionStock:
    """An image layer's own Stock Management block. `None` means "Use global setting"."""

    enabled: bool = False
    status: StockStatus = StockStatus.IN_STOCK
    track_inventory: bool = False
    quantity: int = 0
    backorders: Backorders | None = None
    out_of_stock_threshold: int | None = None
    only_x_left_threshold: int | None = None
    notify_below: int | None = None
    restock_timeframe: str | None = None
    """What a backorder of it promises ("ships in 2-3 weeks"); None: nothing is promised."""
    incoming: tuple[Delivery, ...] = ()
    """Its expected deliveries (tracked options only), which promise dates (`core.promises`)."""
    today: date | None = None
    """The day the deliveries were read on: a delivery dated before it promises nothing new,
    and a date of another year is said with its year."""


def with_timeframe(label: str, timeframe: str | None) -> str:
    """A backorder notice or label with the option's delivery timeframe, when the merchant set
    one: "Available on Backorder - ships in 2-3 weeks", "(Available Backorder) - ships in 2-3
    weeks". The one place that words it; the product page, the cart, checkout, the order pages
    and the documents print what it returns."""
    return f"{label} - {timeframe}" if timeframe else label


def backorder_label(timeframe: str | None) -> str:
    """The label after a backordered option in the cart and on the order's pages."""
    return with_timeframe(BACKORDER_CART_LABEL, timeframe)


def applied_threshold(backorders: Backorders, threshold: int) -> int | None:
    """The Out-of-Stock Threshold as it applies: the quantity on hand that sales stop at.

    None when there is no cap (backorders allowed and a threshold of 0). With backorders off
    a negative threshold counts as 0, so nothing is ever sold below zero. The one clamp that
    the salable quantity, checkout's floor and the admin's "Salable quantity" line all use.
    """
    if backorders.allowed:
        return None if threshold == 0 else threshold
    return max(threshold, 0)


@dataclass(frozen=True, slots=True)
class EffectiveStock:
    """An option's settings after inheritance, and which of them came from Global Settings."""

    backorders: Backorders
    out_of_stock_threshold: int
    only_x_left_threshold: int
    notify_below: int
    inherited: frozenset[str]

    @property
    def applied_threshold(self) -> int | None:
        """The Out-of-Stock Threshold as it applies (see `applied_threshold`)."""
        return applied_threshold(self.backorders, self.out_of_stock_threshold)


@dataclass(frozen=True, slots=True)
class InheritableSetting:
    """One of an option's settings that "Use global setting" leaves to Global Settings."""

    name: str
    label: str


INHERITABLE_SETTINGS = (
    InheritableSetting("backorders", "Backorders"),
    InheritableSetting("out_of_stock_threshold", "Out-of-Stock Threshold"),
    InheritableSetting("only_x_left_threshold", '"Only X left" threshold'),
    InheritableSetting("notify_below", "Notify for Quantity Below"),
)
"""The one list of inheritable settings: the option's stock block, its "Reset to global"
buttons, the admin's form and its error messages all read it."""
INHERITABLE = tuple(setting.name for setting in INHERITABLE_SETTINGS)
SETTING_LABELS = {setting.name: setting.label for setting in INHERITABLE_SETTINGS}


@dataclass(frozen=True, slots=True)
class OptionSetting:
    """An inheritable setting as the option's stock block shows it: its own value (None:
    "Use global setting") next to the Global Settings value."""

    name: str
    label: str
    own: Backorders | int | None
    global_value: Backorders | int

    @property
    def inherited(self) -> bool:
        return self.own is None

    @property
    def effective(self) -> Backorders | int:
        return inherit(self.own, self.global_value)


def option_settings(settings: StockSettings, stock: OptionStock) -> tuple[OptionSetting, ...]:
    """Each inheritable setting of an option, its own value and the global one, in form order."""
    return tuple(
        OptionSetting(s.name, s.label, getattr(stock, s.name), getattr(settings, s.name))
        for s in INHERITABLE_SETTINGS
    )


def inherit(own: T | None, global_value: T) -> T:
    """An option's own value when set, otherwise the global one."""
    return global_value if own is None else own


def effective_stock(settings: StockSettings, stock: OptionStock) -> EffectiveStock:
    return EffectiveStock(
        backorders=inherit(stock.backorders, settings.backorders),
        out_of_stock_threshold=inherit(
            stock.out_of_stock_threshold, settings.out_of_stock_threshold
        ),
        only_x_left_threshold=inherit(stock.only_x_left_threshold, settings.only_x_left_threshold),
        notify_below=inherit(stock.notify_below, settings.notify_below),
        inherited=frozenset(name for name in INHERITABLE if getattr(stock, name) is None),
    )


def salable_quantity(quantity: int, backorders: Backorders, threshold: int) -> int | None:
    """How many units can still be sold; None when there is no limit.

    Quantity minus the Out-of-Stock Threshold, never below zero. With backorders allowed a
    threshold of 0 means "no cap"; with backorders off a negative threshold counts as 0, so
    nothing is ever sold below zero.
    """
    floor = applied_threshold(backorders, threshold)
    return None if floor is None else max(0, quantity - floor)


def lowest_quantity_after_sale(stock: OptionStock, settings: StockSettings) -> int | None:
    """The floor a sale may take the quantity on hand down to (None: no floor).

    Checkout enforces it atomically (`quantity - n >= floor`), so the database, not a read
    taken earlier, decides who gets the last unit.
    """
    return effective_stock(settings, stock).applied_threshold


class AvailabilityCode(StrEnum):
    IN_STOCK = "in_stock"
    BACKORDER = "backorder"
    UNAVAILABLE = "unavailable"

    @property
    def status_label(self) -> str:
        """The derived stock status, as the merchant sees it."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    AvailabilityCode.IN_STOCK: "In Stock",
    AvailabilityCode.BACKORDER: "On Backorder",
    AvailabilityCode.UNAVAILABLE: "Out of Stock",
}


@dataclass(frozen=True, slots=True)
class Split:
    """How a quantity divides into units shipped now and units backordered (`ahead`: units of
    the same option backordered by earlier lines of the cart, which queue first)."""

    in_stock: int
    backordered: int
    ahead: int = 0

    @property
    def quantity(self) -> int:
        return self.in_stock + self.backordered


@dataclass(frozen=True, slots=True)
class Availability:
    """What a shopper may do with an option, and what we tell them about it.

    `salable` and `on_hand` are None when stock is not counted (no limit).
    """

    code: AvailabilityCode
    tells_customer: bool = True
    salable: int | None = None
    on_hand: int | None = None
    only_left: int | None = None
    restock_timeframe: str | None = None
    """The option's delivery timeframe, said with a backorder the shopper is told of."""
    incoming: tuple[Delivery, ...] = ()
    """Expected deliveries of a tracked option on backorder (see `promised_date`)."""
    queued: int = 0
    """Backordered units already waiting for it, ahead of a new shopper's."""
    today: date | None = None

    def promised_date(self, units: int = 1, *, ahead: int = 0) -> date | None:
        """The date a new shopper's `units` backordered units would ship around: the expected
        delivery that covers the last of them, after the `queued` units and `ahead` more
        (earlier lines of the same cart). None when no delivery covers them all, or when that
        delivery is overdue (a date that has passed is not promised).

        The caller passes the units its line backorders (its `Split`), whatever the option's
        status: an In Stock option with 3 on hand backorders 2 of a line of 5, and those 2
        wait for a delivery like any other backordered unit."""
        if not self.incoming or not self.is_purchasable:
            return None
        day = next_units_date(self.queued + max(0, ahead), units, self.incoming)
        if day is None or is_overdue(day, self.today):
            return None
        return day

    def timeframe_for(self, units: int = 1, *, ahead: int = 0) -> str | None:
        """What a backorder of `units` promises: "ships around 14 January" when an expected
        delivery covers them, else the option's delivery timeframe (None: nothing)."""
        day = self.promised_date(units, ahead=ahead)
        if day is not None:
            return ships_around(day, self.today or day)
        return self.restock_timeframe

    def told_for(self, units: int = 1, *, ahead: int = 0) -> str | None:
        """`timeframe_for`, when the shopper is told of the backorder (None when silent)."""
        return self.timeframe_for(units, ahead=ahead) if self.tells_customer else None

    @property
    def timeframe_told(self) -> str | None:
        """What the shopper is told a backorder of the next unit ships around or within (None
        when nothing is promised, or when the backorder is silent: it would give it away)."""
        return self.told_for(1)

    @property
    def is_purchasable(self) -> bool:
        return self.code is not AvailabilityCode.UNAVAILABLE

    @property
    def is_backorder(self) -> bool:
        return self.code is AvailabilityCode.BACKORDER

    @property
    def notice(self) -> str:
        """The storefront notice next to the option ("" when there is nothing to say)."""
        if self.code is AvailabilityCode.BACKORDER:
            return (
                with_timeframe(BACKORDER_NOTICE, self.timeframe_told) if self.tells_customer else ""
            )
        if self.code is AvailabilityCode.UNAVAILABLE:
            return OUT_OF_STOCK_NOTICE
        if self.only_left is not None:
            return f"Only {self.only_left} left"
        return ""

    @property
    def shopper_sees(self) -> str:
        """The admin's "Shoppers now see:" for the option."""
        if self.notice:
            return self.notice if self.is_purchasable else f"{self.notice} (cannot be ordered)"
        if self.is_backorder:
            return "nothing (silent backorder)"
        return "In stock"

    @property
    def cart_label(self) -> str:
        """The label after a backordered option in the cart and the order."""
        return self.cart_label_for(1)

    def cart_label_for(self, units: int, *, ahead: int = 0) -> str:
        """The label after an option of which `units` are backordered on a cart line, after
        `ahead` backordered on the cart's earlier lines ("" when the shopper is not told)."""
        return (
            backorder_label(self.timeframe_for(units, ahead=ahead)) if self.tells_customer else ""
        )

    def can_buy(self, quantity: int) -> bool:
        if not self.is_purchasable or quantity < 1:
            return False
        return self.salable is None or quantity <= self.salable

    def split(self, quantity: int, *, already_taken: int = 0) -> Split:
        """Divide `quantity` into in-stock and backordered units, after `already_taken` units
        of the same option went to earlier cart lines."""
        if self.code is AvailabilityCode.BACKORDER and self.on_hand is None:
            return Split(0, quantity)
        if self.on_hand is None:
            return Split(quantity, 0)
        left = max(0, self.on_hand - already_taken)
        in_stock = min(quantity, left)
        return Split(in_stock, quantity - in_stock, max(0, already_taken - self.on_hand))


IN_STOCK = Availability(AvailabilityCode.IN_STOCK)
ON_BACKORDER = Availability(AvailabilityCode.BACKORDER)
UNAVAILABLE = Availability(AvailabilityCode.UNAVAILABLE)


def option_availability(settings: StockSettings, stock: OptionStock) -> Availability:
    """Decide one option's availability and derived status.

    Stock only counts when the configurator's stock management is on *and* the image layer's
    own Stock Management is enabled. Untracked: the manual Stock Status decides, and an Out of
    Stock option is on backorder when backorders are allowed. Tracked: the status is derived
    from the quantity on hand and the salable quantity, never typed.
    """
    if not (settings.stock_management and stock.enabled):
        return IN_STOCK
    effective = effective_stock(settings, stock)
    tells = effective.backorders.tells_customer
    timeframe = stock.restock_timeframe or None
    if not stock.track_inventory:
        if stock.status is StockStatus.IN_STOCK:
            return IN_STOCK
        if effective.backorders.allowed:
            return Availability(
                AvailabilityCode.BACKORDER, tells_customer=tells, restock_timeframe=timeframe
            )
        return UNAVAILABLE
    salable = salable_quantity(
        stock.quantity, effective.backorders, effective.out_of_stock_threshold
    )
    on_hand = max(0, stock.quantity)
    if salable is not None:
        on_hand = min(on_hand, salable)
    if on_hand > 0:
        code = AvailabilityCode.IN_STOCK
    elif salable is None or salable > 0:
        code = AvailabilityCode.BACKORDER
    else:
        code = AvailabilityCode.UNAVAILABLE
    only_left = None
    threshold = effective.only_x_left_threshold
    in_stock = code is AvailabilityCode.IN_STOCK
    if in_stock and salable is not None and threshold > 0 and 0 < salable <= threshold:
        only_left = salable
    allowed = effective.backorders.allowed
    return Availability(
        code,
        tells,
        salable=salable,
        on_hand=on_hand,
        only_left=only_left,
        restock_timeframe=timeframe if allowed else None,
        # Units sold beyond stock took the quantity below zero; they wait, first in line.
        incoming=stock.incoming if allowed else (),
        queued=max(0, -stock.quantity),
        today=stock.today,
    )


def keep_selling_hint(settings: StockSettings, stock: OptionStock) -> str:
    """What the merchant can do when an option cannot be ordered ("" when it can, or when
    backorders are already allowed for it and only their cap stops it).

    An option whose own Backorders setting says "No backorders" does not follow Global
    Settings; telling the merchant to "allow backorders" while they are on globally would
    send them to the wrong place, so the hint names the option's own setting instead.
    """
    if option_availability(settings, stock).is_purchasable:
        return ""
    effective = effective_stock(settings, stock)
    if effective.backorders.allowed:
        return ""
    if "backorders" not in effective.inherited and settings.backorders.allowed:
        return (
            f'This option\'s own Backorders setting is "{effective.backorders.label}", so it '
            f'does not follow Global Settings ("{settings.backorders.label}"). Choose "Use '
            'global setting" to follow them.'
        )
    if "backorders" in effective.inherited:
        return (
            "Allow backorders in Global Settings (Enable Backorder), or for this option, to "
            "keep selling it."
        )
    return "Allow backorders for this option (its Backorders setting) to keep selling it."


def is_low_stock(settings: StockSettings, stock: OptionStock) -> bool:
    """Notify for Quantity Below: tracked options at or below it go on the low-stock list."""
    if not (settings.stock_management and stock.enabled and stock.track_inventory):
        return False
    return stock.quantity <= effective_stock(settings, stock).notify_below


def combined_availability(parts: Iterable[Availability]) -> Availability:
    """A configuration is as available as its least available option."""
    result = IN_STOCK
    for part in parts:
        if part.code is AvailabilityCode.UNAVAILABLE:
            return UNAVAILABLE
        if part.code is AvailabilityCode.BACKORDER and part.tells_customer:
            result = ON_BACKORDER
        elif part.code is AvailabilityCode.BACKORDER and result is IN_STOCK:
            result = Availability(AvailabilityCode.BACKORDER, tells_customer=False)
    return result


@dataclass(frozen=True, slots=True)
class LineSplit:
    """A configured item's quantity divided: whole items that ship now, and the rest."""

    in_stock: int
    backordered: int
    options: tuple[Split, ...]


def split_line(
    parts: Sequence[Availability], quantity: int, taken: Sequence[int] | None = None
) -> LineSplit:
    """Divide `quantity` of a configuration whose options have these availabilities.

    Each option ships what is on hand after `taken` units went to earlier cart lines; an item
    ships now only when every one of its options does, so the option with the least stock
    (the bottleneck) decides how many whole items are in stock.
    """
    taken = taken or [0] * len(parts)
    options = tuple(a.split(quantity, already_taken=t) for a, t in zip(parts, taken, strict=True))
    in_stock = min((s.in_stock for s in options), default=quantity)
    return LineSplit(in_stock, quantity - in_stock, options)


class AddOutcome(StrEnum):
    ADD = "add"
    ASK = "ask"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class AddDecision:
    """What happens when a shopper adds `quantity` of a configuration to the cart.

    `limit` is how many can still be added (None: no limit), `limiting` the index of the option
    that sets it, and `bottleneck` the index of the option with the least stock on hand.
    `told`: some of the quantity would be backordered on an option whose backorder the
    shopper is told of.
    """

    outcome: AddOutcome
    quantity: int
    split: LineSplit
    limit: int | None
    limiting: int | None
    bottleneck: int | None
    told: bool = False

    @property
    def refused(self) -> bool:
        return self.outcome is AddOutcome.REFUSE

    @property
    def partly_backordered(self) -> bool:
        """Part of the quantity ships now and part, which the shopper is told of, later."""
        return self.told and bool(self.split.in_stock) and bool(self.split.backordered)


def decide_add(
    settings: StockSettings,
    parts: Sequence[Availability],
    quantity: int,
    taken: Sequence[int] | None = None,
    in_stock_taken: Sequence[int] | None = None,
) -> AddDecision:
    """Add, ask, or refuse.

    Refuse when more is asked than can still be sold (counting what the cart already holds,
    `taken`), with `limit` the number that can still be added. Ask (seed 001's "custom
    backordering") when the merchant turned it on and part of the quantity would be
    backordered with the shopper told; otherwise add, with the split shown in the cart.

    What is in stock is counted after `in_stock_taken` (default `taken`): the units the cart's
    ordinary lines hold. Back ordered lines wait for stock, so they leave the stock on hand to
    the ordinary lines and count only against the salable limit.
    """
    taken = taken or [0] * len(parts)
    in_stock_taken = taken if in_stock_taken is None else in_stock_taken
    limits: list[tuple[int, int]] = []
    for index, (availability, already) in enumerate(zip(parts, taken, strict=True)):
        if not availability.is_purchasable:
            limits.append((0, index))
        elif availability.salable is not None:
            limits.append((max(0, availability.salable - already), index))
    limit, limiting = min(limits) if limits else (None, None)
    split = split_line(parts, quantity, in_stock_taken)
    bottleneck = None
    if split.options and split.in_stock < quantity:
        bottleneck = min(range(len(split.options)), key=lambda i: split.options[i].in_stock)
    told = any(
        s.backordered and a.tells_customer for a, s in zip(parts, split.options, strict=True)
    )
    if limit is not None and quantity > limit:
        outcome = AddOutcome.REFUSE
    elif split.backordered and settings.allow_custom_backordering and told:
        outcome = AddOutcome.ASK
    else:
        outcome = AddOutcome.ADD
    return AddDecision(outcome, quantity, split, limit, limiting, bottleneck, told)


@dataclass(frozen=True, slots=True)
class QuantityChange:
    """A cart line's new quantity (0 removes it), and the units moved to its back ordered
    line (the line of the same configuration that waits for stock)."""

    line_quantity: int
    to_back_ordered_line: int


def plan_quantity_change(
    current: int, requested: int, in_stock: int, *, back_order_rest: bool | None
) -> QuantityChange:
    """How raising an ordinary cart line from `current` to `requested` divides when only
    `in_stock` of it can ship now, after the shopper answered seed 001's question.

    Yes (`back_order_rest`): the ordinary line keeps what is in stock and the rest joins the
    back ordered line, so the cart keeps seed 001's two lines. No: the line takes what is in
    stock, and never drops below what the shopper already had. None (nothing was asked): the
    line simply becomes `requested`.
    """
    in_stock = max(0, min(in_stock, requested))
    if back_order_rest is None or in_stock >= requested:
        return QuantityChange(requested, 0)
    if back_order_rest:
        return QuantityChange(in_stock, requested - in_stock)
    return QuantityChange(max(current, in_stock), 0)


def backorder_question(name: str, in_stock: int, quantity: int) -> str:
    """Seed 001's question, asked before anything is added."""
    rest = quantity - in_stock
    if in_stock == 0:
        return (
            f"There are no {name} in stock, and you have added {quantity}, "
            f"do you want to back order all {quantity}?"
        )
    return (
        f"There are only {in_stock} of {name} in stock, and you have added {quantity}, "
        f"do you want to back order the other {rest}?"
    )


def split_summary(split: Split | LineSplit) -> str:
    """What ships now and what ships once restocked, as the product page, the cart and the
    order say it: "3 ship now, 2 once restocked.", "All 5 backordered: they ship once
    restocked.", "Backordered: ships once restocked." ("" when everything ships now)."""
    now, later = split.in_stock, split.backordered
    if not later:
        return ""
    if not now:
        if later == 1:
            return "Backordered: ships once restocked."
        return f"All {later} backordered: they ship once restocked."
    return f"{now} {'ships' if now == 1 else 'ship'} now, {later} once restocked."


def stock_heading(in_stock: int, quantity: int) -> str:
    """The heading over seed 001's question: how much of `quantity` is in stock."""
    if not in_stock:
        return "None in stock right now"
    return f"Only {in_stock} of {quantity} in stock"
