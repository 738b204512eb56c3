"""Emails: the outbox, the mails each event writes into it, and the sender that delivers them.

A mail is written into the outbox (`OutboxMail`) in the same transaction as the event that
causes it (an order placed or cancelled, a sale that leaves an option low, a restock), so it
exists exactly when the event does, and sending never blocks or fails that event. A sender
(a thread in every worker while `SMTP_URL` is set, or `configurator mail send-pending`) claims
the mails that are due, sends them with aiosmtplib and records the outcome: sent, or tried
again after a growing delay (`core.mails.retry_delay`), and failed after `MAX_ATTEMPTS`.
Without `SMTP_URL` the mails stay waiting, and the admin's Emails page shows each one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from configurator.core import mails
from configurator.core.availability import AvailabilityCode, is_low_stock, option_availability
from configurator.core.availability import effective_stock as effective_settings
from configurator.core.composition import recorded_picture_url
from configurator.core.configuration import ConfiguratorSpec
from configurator.core.fulfilment import RecordedOption, snapshot_line
from configurator.core.mails import Mail, OrderFacts
from configurator.core.money import format_cents
from configurator.core.promises import promise_words
from configurator.services import composer
from configurator.services.catalog import option_stock, shop_today, stock_settings
from configurator.settings import Settings
from configurator.store.db import id_batches, new_session, unit_of_work
from configurator.store.models import (
    BackInStockRequest,
    CustomerOrder,
    Layer,
    Option,
    OrderLine,
    OrderLineOption,
    OutboxMail,
    Product,
    utcnow,
)

WAITING, SENT, FAILED = "waiting", "sent", "failed"
LEASE = timedelta(minutes=5)
"""A claimed mail is not claimed again for this long (a sender that died mid-send)."""
BATCH = 50

log = logging.getLogger(__name__)


def _settings() -> Settings:
    """The shop's address for links and the merchant's address, read where the mail is written
    (the values `configurator serve` was started with: the same environment)."""
    return Settings.from_env()


def enqueue(session: Session, mail: Mail, *, order_number: str = "") -> OutboxMail:
    """Put a mail into the outbox, in the caller's transaction."""
    row = OutboxMail(
        kind=mail.kind.value,
        to_address=mail.to,
        subject=mail.subject[:300],
        body=mail.body,
        order_number=order_number,
    )
    session.add(row)
    return row


# Orders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderRows:
    order: CustomerOrder
    lines: Sequence[OrderLine]
    options: Sequence[OrderLineOption]

    def facts(self, public_url: str, *, merchant: bool) -> OrderFacts:
        """The order as the customer (or the merchant) may be told it (`snapshot_line`)."""
        snapshots = tuple(
            snapshot_line(
                line.product_name,
                line.quantity,
                line.quantity_in_stock,
                line.has_backorder,
                [
                    RecordedOption(
                        mails.backordered_option(
                            o.layer_name,
                            o.option_name,
                            promise_words(o.promised_date, o.restock_timeframe, shop_today()),
                        ),
                        o.customer_told,
                    )
                    for o in self.options
                    if o.order_line_id == line.id and o.backordered
                ],
                merchant=merchant,
            )
            for line in self.lines
        )
        order = self.order
        return OrderFacts(
            number=order.number,
            customer_name=order.customer_name,
            email=order.email,
            url=f"{public_url}/orders/{order.token}",
            lines=snapshots,
            subtotal=format_cents(order.subtotal_cents),
            is_pending=order.pending,
        )


def enqueue_new_ship_dates(session: Session, rows: list[OrderLineOption]) -> tuple[str, ...]:
    """One "new ship date" mail per order whose lines are in `rows` (their promised dates moved
    later), in the caller's transaction; the numbers of the orders mailed."""
    if not rows:
        return ()
    line_orders = dict(
        session.exec(
            select(OrderLine.id, OrderLine.order_id).where(
                col(OrderLine.id).in_({row.order_line_id for row in rows})
            )
        ).all()
    )
    by_order: dict[int, list[OrderLineOption]] = {}
    for row in rows:
        by_order.setdefault(line_orders[row.order_line_id], []).append(row)
    orders = session.exec(
        select(CustomerOrder)
        .where(col(CustomerOrder.id).in_(list(by_order)))
        .order_by(col(CustomerOrder.id))
    ).all()
    public_url = _settings().public_url
    today = shop_today()
    mailed: list[str] = []
    for order in orders:
        assert order.id is not None
        moved_options = [
            mails.NewShipDate(
                f"{row.layer_name}: {row.option_name}",
                promise_words(row.promised_date, row.restock_timeframe, today),
            )
            for row in sorted(by_order[order.id], key=lambda r: (r.order_line_id, r.position))
        ]
        message = mails.new_ship_date(
            order.number,
            order.customer_name,
            order.email,
            f"{public_url}/orders/{order.token}",
            moved_options,
        )
        enqueue(session, message, order_number=order.number)
        mailed.append(order.number)
    return tuple(mailed)


def _order_rows(session: Session, order: CustomerOrder) -> _OrderRows:
    """The order's lines and options as recorded at checkout (each backordered option with
    the date and the timeframe it was promised then, as the pages and documents say them)."""
    lines = session.exec(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.position))
    ).all()
    options = session.exec(
        select(OrderLineOption)
        .where(col(OrderLineOption.order_line_id).in_([line.id for line in lines]))
        .order_by(col(OrderLineOption.position))
    ).all()
    return _OrderRows(order, lines, options)


def _pictures(session: Session, rows: _OrderRows, public_url: str) -> tuple[tuple[str, str], ...]:
    """Each line's name and the absolute address of its build's picture (PNG, which every mail
    reader's browser shows), drawn from the images its options had at checkout; none for a line
    whose options had no image."""
    recorded = composer.recorded_images(session, rows.options)
    key = composer.picture_key(session) if recorded else b""
    return tuple(
        (line.product_name, public_url + recorded_picture_url(images, key=key, fmt="png"))
        for line in rows.lines
        if (images := recorded.get(line.id or 0))
    )


def _order_facts(session: Session, order: CustomerOrder) -> OrderFacts:
    return _order_rows(session, order).facts(_settings().public_url, merchant=False)


def enqueue_order_placed(
    session: Session, order: CustomerOrder, *, pending: CustomerOrder | None = None
) -> None:
    """The customer's confirmation and the merchant's "new order", with the order; both name
    the Pending order placed with it, if any (one mail each for the pair)."""
    settings = _settings()
    rows = _order_rows(session, order)
    pending_rows = _order_rows(session, pending) if pending is not None else None
    url = settings.public_url
    customer = replace(
        rows.facts(url, merchant=False),
        pictures=_pictures(session, rows, url),
        pending=pending_rows.facts(url, merchant=False) if pending_rows else None,
    )
    enqueue(session, mails.order_confirmation(customer), order_number=order.number)
    merchant = replace(
        rows.facts(url, merchant=True),
        pending=pending_rows.facts(url, merchant=True) if pending_rows else None,
    )
    admin_url = f"{settings.public_url}/admin/orders/{order.number}"
    pending_admin_url = (
        f"{settings.public_url}/admin/orders/{pending.number}" if pending is not None else ""
    )
    enqueue(
        session,
        mails.new_order(merchant, settings.merchant_address, admin_url, pending_admin_url),
        order_number=order.number,
    )


def enqueue_order_cancelled(session: Session, order: CustomerOrder) -> None:
    facts = _order_facts(session, order)
    enqueue(session, mails.order_cancelled(facts), order_number=order.number)


def enqueue_ready_to_ship(session: Session, order: CustomerOrder) -> None:
    """For the fulfilment actions: a restock completed the order (call it in that transaction)."""
    facts = _order_facts(session, order)
    enqueue(session, mails.ready_to_ship(facts), order_number=order.number)


def enqueue_shipped(
    session: Session, order: CustomerOrder, *, tracking: str = "", items: Sequence[str] = ()
) -> None:
    """For the fulfilment actions: the order (or the `items` named) shipped."""
    facts = _order_facts(session, order)
    enqueue(session, mails.shipped(facts, tracking, items), order_number=order.number)


# Stock: the low-stock alert and back in stock ---------------------------------------------------


@dataclass(frozen=True)
class _OptionState:
    option: Option
    layer: Layer
    product: Product

    @property
    def low(self) -> bool:
        return is_low_stock(stock_settings(self.product), option_stock(self.option))

    @property
    def in_stock(self) -> bool:
        availability = option_availability(stock_settings(self.product), option_stock(self.option))
        return availability.code is AvailabilityCode.IN_STOCK


def _state(session: Session, option_id: int) -> _OptionState | None:
    option = session.get(Option, option_id)
    layer = session.get(Layer, option.layer_id) if option else None
    product = session.get(Product, layer.product_id) if layer else None
    if option is None or layer is None or product is None:
        return None
    return _OptionState(option, layer, product)


@dataclass(frozen=True)
class Sold:
    """An option a sale took stock of: its configurator as the checkout read it, and its
    quantity on hand after the sale."""

    spec: ConfiguratorSpec
    quantity_after: int


def after_sale(session: Session, sold: Mapping[int, Sold]) -> None:
    """A sale took stock of the options `sold` (by option id): tell the merchant of each one it
    took to Notify for Quantity Below, unless they were told since it was last above it (a
    restock, an adjustment or a cancellation clears the flag: `stock_changed`). The flag is
    claimed with a conditional update, so two checkouts racing past the line send one alert.
    No query unless an option is low."""
    for option_id in sorted(sold):
        spec, quantity = sold[option_id].spec, sold[option_id].quantity_after
        option = spec.option(option_id)
        layer = spec.layer(option.layer_id) if option else None
        if option is None or layer is None:
            continue
        stock = replace(option.stock, quantity=quantity)
        if not is_low_stock(spec.settings, stock):
            continue
        claimed = session.execute(
            update(Option)
            .where(col(Option.id) == option_id, col(Option.low_stock_alerted).is_(False))
            .values(low_stock_alerted=True)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        settings = _settings()
        facts = mails.LowStockFacts(
            product_name=spec.name,
            layer_name=layer.name,
            option_name=option.name,
            sku=option.sku,
            quantity=quantity,
            notify_below=effective_settings(spec.settings, stock).notify_below,
            admin_url=f"{settings.public_url}/admin/products/{spec.product_id}"
            f"?panel=option&item={option_id}",
        )
        enqueue(session, mails.low_stock(facts, settings.merchant_address))


def _states(session: Session, option_ids: Sequence[int]) -> list[_OptionState]:
    """`_state` of many options, in a query per few hundred (the options this session holds
    are used as they are, like `session.get` does)."""
    states: list[_OptionState] = []
    for batch in id_batches(option_ids):
        rows = session.exec(
            select(Option, Layer, Product)
            .join(Layer, col(Layer.id) == col(Option.layer_id))
            .join(Product, col(Product.id) == col(Layer.product_id))
            .where(col(Option.id).in_(batch))
            .order_by(col(Option.id))
        ).all()
        states += (_OptionState(option, layer, product) for option, layer, product in rows)
    return states


def stock_changed(session: Session, option_ids: Iterable[int]) -> None:
    """The merchant (or a cancelled order) changed options' stock: an option above Notify for
    Quantity Below may alert again, and an option back in stock mails each confirmed request
    for it, once. A few statements however many options changed (an import)."""
    states = _states(session, sorted(set(option_ids)))
    _rearm(session, [s.option for s in states if s.option.low_stock_alerted and not s.low])
    _mail_back_in_stock(session, [s for s in states if s.in_stock])


def _rearm(session: Session, options: Sequence[Option]) -> None:
    """Above Notify for Quantity Below again: the next crossing is reported."""
    ids = [option.id for option in options if option.id is not None]
    for batch in id_batches(ids):
        session.execute(
            update(Option)
            .where(col(Option.id).in_(batch))
            .values(low_stock_alerted=False)
            # Not evaluated against every option the session holds: each is told below.
            .execution_options(synchronize_session=False)
        )
    for option in options:
        set_committed_value(option, "low_stock_alerted", False)


def _mail_back_in_stock(session: Session, states: Sequence[_OptionState]) -> None:
    """Mail each confirmed request for these options (in stock now) that was not mailed yet."""
    by_option = {state.option.id: state for state in states}
    ids = sorted(i for i in by_option if i is not None)
    requests: list[BackInStockRequest] = []
    for batch in id_batches(ids):
        requests += session.exec(
            select(BackInStockRequest)
            .where(
                col(BackInStockRequest.option_id).in_(batch),
                col(BackInStockRequest.confirmed_at).is_not(None),
                col(BackInStockRequest.notified_at).is_(None),
            )
            .order_by(col(BackInStockRequest.option_id), col(BackInStockRequest.id))
        ).all()
    public_url = _settings().public_url if requests else ""
    for request in requests:
        # Claimed like the low-stock flag: of two restocks at once, one mails each request.
        claimed = session.execute(
            update(BackInStockRequest)
            .where(
                col(BackInStockRequest.id) == request.id,
                col(BackInStockRequest.notified_at).is_(None),
            )
            .values(notified_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        state = by_option[request.option_id]
        facts = mails.BackInStockFacts(
            request.email,
            state.product.name,
            state.layer.name,
            state.option.name,
            f"{public_url}/products/{state.product.slug}",
        )
        enqueue(session, mails.back_in_stock(facts))


class BackInStockRefused(ValueError):
    """The request cannot be taken (the option can be ordered now); nothing was written."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ask_back_in_stock(session: Session, *, option_id: int, email: str) -> bool:
    """Note a shopper's "Notify me when back in stock" and mail them the confirmation link.

    `email` was checked (`mails.clean_email`) and the option is one the shopper saw offered.
    One request per address and option: asking again writes and sends nothing (so nobody can
    flood an address), except that a request already answered waits for the next restock.
    Returns whether a confirmation mail was written.
    """
    email = email.lower()
    try:
        with unit_of_work(session, write=True):
            state = _state(session, option_id)
            if state is None:
                raise LookupError("No such option.")
            if option_availability(
                stock_settings(state.product), option_stock(state.option)
            ).is_purchasable:
                raise BackInStockRefused(f"{state.option.name} can be ordered now.")
            existing = session.exec(
                select(BackInStockRequest).where(
                    BackInStockRequest.option_id == option_id, BackInStockRequest.email == email
                )
            ).first()
            if existing is not None:
                if existing.notified_at is not None:
                    existing.notified_at = None
                    session.add(existing)
                return False
            token = secrets.token_urlsafe(24)
            session.add(
                BackInStockRequest(option_id=option_id, email=email, token_hash=_token_hash(token))
            )
            session.flush()
            facts = mails.BackInStockFacts(
                email,
                state.product.name,
                state.layer.name,
                state.option.name,
                f"{_settings().public_url}/back-in-stock/{token}",
            )
            enqueue(session, mails.back_in_stock_confirmation(facts))
            return True
    except IntegrityError:
        return False  # the same address for the same option, asked at the same moment


@dataclass(frozen=True)
class BackInStockView:
    email: str
    product_name: str
    product_slug: str
    option_name: str
    confirmed: bool


def back_in_stock_request(session: Session, token: str) -> BackInStockView | None:
    request = session.exec(
        select(BackInStockRequest).where(BackInStockRequest.token_hash == _token_hash(token))
    ).first()
    state = _state(session, request.option_id) if request else None
    if request is None or state is None:
        return None
    return BackInStockView(
        request.email,
        state.product.name,
        state.product.slug,
        state.option.name,
        request.confirmed_at is not None,
    )


def confirm_back_in_stock(session: Session, token: str) -> BackInStockView | None:
    """Double opt-in: the owner of the address confirms. If the option is already back in
    stock, the mail goes at once. None for an unknown token (nothing written)."""
    with unit_of_work(session, write=True):
        request = session.exec(
            select(BackInStockRequest).where(BackInStockRequest.token_hash == _token_hash(token))
        ).first()
        if request is None:
            return None
        if request.confirmed_at is None:
            request.confirmed_at = utcnow()
            session.add(request)
            session.flush()
            stock_changed(session, [request.option_id])
    return back_in_stock_request(session, token)


# The Emails page -------------------------------------------------------------------------------


def outbox(session: Session, limit: int = 200) -> list[OutboxMail]:
    """The newest mails first, whatever their state."""
    return list(
        session.exec(
            select(OutboxMail)
            .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id).desc())
            .limit(limit)
        )
    )


# Sending -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    message: EmailMessage


def _message(row: OutboxMail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="layerworks.invalid")
    message.set_content(row.body)
    return message


def _claim_due(
    engine: Engine, mail_from: str, now: datetime, limit: int
) -> tuple[list[_Claimed], int]:
    """Mails due now, each claimed for `LEASE` with a conditional update, so that two senders
    (two workers, or the CLI while the server runs) never send one mail twice. Also returns
    how many were given up at once because no message can be written from them."""
    with new_session(engine) as session, unit_of_work(session, write=True):
        rows = session.exec(
            select(OutboxMail)
            .where(OutboxMail.status == WAITING, col(OutboxMail.next_attempt_at) <= now)
            .order_by(col(OutboxMail.next_attempt_at), col(OutboxMail.id))
            .limit(limit)
        ).all()
        claimed, given_up = [], 0
        for row in rows:
            result = session.execute(
                update(OutboxMail)
                .where(
                    col(OutboxMail.id) == row.id,
                    col(OutboxMail.status) == WAITING,
                    col(OutboxMail.next_attempt_at) <= now,
                )
                .values(next_attempt_at=now + LEASE)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                continue
            assert row.id is not None
            try:
                message = _message(row, mail_from)
            except (ValueError, TypeError) as exc:
                # A mail that cannot be written (a bad address): no attempt can send it.
                _give_up(session, row.id, row.attempts, f"{type(exc).__name__}: {exc}")
                given_up += 1
                continue
            claimed.append(_Claimed(row.id, row.attempts, message))
        return claimed, given_up


def _give_up(session: Session, mail_id: int, attempts: int, error: str) -> None:
    session.execute(
        update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id)
        .values(status=FAILED, attempts=attempts + 1, last_error=mails.one_line(error)[:500])
    )


def _record(engine: Engine, claimed: _Claimed, error: str | None, permanent: bool) -> str:
    now = utcnow()
    attempts = claimed.attempts + 1
    if error is None:
        values: dict[str, object] = {"status": SENT, "sent_at": now, "last_error": ""}
        state = SENT
    elif permanent or attempts >= mails.MAX_ATTEMPTS:
        values, state = {"status": FAILED, "last_error": error[:500]}, FAILED
    else:
        values = {"next_attempt_at": now + mails.retry_delay(attempts), "last_error": error[:500]}
        state = WAITING
    with new_session(engine) as session, unit_of_work(session, write=True):
        session.execute(
            update(OutboxMail)
            .where(col(OutboxMail.id) == claimed.id)
            .values(attempts=attempts, **values)
        )
    return state


async def _deliver(target: mails.SmtpTarget, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=target.host,
        port=target.port,
        use_tls=target.use_tls,
        username=target.username,
        password=target.password,
        timeout=30,
    )


def _failure(exc: Exception) -> tuple[str, bool]:
    """What went wrong in words, and whether trying again cannot help (a 5xx answer)."""
    permanent = isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= int(exc.code) < 600
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
    return mails.one_line(f"{type(exc).__name__}: {exc}"), permanent


async def send_due(
    engine: Engine, smtp_url: str, mail_from: str, *, now: datetime | None = None
) -> SendResult:
    """Send every mail that is due (a batch at a time); record each outcome."""
    target = mails.parse_smtp_url(smtp_url)
    sent = retrying = failed = 0
    while True:
        batch, given_up = await asyncio.to_thread(
            _claim_due, engine, mail_from, now or utcnow(), BATCH
        )
        failed += given_up
        for claimed in batch:
            error, permanent = None, False
            try:
                await _deliver(target, claimed.message)
            except (aiosmtplib.SMTPException, OSError) as exc:
                error, permanent = _failure(exc)
                log.warning("mail %d not sent: %s", claimed.id, error)
            state = await asyncio.to_thread(_record, engine, claimed, error, permanent)
            sent += state == SENT
            retrying += state == WAITING
            failed += state == FAILED
        if len(batch) + given_up < BATCH:
            return SendResult(sent, retrying, failed)


def send_pending(
    engine: Engine, smtp_url: str, mail_from: str, *, now: datetime | None = None
) -> SendResult:
    """`send_due` for callers without an event loop (the CLI, the sender thread)."""
    return asyncio.run(send_due(engine, smtp_url, mail_from, now=now))


class MailSender:
    """A daemon thread that sends due mails every `interval` while the server runs (started
    only when `SMTP_URL` is set). `engine` is asked for at each pass, so it follows whatever
    database the app serves."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        *,
        smtp_url: str,
        mail_from: str,
        interval: timedelta,
    ) -> None:
        self._engine = engine
        self.smtp_url = smtp_url
        self.mail_from = mail_from
        self.interval = interval
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> SendResult:
        result = send_pending(self._engine(), self.smtp_url, self.mail_from)
        self.passes += 1
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                # A busy database: try again next time, never stop the server.
                log.exception("sending mails failed; trying again in %s", self.interval)
            self._stop.wait(self.interval.total_seconds())

    def start(self) -> None:
        if self._thread is not None or not self.smtp_url:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=35)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
