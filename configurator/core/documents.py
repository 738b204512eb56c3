"""What an order's documents say: the invoice, the packing slip and the pick list.

Pure: a snapshot of the order in, a `Document` out (a title, facts, one table, totals, notes),
which the HTML print view and the PDF both print as they are. Every document shows Qty Ordered
and Qty Backordered per line (seed 002, Magento's names). The pick list's backorder message is
a template the merchant edits, with placeholders in square brackets (seed 002's
"[cataloginventoryItemQty] in stock, [orderItemQtyBackordered] backordered"): `parse_message`
refuses a placeholder it does not know, by name, and `render_message` fills one in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from configurator.core.availability import backorder_label
from configurator.core.fulfilment import in_words
from configurator.core.money import format_cents

QTY_ORDERED = "Qty Ordered"
QTY_BACKORDERED = "Qty Backordered"

# The pick list's backorder message ------------------------------------------------------

PLACEHOLDERS: Mapping[str, str] = {
    "cataloginventoryItemQty": "units of the option in stock for this line, to pick now",
    "orderItemQtyBackordered": "units of the option backordered on this line",
    "orderItemQtyOrdered": "units ordered",
    "optionName": "the option's name",
    "layerName": "the option's layer",
    "sku": "the option's SKU",
    "productName": "the product's name",
    "orderNumber": "the order number",
    "restockTimeframe": "the delivery timeframe the order promised (empty when none)",
}
"""Each placeholder the backorder message may use, with what it stands for (the settings page
lists them). The first two are seed 002's (Magento's) names."""

DEFAULT_BACKORDER_MESSAGE = (
    "[cataloginventoryItemQty] in stock, [orderItemQtyBackordered] backordered"
)
MESSAGE_MAX_LENGTH = 200
_TOKEN = re.compile(r"\[([^\[\]]*)\]")


class MessageTemplateError(ValueError):
    """The backorder message cannot be used; the text says why, in the merchant's words."""


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A checked backorder message: literal text and placeholder names, in order."""

    text: str
    parts: tuple[tuple[str, bool], ...]
    """(text, is_placeholder) pairs."""


def _known(names: list[str]) -> str:
    return ", ".join(f"[{name}]" for name in names)


def _unknown_placeholders(unknown: list[str]) -> str:
    listed = _known(unknown)
    noun = "placeholder" if len(unknown) == 1 else "placeholders"
    message = f"Unknown {noun} {listed}."
    guesses = [
        f"[{match[0]}]"
        for name in unknown
        if (match := difflib.get_close_matches(name, list(PLACEHOLDERS), n=1, cutoff=0.6))
    ]
    if len(unknown) == 1 and guesses:
        message += f" Did you mean {guesses[0]}?"
    return f"{message} The placeholders are: {_known(list(PLACEHOLDERS))}."


def parse_message(text: str) -> MessageTemplate:
    """Check a backorder message as the merchant typed it (runs of spaces and line breaks
    become one space). Raises `MessageTemplateError` for an empty or too long message, a
    character that cannot be printed, a bracket that opens no placeholder, or a placeholder
    that is not one of `PLACEHOLDERS` (named in the error)."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise MessageTemplateError(
            f"Enter a backorder message, for example: {DEFAULT_BACKORDER_MESSAGE}"
        )
    if len(cleaned) > MESSAGE_MAX_LENGTH:
        raise MessageTemplateError(
            f"The backorder message must be at most {MESSAGE_MAX_LENGTH} characters."
        )
    if not cleaned.isprintable():
        raise MessageTemplateError(
            "The backorder message contains characters that cannot be printed; remove them."
        )
    parts: list[tuple[str, bool]] = []
    unknown: list[str] = []
    position = 0
    for match in _TOKEN.finditer(cleaned):
        parts.append((cleaned[position : match.start()], False))
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
        parts.append((name, True))
        position = match.end()
    parts.append((cleaned[position:], False))
    if unknown:
        raise MessageTemplateError(_unknown_placeholders(unknown))
    if any(("[" in part or "]" in part) for part, is_name in parts if not is_name):
        raise MessageTemplateError(
            "Square brackets are only for placeholders, such as [orderItemQtyBackordered]: "
            "close the one that is open, or remove it."
        )
    return MessageTemplate(cleaned, tuple((p, n) for p, n in parts if p or n))


@dataclass(frozen=True, slots=True)
class PickValues:
    """One backordered option of an order line, as the backorder message reads it."""

    ordered: int
    backordered: int
    option_name: str
    layer_name: str
    sku: str = ""
    product_name: str = ""
    order_number: str = ""
    restock_timeframe: str = ""

    @property
    def in_stock(self) -> int:
        return max(0, self.ordered - self.backordered)

    def placeholder_values(self) -> dict[str, str]:
        return {
            "cataloginventoryItemQty": str(self.in_stock),
            "orderItemQtyBackordered": str(self.backordered),
            "orderItemQtyOrdered": str(self.ordered),
            "optionName": self.option_name,
            "layerName": self.layer_name,
            "sku": self.sku,
            "productName": self.product_name,
            "orderNumber": self.order_number,
            "restockTimeframe": self.restock_timeframe,
        }


SAMPLE_PICK = PickValues(
    ordered=5,
    backordered=2,
    option_name="Carbon Deep",
    layer_name="Wheels",
    sku="WHL-CD",
    product_name="Aero Road Bike",
    order_number="CFG-SAMPLE1",
    restock_timeframe="ships in 2-3 weeks",
)
"""The numbers the settings page previews with while no order has a backorder."""


def render_message(template: MessageTemplate, values: PickValues) -> str:
    """The backorder message for one option: "3 in stock, 2 backordered"."""
    filled = values.placeholder_values()
    return "".join(filled[part] if is_name else part for part, is_name in template.parts)


# The documents ------------------------------------------------------------------------


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    PACKING_SLIP = "packing-slip"
    PICK_LIST = "pick-list"


@dataclass(frozen=True, slots=True)
class OptionFacts:
    """One option of an order line, as recorded at checkout."""

    layer_name: str
    option_name: str
    sku: str
    quantity_backordered: int
    customer_told: bool = True
    restock_timeframe: str | None = None
    shown_to_customer: bool = True
    """On a layer the customer saw (a backdrop is not): the invoice and packing slip leave
    it out, the pick list names every part."""


@dataclass(frozen=True, slots=True)
class LineFacts:
    product_name: str
    quantity: int
    quantity_backordered: int
    unit_price: int
    line_total: int
    options: tuple[OptionFacts, ...]
    picture: bytes | None = None
    """The composed picture of the line's build (PNG), or None (its product is gone)."""


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """An order as its documents need it: the snapshot taken at checkout."""

    number: str
    placed_at: datetime
    customer_name: str
    email: str
    address: tuple[str, ...]
    subtotal: int
    lines: tuple[LineFacts, ...]
    cancelled_at: datetime | None = None
    cancelled: bool = False
    pending: bool = False
    """A Pending order (Charge on restock): nothing was charged at checkout."""


PENDING_INVOICE_NOTE = (
    "Pending order: nothing was charged at checkout. Charge this amount when the items ship "
    "(Charge on restock): no shipping and no discounts are added to a Pending order."
)


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    numeric: bool = False
    width: int = 1
    """Relative width (the PDF divides the page by it)."""


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[str, ...]
    details: tuple[str, ...] = ()
    """Lines printed under one of the row's cells (the options of an item, a backorder
    message)."""
    details_at: int = 0
    """The cell they go under."""
    picture: bytes | None = None
    """The line's build as a PNG, printed before the row's cells (None: an empty space)."""


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocumentKind
    title: str
    facts: tuple[tuple[str, str], ...]
    address_heading: str
    address: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    totals: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.kind.value}-{self.facts[0][1]}.pdf"


def _option_line(option: OptionFacts, *, skus: bool, merchant: bool) -> str:
    """ "Wheels: Carbon Deep (WHL-CD) (Available Backorder) - ships in 2-3 weeks"."""
    text = f"{option.layer_name}: {option.option_name}"
    if skus and option.sku:
        text += f" ({option.sku})"
    if option.quantity_backordered and (merchant or option.customer_told):
        text += f" {backorder_label(option.restock_timeframe)}"
    return text


def _facts(order: OrderFacts) -> tuple[tuple[str, str], ...]:
    facts = [("Order", order.number), ("Placed", in_words(order.placed_at))]
    if order.cancelled:
        when = in_words(order.cancelled_at) if order.cancelled_at else "yes"
        facts.append(("Cancelled", when))
    facts.append(("Customer", f"{order.customer_name} <{order.email}>"))
    return tuple(facts)


def _cancelled_note(order: OrderFacts) -> tuple[str, ...]:
    return ("This order was cancelled: nothing from it ships.",) if order.cancelled else ()


def invoice(order: OrderFacts) -> Document:
    rows = tuple(
        Row(
            (
                line.product_name,
                str(line.quantity),
                str(line.quantity_backordered),
                format_cents(line.unit_price),
                format_cents(line.line_total),
            ),
            tuple(
                _option_line(o, skus=False, merchant=False)
                for o in line.options
                if o.shown_to_customer
            ),
            picture=line.picture,
        )
        for line in order.lines
    )
    waits = any(line.quantity_backordered for line in order.lines)
    return Document(
        DocumentKind.INVOICE,
        f"Invoice for {'Pending order' if order.pending else 'order'} {order.number}",
        _facts(order),
        "Bill to",
        order.address,
        (
            Column("Item", width=5),
            Column(QTY_ORDERED, numeric=True, width=2),
            Column(QTY_BACKORDERED, numeric=True, width=2),
            Column("Unit price", numeric=True, width=2),
            Column("Total", numeric=True, width=2),
        ),
        rows,
        (("Subtotal", format_cents(order.subtotal)),),
        _cancelled_note(order)
        + ((PENDING_INVOICE_NOTE,) if order.pending else ())
        + (
            ("Backordered items are charged at their normal price and ship once restocked.",)
            if waits and not order.pending
            else ()
        ),
    )


def packing_slip(order: OrderFacts) -> Document:
    rows = tuple(
        Row(
            (
                line.product_name,
                str(line.quantity),
                str(line.quantity_backordered),
                str(line.quantity - line.quantity_backordered),
            ),
            tuple(
                _option_line(o, skus=True, merchant=False)
                for o in line.options
                if o.shown_to_customer
            ),
            picture=line.picture,
        )
        for line in order.lines
    )
    waits = any(line.quantity_backordered for line in order.lines)
    return Document(
        DocumentKind.PACKING_SLIP,
        f"Packing slip for order {order.number}",
        _facts(order),
        "Ship to",
        order.address,
        (
            Column("Item", width=6),
            Column(QTY_ORDERED, numeric=True, width=2),
            Column(QTY_BACKORDERED, numeric=True, width=2),
            Column("In this parcel", numeric=True, width=2),
        ),
        rows,
        notes=_cancelled_note(order)
        + (("Backordered items follow in another parcel once restocked.",) if waits else ()),
    )


def pick_list(order: OrderFacts, message: MessageTemplate) -> Document:
    """One row per option to pick; a backordered option gets the merchant's backorder
    message under it."""
    rows: list[Row] = []
    for line in order.lines:
        for index, option in enumerate(line.options):
            details: tuple[str, ...] = ()
            if option.quantity_backordered:
                values = PickValues(
                    ordered=line.quantity,
                    backordered=option.quantity_backordered,
                    option_name=option.option_name,
                    layer_name=option.layer_name,
                    sku=option.sku,
                    product_name=line.product_name,
                    order_number=order.number,
                    restock_timeframe=option.restock_timeframe or "",
                )
                details = (render_message(message, values),)
            rows.append(
                Row(
                    (
                        line.product_name,
                        f"{option.layer_name}: {option.option_name}",
                        option.sku,
                        str(line.quantity),
                        str(option.quantity_backordered),
                    ),
                    details,
                    details_at=1,
                    picture=line.picture if index == 0 else None,
                )
            )
    return Document(
        DocumentKind.PICK_LIST,
        f"Pick list for order {order.number}",
        _facts(order),
        "Ship to",
        order.address,
        (
            Column("Item", width=7),
            Column("Option", width=9),
            Column("SKU", width=5),
            Column(QTY_ORDERED, numeric=True, width=5),
            Column(QTY_BACKORDERED, numeric=True, width=6),
        ),
        tuple(rows),
        notes=_cancelled_note(order),
    )


def document(kind: DocumentKind, order: OrderFacts, message: MessageTemplate) -> Document:
    if kind is DocumentKind.INVOICE:
        return invoice(order)
    if kind is DocumentKind.PACKING_SLIP:
        return packing_slip(order)
    return pick_list(order, message)
