"""Incoming stock: the merchant's expected deliveries per tracked option, and the dates they
promise to the order lines waiting for it (`core.promises`).

Each change of a delivery is one unit of work that also works out again the promised dates
of the option's waiting lines (oldest first) and stores those that moved; a customer whose
backordered items now ship later than promised gets one mail per order, in the same
transaction (the outbox). Dates that move earlier are stored and shown, not mailed. A delivery
is catalog: changing one moves the product's version, so the storefront's cached promises are
drawn again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from configurator.core.promises import consume_received, parse_delivery
from configurator.services import catalog_admin, stock
from configurator.services.catalog import expected_deliveries, shop_today
from configurator.services.catalog_admin import FormError
from configurator.services.stock import Repromised as Repromised
from configurator.services.stock import lock_option
from configurator.store.db import unit_of_work
from configurator.store.models import ExpectedDelivery, Option, utcnow


class DeliveryRefused(ValueError):
    """Expected deliveries do not apply to this option as it stands (nothing changed)."""


def _tracked_option(session: Session, product_id: int, option_id: int) -> Option:
    """The option, held for this transaction; refused when its inventory is not tracked."""
    catalog_admin.get_option(session, product_id, option_id)
    option = lock_option(session, option_id)
    assert option is not None
    if not option.track_inventory:
        raise DeliveryRefused(
            f"{option.name} does not track inventory: expected deliveries are for options "
            "whose quantity on hand is counted. Turn on Track inventory first."
        )
    return option


def _catalog_changed(session: Session, product_id: int) -> None:
    """Deliveries are catalog: move the product's version with them (`store.cache`)."""
    product = catalog_admin.get_product(session, product_id)
    product.updated_at = utcnow()
    session.add(product)


def _delivery(session: Session, option_id: int, delivery_id: int) -> ExpectedDelivery:
    delivery = session.get(ExpectedDelivery, delivery_id)
    if delivery is None or delivery.option_id != option_id:
        raise catalog_admin.NotFound("No such expected delivery for this option.")
    return delivery


def add_delivery(
    session: Session,
    product_id: int,
    option_id: int,
    form: Mapping[str, str],
    *,
    username: str,
    today: date | None = None,
) -> Repromised:
    """Record an expected delivery (a date not in the past, a positive quantity). FormError
    (nothing written) for bad input; DeliveryRefused for an untracked option."""
    checked, errors = parse_delivery(form, today or shop_today())
    if errors or checked is None:
        raise FormError(errors)
    with unit_of_work(session, write=True):
        _tracked_option(session, product_id, option_id)
        session.add(
            ExpectedDelivery(
                option_id=option_id,
                expected_on=checked.expected_on,
                quantity=checked.quantity,
                username=username[:64],
            )
        )
        session.flush()
        _catalog_changed(session, product_id)
        return repromise(session, option_id)


def change_delivery(
    session: Session,
    product_id: int,
    option_id: int,
    delivery_id: int,
    form: Mapping[str, str],
    *,
    today: date | None = None,
) -> Repromised:
    """Change an expected delivery's date or quantity. A date that has passed may stay as it
    is; a new one must not be in the past. Lines now promised a later date are mailed."""
    with unit_of_work(session, write=True):
        _tracked_option(session, product_id, option_id)
        delivery = _delivery(session, option_id, delivery_id)
        checked, errors = parse_delivery(form, today or shop_today(), current=delivery.expected_on)
        if errors or checked is None:
            raise FormError(errors)
        if (checked.expected_on, checked.quantity) == (delivery.expected_on, delivery.quantity):
            return Repromised()
        delivery.expected_on = checked.expected_on
        delivery.quantity = checked.quantity
        session.add(delivery)
        session.flush()
        _catalog_changed(session, product_id)
        return repromise(session, option_id)


def cancel_delivery(
    session: Session, product_id: int, option_id: int, delivery_id: int
) -> Repromised:
    """Cancel an expected delivery: the lines it covered are promised the next one's date
    (or none), and their customers are mailed."""
    with unit_of_work(session, write=True):
        _tracked_option(session, product_id, option_id)
        delivery = _delivery(session, option_id, delivery_id)
        session.delete(delivery)
        session.flush()
        _catalog_changed(session, product_id)
        return repromise(session, option_id)


def count_received(session: Session, product_id: int, option_id: int, units: int) -> Repromised:
    """ "Receive stock" counts against the expected deliveries, earliest first (inside the
    caller's unit of work, after the units were allocated): each is reduced by what arrived,
    and removed once complete. The waiting lines' dates are worked out again."""
    found = expected_deliveries(session, [option_id]).get(option_id, ())
    if not found:
        return Repromised()
    remaining = consume_received(units, found)
    for delivery in found:
        left = remaining.get(delivery.key, delivery.quantity)
        if left == delivery.quantity:
            continue
        row = session.get(ExpectedDelivery, delivery.key)
        if row is None:
            continue
        if left <= 0:
            session.delete(row)
        else:
            row.quantity = left
            session.add(row)
    session.flush()
    _catalog_changed(session, product_id)
    return repromise(session, option_id)


def repromise(session: Session, option_id: int) -> Repromised:
    """Work out again the promised dates of the lines waiting for this option and mail those
    now later (`stock.repromise`, inside the caller's unit of work)."""
    return stock.repromise(session, [option_id])
