"""Housekeeping: abandoned carts, expired merchant sessions, old sign-in attempts, finished
stock imports (`import_jobs.prune`, which also records imports whose worker stopped) and sent
mails older than the mail retention (the outbox keeps what the Emails page lists) are pruned by
`configurator prune` and, while the server runs, by a background thread in every worker.
Mails waiting to be sent, or that failed for good, are never pruned.

Orders are never touched: an order is a snapshot that names no cart (its checkout key is
derived from the shopper's cookie, not from a cart row), so deleting a cart cannot break one.
Each pass deletes in small batches, one short transaction per batch, so it never holds SQLite's
write lock for long; a pass is idempotent, so several workers pruning at once do no harm.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from configurator.services import import_jobs
from configurator.services.accounts import ATTEMPTS_KEPT
from configurator.services.mail import SENT
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import (
    AdminSession,
    Cart,
    CartLine,
    LoginAttempt,
    OutboxMail,
    utcnow,
)

BATCH = 500
"""Rows deleted per transaction."""
MAIL_RETENTION = timedelta(days=30)
"""Sent mails are kept this long by default (`MAIL_RETENTION_DAYS`)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    carts: int = 0
    sessions: int = 0
    attempts: int = 0
    import_jobs: int = 0
    mails: int = 0


def _prune_carts_batch(engine: Engine, cutoff: datetime, batch: int) -> int:
    """One transaction: up to `batch` carts untouched since `cutoff` (no change to the cart
    and no line added since), with their lines."""
    with new_session(engine) as session, unit_of_work(session, write=True):
        recent_line = exists().where(
            col(CartLine.cart_id) == col(Cart.id), col(CartLine.created_at) >= cutoff
        )
        ids = list(
            session.exec(
                select(Cart.id)
                .where(col(Cart.updated_at) < cutoff, ~recent_line)
                .limit(batch)
                # PostgreSQL: a cart a shopper is changing right now is left for the next pass.
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            session.exec(delete(CartLine).where(col(CartLine.cart_id).in_(ids)))
            session.exec(delete(Cart).where(col(Cart.id).in_(ids)))
    return len(ids)


def _prune_rows_batch(engine: Engine, id_column: Any, old: ColumnElement[bool], batch: int) -> int:
    """One transaction: delete up to `batch` rows of `id_column`'s table matching `old`."""
    with new_session(engine) as session, unit_of_work(session, write=True):
        ids = list(session.exec(select(id_column).where(old).limit(batch)))
        if ids:
            session.exec(delete(id_column.table).where(id_column.in_(ids)))
    return len(ids)


def _until_done(prune_batch: Callable[[int], int], batch: int) -> int:
    """Run batches until one comes back short; the total deleted."""
    total = 0
    while True:
        done = prune_batch(batch)
        total += done
        if done < batch:
            return total


def prune(
    engine: Engine,
    *,
    cart_retention: timedelta,
    mail_retention: timedelta = MAIL_RETENTION,
    now: datetime | None = None,
    batch: int = BATCH,
) -> Pruned:
    """Delete carts idle for longer than `cart_retention`, expired merchant sessions, sign-in
    attempts older than the sign-in limits look back and mails sent longer than
    `mail_retention` ago. Returns how many of each."""
    now = now or utcnow()
    carts_before, attempts_before = now - cart_retention, now - ATTEMPTS_KEPT
    mails_before = now - mail_retention
    return Pruned(
        carts=_until_done(lambda n: _prune_carts_batch(engine, carts_before, n), batch),
        sessions=_until_done(
            lambda n: _prune_rows_batch(
                engine, col(AdminSession.id), col(AdminSession.expires_at) <= now, n
            ),
            batch,
        ),
        attempts=_until_done(
            lambda n: _prune_rows_batch(
                engine, col(LoginAttempt.id), col(LoginAttempt.created_at) < attempts_before, n
            ),
            batch,
        ),
        mails=_until_done(
            lambda n: _prune_rows_batch(
                engine,
                col(OutboxMail.id),
                (col(OutboxMail.status) == SENT) & (col(OutboxMail.sent_at) < mails_before),
                n,
            ),
            batch,
        ),
        import_jobs=import_jobs.prune(engine, now=now),
    )


class PruneSchedule:
    """A daemon thread that prunes every `interval` (the first pass `first_delay` after the
    start), for as long as the server runs. `engine` is asked for at each pass, so it follows
    whatever database the app serves."""

    def __init__(
        self,
        engine: Engine | Callable[[], Engine],
        *,
        cart_retention: timedelta,
        interval: timedelta,
        mail_retention: timedelta = MAIL_RETENTION,
        first_delay: timedelta = timedelta(seconds=30),
    ) -> None:
        self._engine = engine
        self.cart_retention = cart_retention
        self.mail_retention = mail_retention
        self.interval = interval
        self.first_delay = first_delay
        self.passes = 0
        self.last: Pruned | None = None
        self.pass_done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def engine(self) -> Engine:
        return self._engine if isinstance(self._engine, Engine) else self._engine()

    def run_once(self) -> Pruned:
        pruned = prune(
            self.engine(), cart_retention=self.cart_retention, mail_retention=self.mail_retention
        )
        self.last = pruned
        self.passes += 1
        self.pass_done.set()
        if pruned != Pruned():
            log.info(
                "pruned %d carts, %d sessions, %d sign-in attempts, %d stock imports, "
                "%d sent mails",
                pruned.carts,
                pruned.sessions,
                pruned.attempts,
                pruned.import_jobs,
                pruned.mails,
            )
        return pruned

    def _run(self) -> None:
        wait = self.first_delay
        while not self._stop.wait(wait.total_seconds()):
            try:
                self.run_once()
            except Exception:
                # A busy or unreachable database: try again next time, never stop the server.
                log.exception("pruning failed; trying again in %s", self.interval)
            wait = self.interval

    def start(self) -> None:
        if self._thread is not None or self.interval <= timedelta(0):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="prune", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
