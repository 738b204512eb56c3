"""Order documents (invoice, packing slip, pick list) and the pick list's backorder message,
a setting the merchant edits (kept in `app_setting`, shared by every worker)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from configurator.core.documents import (
    DEFAULT_BACKORDER_MESSAGE,
    SAMPLE_PICK,
    Document,
    DocumentKind,
    LineFacts,
    MessageTemplate,
    MessageTemplateError,
    OptionFacts,
    OrderFacts,
    PickValues,
    document,
    parse_message,
)
from configurator.core.promises import promise_words
from configurator.services import composer
from configurator.services.catalog import shop_today
from configurator.services.orders import ORDER_CANCELLED, OrderLineView, order_by_number
from configurator.store.db import unit_of_work
from configurator.store.models import AppSetting, CustomerOrder, OrderLine, OrderLineOption

PICTURE_SIZE = 160
"""The width of a line's build in the documents (printed about 30 mm wide)."""

BACKORDER_MESSAGE_KEY = "pick_list.backorder_message"


def backorder_message(session: Session) -> MessageTemplate:
    """The pick list's backorder message as the merchant saved it (seed 002's by default)."""
    row = session.get(AppSetting, BACKORDER_MESSAGE_KEY)
    try:
        return parse_message(row.value if row else DEFAULT_BACKORDER_MESSAGE)
    except MessageTemplateError:
        return parse_message(DEFAULT_BACKORDER_MESSAGE)


def save_backorder_message(session: Session, text: str) -> MessageTemplate:
    """Check and save the backorder message; `MessageTemplateError` and nothing written when
    it cannot be used."""
    template = parse_message(text)
    for attempt in range(2):
        try:
            with unit_of_work(session, write=True):
                row = session.get(AppSetting, BACKORDER_MESSAGE_KEY, with_for_update=True)
                if row is None:
                    session.add(AppSetting(key=BACKORDER_MESSAGE_KEY, value=template.text))
                else:
                    row.value = template.text
                    session.add(row)
            break
        except IntegrityError:
            if attempt:  # another merchant created the row meanwhile: update it instead
                raise
    return template


def preview_values(session: Session) -> tuple[PickValues, str]:
    """The numbers the settings page previews the message with: the first backordered option
    of the latest order that is not cancelled, or sample numbers when no such order has a
    backorder; and where they come from."""
    found = session.exec(
        select(OrderLineOption, OrderLine, CustomerOrder)
        .join(OrderLine, col(OrderLine.id) == col(OrderLineOption.order_line_id))
        .join(CustomerOrder, col(CustomerOrder.id) == col(OrderLine.order_id))
        .where(
            col(OrderLineOption.quantity_backordered) > 0,
            col(CustomerOrder.status) != ORDER_CANCELLED,
        )
        .order_by(
            col(CustomerOrder.created_at).desc(),
            col(CustomerOrder.id).desc(),
            col(OrderLine.position),
            col(OrderLineOption.position),
        )
        .limit(1)
    ).first()
    if found is None:
        return SAMPLE_PICK, "sample numbers (no open order has a backorder)"
    option, line, order = found
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
    return values, f"order {order.number} ({option.layer_name}: {option.option_name})"


def _picture(session: Session, entry: OrderLineView) -> bytes | None:
    """The line's build as a small PNG, drawn from the images its options had at checkout;
    None when they had none."""
    if not entry.images:
        return None
    return composer.compose(session, entry.images, PICTURE_SIZE, "png").data


def order_facts(session: Session, number: str) -> OrderFacts | None:
    view = order_by_number(session, number)
    if view is None:
        return None
    order = view.order
    address = tuple(
        part
        for part in (
            order.customer_name,
            order.address_line1,
            order.address_line2,
            f"{order.postal_code} {order.city}",
            order.country,
        )
        if part
    )
    return OrderFacts(
        number=order.number,
        placed_at=order.created_at,
        customer_name=order.customer_name,
        email=order.email,
        address=address,
        subtotal=order.subtotal_cents,
        cancelled=order.status == ORDER_CANCELLED,
        cancelled_at=order.cancelled_at,
        pending=order.pending,
        lines=tuple(
            LineFacts(
                product_name=entry.line.product_name,
                quantity=entry.line.quantity,
                quantity_backordered=entry.line.quantity_backordered,
                unit_price=entry.line.unit_price_cents,
                line_total=entry.line.line_total_cents,
                options=tuple(
                    OptionFacts(
                        layer_name=o.layer_name,
                        option_name=o.option_name,
                        sku=o.sku,
                        quantity_backordered=o.quantity_backordered,
                        customer_told=o.customer_told,
                        restock_timeframe=promise_words(
                            o.promised_date, o.restock_timeframe, shop_today()
                        )
                        or None,
                        shown_to_customer=o in entry.shown_options,
                    )
                    for o in entry.options
                ),
                picture=_picture(session, entry),
            )
            for entry in view.lines
        ),
    )


def order_document(session: Session, number: str, kind: DocumentKind) -> Document | None:
    """One of an order's documents; None when there is no such order."""
    facts = order_facts(session, number)
    if facts is None:
        return None
    return document(kind, facts, backorder_message(session))
