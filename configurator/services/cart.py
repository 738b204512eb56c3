"""Cart use cases. The cart stores selections; availability, prices and how much of each line
is in stock are worked out again every time the cart is read, so a change in stock or in Global
Settings shows at once."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from configurator.core.availability import (
    AddDecision,
    AddOutcome,
    LineSplit,
    Split,
    backorder_question,
    plan_quantity_change,
    split_summary,
)
from configurator.core.charging import (
    DEFAULT_CHARGE_POLICY,
    ChargeSplit,
    charge_split,
    line_reason,
)
from configurator.core.checkout import CartLineIn, choice_name, plan_cart, stock_demand
from configurator.core.configuration import (
    MAX_QUANTITY,
    Choice,
    Configuration,
    ConfiguratorSpec,
    Selection,
    resolve,
)
from configurator.services.catalog import spec_by_id
from configurator.services.charging import charge_policy
from configurator.store.db import unit_of_work
from configurator.store.models import Cart, CartLine, utcnow


class CartError(ValueError):
    """A cart request we refuse, with a message for the shopper."""


class NotInCart(CartError):
    """The line is not in this shopper's cart (unknown, or another shopper's)."""


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)


def cart_id_for(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CartOption:
    """One chosen option of a cart line, with the units of it backordered on this line."""

    choice: Choice
    split: Split | None

    @property
    def backordered(self) -> int:
        return self.split.backordered if self.split else 0

    @property
    def label(self) -> str:
        """ "(Available Backorder)" when some of it is backordered and the shopper is told, with
        when it ships ("- ships around 14 January", or the option's timeframe)."""
        if self.backordered and self.choice.availability and self.split:
            return self.choice.availability.cart_label_for(self.backordered, ahead=self.split.ahead)
        return ""

    @property
    def promised_date(self) -> date | None:
        """The date an expected delivery covers this line's backordered units by (None: none
        does); the order keeps it."""
        if self.backordered and self.choice.availability and self.split:
            return self.choice.availability.promised_date(self.backordered, ahead=self.split.ahead)
        return None

    @property
    def restock_timeframe(self) -> str | None:
        """The option's delivery timeframe when some of it is backordered (the order keeps
        it; whether the shopper is told is `label`'s business)."""
        if self.backordered and self.choice.availability:
            return self.choice.availability.restock_timeframe
        return None

    @property
    def shown(self) -> bool:
        """Listed for the shopper: its layer is one they see, or they are told it waits for
        stock (what is backordered is always named)."""
        return self.choice.layer.shown_to_shopper or bool(self.label)


@dataclass(frozen=True)
class CartItem:
    line_id: int
    quantity: int
    product_name: str
    product_slug: str | None
    configuration: Configuration | None
    problems: tuple[str, ...]
    backorder_line: bool = False
    split: LineSplit | None = None
    options: tuple[CartOption, ...] = field(default=())
    charge: ChargeSplit | None = None
    """The line divided by the charge policy (see `core.charging`)."""

    @property
    def unit_price(self) -> int:
        return self.configuration.unit_price if self.configuration else 0

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def charged_later(self) -> int:
        """Units left out of the subtotal: they move to the Pending order (Charge on restock)."""
        return self.charge.charged_later if self.charge else 0

    @property
    def charged_now_total(self) -> int:
        """What of this line the subtotal counts."""
        return self.unit_price * (self.quantity - self.charged_later)

    @property
    def charged_later_total(self) -> int:
        return self.unit_price * self.charged_later

    @property
    def charged_later_entirely(self) -> bool:
        """None of the line is charged now: all of it moves to the Pending order."""
        return 0 < self.charged_later == self.quantity

    @property
    def charge_reason(self) -> str:
        """Why some of the line is not charged now, in plain words ("" when all of it is, and
        for a line that cannot be ordered: what is wrong with it is said instead)."""
        if self.charge is None or self.problems:
            return ""
        return line_reason(self.charge, self.quantity)

    def charged_parts(self) -> tuple[CartItem | None, CartItem | None]:
        """The line as the main order records it and as the Pending order does (None: no units
        there), each with its own split and options."""
        if self.charge is None or self.split is None:
            return self, None
        return self._part(self.charge.now), self._part(self.charge.later)

    def _part(self, split: LineSplit | None) -> CartItem | None:
        if split is None:
            return None
        if split == self.split:
            return self
        options = tuple(
            CartOption(o.choice, s) for o, s in zip(self.options, split.options, strict=True)
        )
        quantity = split.in_stock + split.backordered
        return replace(self, quantity=quantity, split=split, options=options, charge=None)

    @property
    def edit_query(self) -> list[tuple[str, str]]:
        return self.configuration.query_pairs() if self.configuration else []

    @property
    def has_backorder(self) -> bool:
        """Some of this line waits for stock (told to the shopper or not)."""
        return any(o.backordered for o in self.options)

    @property
    def backorder_told(self) -> bool:
        """The shopper is told that some of this line waits for stock."""
        return any(o.label for o in self.options)

    @property
    def split_summary(self) -> str:
        """ "3 ship now, 2 once restocked." when the shopper is told of a backorder."""
        if self.split and self.backorder_told:
            return split_summary(self.split)
        return ""


@dataclass(frozen=True)
class CartView:
    items: tuple[CartItem, ...]

    @property
    def subtotal(self) -> int:
        """What is charged now: under Charge on restock, backordered items are left out."""
        return sum(item.charged_now_total for item in self.items if not item.problems)

    @property
    def charged_later(self) -> int:
        """The amount of the items that move to the Pending order (0: none)."""
        return sum(item.charged_later_total for item in self.items if not item.problems)

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def has_problems(self) -> bool:
        return any(item.problems for item in self.items)

    @property
    def has_backorder(self) -> bool:
        """The shopper is told that something in the cart is backordered."""
        return any(item.backorder_told for item in self.items)

    @property
    def can_checkout(self) -> bool:
        return bool(self.items) and not self.has_problems

    def demand(self, *, ordinary_lines_only: bool = False) -> dict[int, int]:
        """Units per option id whose stock is counted (tracked), over the whole cart, or over
        its ordinary lines only (they have first claim on what is in stock; back ordered lines
        wait for stock)."""
        return stock_demand(
            (item.configuration, item.quantity)
            for item in self.items
            if item.configuration is not None and not (ordinary_lines_only and item.backorder_line)
        )


EMPTY_CART = CartView(items=())
NO_LONGER_SOLD = "This product is no longer sold. Please remove it."
NOT_ON_SALE = "This product is not on sale."


def _selection_key(selection: Selection) -> str:
    return json.dumps({str(k): v for k, v in sorted(selection.items())}, separators=(",", ":"))


def _load_selection(text: str) -> Selection:
    try:
        raw = json.loads(text)
        return {int(k): (int(v) if v is not None else None) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def _lines(session: Session, cart_token: str | None) -> list[CartLine]:
    if not cart_token:
        return []
    return list(
        session.exec(
            select(CartLine)
            .where(CartLine.cart_id == cart_id_for(cart_token))
            .order_by(col(CartLine.id))
        )
    )


def item_count(session: Session, cart_token: str | None) -> int:
    """How many items the cart holds (the header's Cart link): one indexed read."""
    if not cart_token:
        return 0
    total = session.exec(
        select(func.coalesce(func.sum(CartLine.quantity), 0)).where(
            CartLine.cart_id == cart_id_for(cart_token)
        )
    ).one()
    return int(total)


def view_cart(
    session: Session,
    cart_token: str | None,
    *,
    specs: dict[int, ConfiguratorSpec | None] | None = None,
    lines: list[CartLine] | None = None,
) -> CartView:
    """Resolve every line against the catalog as it is now; `checkout.plan_cart` divides
    each line into what ships now and what is backordered, and says what is wrong with it.
    `specs` lets checkout pass the catalog with the quantities it actually took; `lines`, the
    cart's lines when the caller already read them in this transaction.
    """
    lines = _lines(session, cart_token) if lines is None else lines
    specs = {} if specs is None else specs
    resolved: list[tuple[CartLine, ConfiguratorSpec | None, Configuration | None]] = []
    for line in lines:
        if line.product_id not in specs:
            specs[line.product_id] = spec_by_id(session, line.product_id)
        spec = specs[line.product_id]
        # A product taken back to draft after it was added is not sold: its line takes no
        # stock from the others and cannot be checked out.
        configuration = (
            resolve(spec, _load_selection(line.selection))
            if spec is not None and spec.published
            else None
        )
        resolved.append((line, spec, configuration))

    policy = charge_policy(session) if lines else DEFAULT_CHARGE_POLICY
    plans = plan_cart(
        [
            CartLineIn(line.id, line.quantity, line.backorder_line, configuration)
            for line, _spec, configuration in resolved
            if line.id is not None and configuration is not None
        ]
    )
    items: list[CartItem] = []
    for line, spec, configuration in resolved:
        assert line.id is not None
        if spec is None or configuration is None:
            items.append(
                CartItem(
                    line_id=line.id,
                    quantity=line.quantity,
                    product_name=spec.name if spec else "A product that is no longer sold",
                    product_slug=None,
                    configuration=None,
                    problems=(NO_LONGER_SOLD,),
                )
            )
            continue
        plan = plans[line.id]
        items.append(
            CartItem(
                line_id=line.id,
                quantity=line.quantity,
                product_name=spec.name,
                product_slug=spec.slug,
                configuration=configuration,
                problems=plan.problems,
                backorder_line=line.backorder_line,
                split=plan.split,
                options=tuple(
                    CartOption(c, s)
                    for c, s in zip(configuration.chosen, plan.split.options, strict=True)
                ),
                charge=charge_split(
                    policy,
                    plan.split,
                    [
                        bool(c.availability and c.availability.tells_customer)
                        for c in configuration.chosen
                    ],
                ),
            )
        )
    return CartView(items=tuple(items))


ADDED = "Added to your cart."


@dataclass(frozen=True)
class AddResult:
    """What adding did: `question` is set when the shopper must first answer seed 001's
    question (nothing was added then); `notice` says what was added."""

    question: str = ""
    notice: str = ""
    in_stock: int = 0
    backordered: int = 0
    repeated: bool = False


def cart_state(session: Session, cart_token: str | None) -> str:
    """A fingerprint of the cart's lines. The backorder question carries it, so an answer sent
    twice (a double click, a retried request) adds once: the second finds the cart changed."""
    lines = _lines(session, cart_token)
    text = ";".join(f"{line.id}:{line.quantity}:{int(line.backorder_line)}" for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _refusal(
    decision: AddDecision, chosen: Sequence[Choice], quantity: int, *, more: bool
) -> CartError:
    """More than can still be sold: say how many can be, and which option limits it."""
    assert decision.limit is not None and decision.limiting is not None
    name = choice_name(chosen[decision.limiting])
    if not more:
        return CartError(
            f"Only {decision.limit} can be ordered (limited by {name}); you asked for {quantity}."
        )
    if decision.limit == 0:
        return CartError(f"{name} is sold out: no more can be ordered right now.")
    return CartError(
        f"Only {decision.limit} more can be ordered (limited by {name}); you asked for {quantity}."
    )


def _question(decision: AddDecision, chosen: Sequence[Choice], quantity: int) -> str:
    """Seed 001's question, naming the option with the least stock."""
    assert decision.bottleneck is not None
    name = choice_name(chosen[decision.bottleneck])
    return backorder_question(name, decision.split.in_stock, quantity)


def add_item(
    session: Session,
    *,
    cart_token: str,
    configuration: Configuration,
    quantity: int,
    backorder_answer: str | None = None,
    answered_state: str | None = None,
) -> AddResult:
    """Add a configured item, asking first when the merchant wants shoppers to choose to back
    order what is not in stock (`backorder_answer` "yes" or "no" is that choice). Refuses what
    cannot be bought, naming how many still can be."""
    with unit_of_work(session, write=True):
        if not configuration.spec.published:
            raise CartError(NOT_ON_SALE)
        if not configuration.can_purchase:
            raise CartError(" ".join(configuration.problems))
        if (
            backorder_answer
            and answered_state
            and answered_state != cart_state(session, cart_token)
        ):
            # This answer was already acted on (or the cart changed since the question).
            return AddResult(notice=ADDED, repeated=True)
        lines = _lines(session, cart_token)
        cart = view_cart(session, cart_token, lines=lines)
        decision = configuration.decide_add(
            quantity, cart.demand(), cart.demand(ordinary_lines_only=True)
        )
        chosen = configuration.chosen
        if decision.outcome is AddOutcome.REFUSE:
            raise _refusal(decision, chosen, quantity, more=True)
        split = decision.split
        if decision.outcome is AddOutcome.ASK and backorder_answer not in {"yes", "no"}:
            return AddResult(
                question=_question(decision, chosen, quantity),
                in_stock=split.in_stock,
                backordered=split.backordered,
            )
        if decision.outcome is AddOutcome.ASK and backorder_answer == "no":
            if split.in_stock == 0:
                return AddResult(notice="Nothing was added: none are in stock right now.")
            _add_line(
                session,
                cart_token,
                configuration,
                split.in_stock,
                backorder_line=False,
                lines=lines,
            )
            return AddResult(
                notice=f"Added the {split.in_stock} in stock.", in_stock=split.in_stock
            )
        if decision.outcome is AddOutcome.ASK:
            if split.in_stock:
                _add_line(
                    session,
                    cart_token,
                    configuration,
                    split.in_stock,
                    backorder_line=False,
                    lines=lines,
                )
            _add_line(
                session,
                cart_token,
                configuration,
                split.backordered,
                backorder_line=True,
                lines=lines,
            )
            added = f"{split.in_stock} in stock and " if split.in_stock else ""
            return AddResult(
                notice=f"Added {added}{split.backordered} back ordered.",
                in_stock=split.in_stock,
                backordered=split.backordered,
            )
        _add_line(session, cart_token, configuration, quantity, backorder_line=False, lines=lines)
        return AddResult(notice=ADDED, in_stock=split.in_stock, backordered=split.backordered)


def _add_line(
    session: Session,
    cart_token: str,
    configuration: Configuration,
    quantity: int,
    *,
    backorder_line: bool,
    lines: list[CartLine],
) -> CartLine:
    """Add to the cart's line of the same build, or start one. `lines` are the cart's lines
    as this transaction read them (the write lock is held: nobody else changed them)."""
    cart_id = cart_id_for(cart_token)
    _keep_cart(session, cart_id)
    key = _selection_key(configuration.selection)
    product_id = configuration.spec.product_id
    line = next(
        (
            found
            for found in lines
            if found.product_id == product_id
            and found.selection == key
            and found.backorder_line == backorder_line
        ),
        None,
    )
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
            product_id=product_id,
            selection=key,
            quantity=quantity,
            backorder_line=backorder_line,
        )
        lines.append(line)
    session.add(line)
    session.flush()
    return line


def _keep_cart(session: Session, cart_id: str) -> None:
    """The cart's row, created or marked as used now, in one statement (an upsert, which
    SQLite and PostgreSQL both have)."""
    dialect = session.get_bind().dialect.name
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    now = utcnow()
    statement = upsert(Cart).values(id=cart_id, created_at=now, updated_at=now)
    session.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_={"updated_at": now})
    )


def _touch(session: Session, cart_id: str) -> None:
    """The shopper used the cart: it is not abandoned (see `housekeeping`)."""
    cart = session.get(Cart, cart_id)
    if cart is not None:
        cart.updated_at = utcnow()
        session.add(cart)


def _owned_line(session: Session, cart_token: str | None, line_id: int) -> CartLine:
    line = session.get(CartLine, line_id)
    if line is None or not cart_token or line.cart_id != cart_id_for(cart_token):
        raise NotInCart("That item is not in your cart.")
    return line


class QuestionNeeded(Exception):
    """Raising a line past what is in stock: the shopper is asked first (nothing written)."""

    def __init__(self, question: str, in_stock: int, backordered: int) -> None:
        super().__init__(question)
        self.question = question
        self.in_stock = in_stock
        self.backordered = backordered


def change_quantity(  # noqa: C901 - split in issue #9 (pure plans)
    session: Session,
    *,
    cart_token: str | None,
    line_id: int,
    quantity: int,
    backorder_answer: str | None = None,
    answered_state: str | None = None,
) -> None:
    """Change a line's quantity. More than can still be sold is refused with the number that
    can be; more than is in stock asks first, like adding does, when the merchant allows
    custom backordering ("yes" moves the rest to a back ordered line, "no" keeps what is in
    stock)."""
    with unit_of_work(session, write=True):
        line = _owned_line(session, cart_token, line_id)
        if (
            backorder_answer
            and answered_state
            and answered_state != cart_state(session, cart_token)
        ):
            return  # this answer was already acted on
        if quantity > line.quantity:
            lines = _lines(session, cart_token)
            cart = view_cart(session, cart_token, lines=lines)
            item = next(i for i in cart.items if i.line_id == line_id)
            if item.configuration is not None and item.configuration.rules.changes:
                # The merchant's rules no longer offer this build: it cannot grow.
                raise CartError(
                    " ".join(item.configuration.problems[: len(item.configuration.rules.changes)])
                    + " Remove it, or build it again on the product page."
                )
            if item.configuration is not None:
                others = cart.demand()
                ordinary = cart.demand(ordinary_lines_only=True)
                for choice in item.configuration.chosen:
                    assert choice.option is not None
                    others[choice.option.id] = others.get(choice.option.id, 0) - line.quantity
                    if not line.backorder_line:
                        ordinary[choice.option.id] = (
                            ordinary.get(choice.option.id, 0) - line.quantity
                        )
                decision = item.configuration.decide_add(quantity, others, ordinary)
                chosen = item.configuration.chosen
                if decision.outcome is AddOutcome.REFUSE:
                    raise _refusal(decision, chosen, quantity, more=False)
                if decision.outcome is AddOutcome.ASK and not line.backorder_line:
                    split = decision.split
                    if backorder_answer not in {"yes", "no"}:
                        raise QuestionNeeded(
                            _question(decision, chosen, quantity), split.in_stock, split.backordered
                        )
                    assert cart_token is not None
                    plan = plan_quantity_change(
                        line.quantity,
                        quantity,
                        split.in_stock,
                        back_order_rest=backorder_answer == "yes",
                    )
                    if plan.to_back_ordered_line:
                        _add_line(
                            session,
                            cart_token,
                            item.configuration,
                            plan.to_back_ordered_line,
                            backorder_line=True,
                            lines=lines,
                        )
                    if not plan.line_quantity:
                        session.delete(line)
                        return
                    quantity = plan.line_quantity
        line.quantity = quantity
        session.add(line)
        _touch(session, line.cart_id)


def remove_line(session: Session, *, cart_token: str | None, line_id: int) -> None:
    with unit_of_work(session, write=True):
        line = _owned_line(session, cart_token, line_id)
        session.delete(line)
        _touch(session, line.cart_id)
