"""Cart use cases. The cart stores selections; availability and prices are checked again
every time the cart is read, so a change in stock or in Global Settings shows at once."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from configurator.catalog import spec_by_id
from configurator.configuration import (
    MAX_QUANTITY,
    Configuration,
    ConfiguratorSpec,
    Selection,
    resolve,
)
from configurator.models import Cart, CartLine, utcnow


class CartError(ValueError):
    """A cart request we refuse, with a message for the shopper."""


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)


def cart_id_for(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CartItem:
    line_id: int
    quantity: int
    product_name: str
    product_slug: str | None
    configuration: Configuration | None
    problems: tuple[str, ...]

    @property
    def unit_price(self) -> int:
        return self.configuration.unit_price if self.configuration else 0

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def edit_query(self) -> list[tuple[str, str]]:
        return self.configuration.query_pairs() if self.configuration else []


@dataclass(frozen=True)
class CartView:
    items: tuple[CartItem, ...]

    @property
    def subtotal(self) -> int:
        return sum(item.line_total for item in self.items if not item.problems)

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def has_problems(self) -> bool:
        return any(item.problems for item in self.items)

    @property
    def has_backorder(self) -> bool:
        return any(i.configuration and i.configuration.backordered for i in self.items)

    @property
    def can_checkout(self) -> bool:
        return bool(self.items) and not self.has_problems


EMPTY_CART = CartView(items=())


def _selection_key(selection: Selection) -> str:
    return json.dumps({str(k): v for k, v in sorted(selection.items())}, separators=(",", ":"))


def _load_selection(text: str) -> Selection:
    try:
        raw = json.loads(text)
        return {int(k): (int(v) if v is not None else None) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def add_item(
    session: Session, *, cart_token: str, configuration: Configuration, quantity: int
) -> CartLine:
    """Add a configured item, merging with an identical line. Refuses what cannot be bought."""
    if not configuration.can_purchase:
        raise CartError(" ".join(configuration.problems))
    cart_id = cart_id_for(cart_token)
    cart = session.get(Cart, cart_id)
    if cart is None:
        cart = Cart(id=cart_id)
        session.add(cart)
    cart.updated_at = utcnow()
    key = _selection_key(configuration.selection)
    line = session.exec(
        select(CartLine).where(
            CartLine.cart_id == cart_id,
            CartLine.product_id == configuration.spec.product_id,
            CartLine.selection == key,
        )
    ).first()
    if line is not None:
        if line.quantity + quantity > MAX_QUANTITY:
            raise CartError(
                f"You already have {line.quantity} of this in your cart; "
                f"at most {MAX_QUANTITY} fit on one line."
            )
        line.quantity += quantity
    else:
        line = CartLine(
            cart_id=cart_id,
            product_id=configuration.spec.product_id,
            selection=key,
            quantity=quantity,
        )
    session.add(line)
    session.commit()
    return line


def view_cart(session: Session, cart_token: str | None) -> CartView:
    if not cart_token:
        return EMPTY_CART
    lines = session.exec(
        select(CartLine)
        .where(CartLine.cart_id == cart_id_for(cart_token))
        .order_by(col(CartLine.id))
    ).all()
    specs: dict[int, ConfiguratorSpec | None] = {}
    items = []
    for line in lines:
        if line.product_id not in specs:
            specs[line.product_id] = spec_by_id(session, line.product_id)
        spec = specs[line.product_id]
        assert line.id is not None
        if spec is None:
            items.append(
                CartItem(
                    line_id=line.id,
                    quantity=line.quantity,
                    product_name="A product that is no longer sold",
                    product_slug=None,
                    configuration=None,
                    problems=("This product is no longer sold. Please remove it.",),
                )
            )
            continue
        configuration = resolve(spec, _load_selection(line.selection))
        items.append(
            CartItem(
                line_id=line.id,
                quantity=line.quantity,
                product_name=spec.name,
                product_slug=spec.slug,
                configuration=configuration,
                problems=configuration.problems,
            )
        )
    return CartView(items=tuple(items))


def _owned_line(session: Session, cart_token: str | None, line_id: int) -> CartLine:
    line = session.get(CartLine, line_id)
    if line is None or not cart_token or line.cart_id != cart_id_for(cart_token):
        raise CartError("That item is not in your cart.")
    return line


def change_quantity(
    session: Session, *, cart_token: str | None, line_id: int, quantity: int
) -> None:
    line = _owned_line(session, cart_token, line_id)
    line.quantity = quantity
    session.add(line)
    session.commit()


def remove_line(session: Session, *, cart_token: str | None, line_id: int) -> None:
    line = _owned_line(session, cart_token, line_id)
    session.delete(line)
    session.commit()
