"""Housekeeping: `configurator prune` and the pruning every worker does while it serves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select, update

from configurator import cli
from configurator.services import housekeeping
from configurator.settings import Settings
from configurator.store.models import (
    AdminSession,
    AdminUser,
    Cart,
    CartLine,
    LoginAttempt,
    OutboxMail,
    utcnow,
)
from configurator.web.app import create_app
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, line_ids, post_form

SNEAKER = "court-sneaker"
LONG_AGO = timedelta(days=45)


def _url(shop: Shop) -> str:
    return shop.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def shoppers() -> Iterator[ExitStack]:
    """Other shoppers' browsers (test clients), closed after the test."""
    with ExitStack() as stack:
        yield stack


def _shopper_with_a_cart(shop: Shop, shoppers: ExitStack) -> TestClient[Litestar]:
    client = shoppers.enter_context(TestClient(shop.app))
    response = add_to_cart(client, SNEAKER)
    assert response.status_code == 303, response.text
    return client


def _cart_ids(shop: Shop) -> set[str]:
    with shop.engine.connect() as connection:
        return set(connection.execute(select(Cart.id)).scalars())


def _age_carts(shop: Shop, ids: set[str], *, lines_too: bool = True) -> None:
    """Make these carts (and their lines) look untouched for LONG_AGO."""
    then = utcnow() - LONG_AGO
    with shop.engine.begin() as connection:
        connection.execute(update(Cart).where(col(Cart.id).in_(ids)).values(updated_at=then))
        if lines_too:
            connection.execute(
                update(CartLine).where(col(CartLine.cart_id).in_(ids)).values(created_at=then)
            )


def _seed_sessions_and_attempts(shop: Shop) -> None:
    now = utcnow()
    with shop.engine.begin() as connection:
        user_id = connection.execute(select(AdminUser.id)).scalars().first()
        for token_id, expires_at in (("expired", now - timedelta(minutes=1)), ("valid", now)):
            connection.execute(
                AdminSession.__table__.insert().values(  # type: ignore[attr-defined]
                    id=token_id,
                    user_id=user_id,
                    created_at=now - timedelta(hours=13),
                    expires_at=expires_at + timedelta(hours=1 if token_id == "valid" else 0),
                )
            )
        for name, created_at in (("old", now - timedelta(days=2)), ("recent", now)):
            connection.execute(
                LoginAttempt.__table__.insert().values(  # type: ignore[attr-defined]
                    username=name, address="203.0.113.9", succeeded=False, created_at=created_at
                )
            )


def test_prune_deletes_abandoned_carts_expired_sessions_and_old_attempts_but_no_order(
    shop: Shop,
    client: TestClient[Litestar],
    shoppers: ExitStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A shopper who checked out: their order must survive everything below.
    assert add_to_cart(client, SNEAKER).status_code == 303
    placed = post_form(client, "/checkout", CUSTOMER)
    assert placed.status_code == 303, placed.text
    order_page = placed.headers["location"]
    # Three carts left behind long ago; one of them came back to life with a new line.
    abandoned = [_shopper_with_a_cart(shop, shoppers) for _ in range(3)]
    old_ids = _cart_ids(shop)
    _age_carts(shop, old_ids)
    revived = abandoned[0]
    assert add_to_cart(revived, "aero-road-bike").status_code == 303
    _age_carts(shop, old_ids, lines_too=False)  # the cart row itself still looks old
    # A shopper active today.
    today = _shopper_with_a_cart(shop, shoppers)
    _seed_sessions_and_attempts(shop)
    orders = (shop.count("customer_order"), shop.count("order_line"))

    monkeypatch.setenv("DATABASE_URL", _url(shop))
    monkeypatch.delenv("CART_RETENTION_DAYS", raising=False)
    assert cli.main(["prune"]) == 0

    out = capsys.readouterr().out
    assert (
        "Pruned 2 abandoned cart(s) (idle over 30 days), 1 expired merchant session(s), "
        "1 old sign-in attempt(s), 0 mail(s) sent over 30 days ago, 0 finished stock import(s)."
        in out
    )
    assert shop.count("cart") == 2
    assert "Court Sneaker" in today.get("/cart").text
    assert "Aero Road Bike" in revived.get("/cart").text
    assert "Your cart is empty" in abandoned[1].get("/cart").text
    assert shop.scalar("SELECT id FROM admin_session") == "valid"
    assert shop.scalar("SELECT username FROM login_attempt") == "recent"
    assert (shop.count("customer_order"), shop.count("order_line")) == orders
    assert client.get(order_page).status_code == 200

    # Pruning again finds nothing more.
    assert cli.main(["prune"]) == 0
    assert "Pruned 0 abandoned cart(s)" in capsys.readouterr().out


def test_cart_retention_comes_from_the_environment(
    shop: Shop,
    shoppers: ExitStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _shopper_with_a_cart(shop, shoppers)
    _age_carts(shop, _cart_ids(shop))  # 45 days
    monkeypatch.setenv("DATABASE_URL", _url(shop))

    monkeypatch.setenv("CART_RETENTION_DAYS", "60")
    assert cli.main(["prune"]) == 0
    assert shop.count("cart") == 1

    monkeypatch.setenv("CART_RETENTION_DAYS", "40")
    assert cli.main(["prune"]) == 0
    assert "Pruned 1 abandoned cart(s) (idle over 40 days)" in capsys.readouterr().out
    assert shop.count("cart") == 0

    monkeypatch.setenv("CART_RETENTION_DAYS", "soon")
    with pytest.raises(SystemExit, match="CART_RETENTION_DAYS"):
        cli.main(["prune"])


def test_changing_a_quantity_keeps_an_old_cart_from_being_pruned(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    assert add_to_cart(client, SNEAKER).status_code == 303
    _age_carts(shop, _cart_ids(shop))
    (line,) = line_ids(client.get("/cart").text)

    assert post_form(client, f"/cart/lines/{line}", {"quantity": 2}).status_code == 303
    pruned = housekeeping.prune(shop.engine, cart_retention=timedelta(days=30))

    assert pruned.carts == 0
    assert "Court Sneaker" in client.get("/cart").text


def test_pruning_goes_in_small_batches_until_nothing_is_left(shop: Shop) -> None:
    """Each batch is its own short transaction; together they take every abandoned cart."""
    then = utcnow() - LONG_AGO
    with shop.engine.begin() as connection:
        for number in range(7):
            connection.execute(
                Cart.__table__.insert().values(  # type: ignore[attr-defined]
                    id=f"cart-{number}", created_at=then, updated_at=then
                )
            )
            connection.execute(
                CartLine.__table__.insert().values(  # type: ignore[attr-defined]
                    cart_id=f"cart-{number}",
                    product_id=1,
                    selection="{}",
                    quantity=1,
                    backorder_line=False,
                    created_at=then,
                )
            )

    pruned = housekeeping.prune(shop.engine, cart_retention=timedelta(days=30), batch=3)

    assert pruned.carts == 7
    assert (shop.count("cart"), shop.count("cart_line")) == (0, 0)


def test_the_server_prunes_on_its_own_while_it_runs(shop: Shop, shoppers: ExitStack) -> None:
    settings = replace(
        Settings.from_env(),
        database_url=_url(shop),
        cart_retention_days=30,
        prune_interval_minutes=60,
    )
    app = create_app(settings, shop.engine)
    schedule = app.state.prune_schedule
    assert isinstance(schedule, housekeeping.PruneSchedule)
    assert schedule.start in app.on_startup and schedule.stop in app.on_shutdown
    assert schedule.interval == timedelta(hours=1)
    _shopper_with_a_cart(shop, shoppers)
    _age_carts(shop, _cart_ids(shop))
    schedule.first_delay = timedelta(0)

    with TestClient(app):
        assert schedule.running
        assert schedule.pass_done.wait(timeout=20), "no pruning pass ran"
        assert schedule.last == housekeeping.Pruned(carts=1)
    assert not schedule.running
    assert shop.count("cart") == 0


def test_prune_interval_zero_turns_automatic_pruning_off(shop: Shop) -> None:
    settings = replace(Settings.from_env(), database_url=_url(shop), prune_interval_minutes=0)
    app = create_app(settings, shop.engine)
    schedule = app.state.prune_schedule
    schedule.first_delay = timedelta(0)
    with TestClient(app):
        assert not schedule.running


def _seed_outbox(shop: Shop) -> None:
    """Mails of every state and age: sent 45 and 10 days ago, one that failed long ago, one
    still waiting since long ago."""
    now = utcnow()
    rows = [
        ("old sent", "sent", now - LONG_AGO, now - LONG_AGO),
        ("recent sent", "sent", now - timedelta(days=10), now - timedelta(days=10)),
        ("old failed", "failed", now - LONG_AGO, None),
        ("old waiting", "waiting", now - LONG_AGO, None),
    ]
    with shop.engine.begin() as connection:
        for subject, status, created_at, sent_at in rows:
            connection.execute(
                OutboxMail.__table__.insert().values(  # type: ignore[attr-defined]
                    kind="order_confirmation",
                    to_address="ada@example.com",
                    subject=subject,
                    body="Hello",
                    status=status,
                    attempts=1,
                    next_attempt_at=created_at,
                    last_error="",
                    order_number="",
                    created_at=created_at,
                    sent_at=sent_at,
                )
            )


def _subjects(shop: Shop) -> set[str]:
    with shop.engine.connect() as connection:
        return set(connection.execute(select(OutboxMail.subject)).scalars())


def test_prune_deletes_only_sent_mails_older_than_the_retention(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_outbox(shop)
    monkeypatch.setenv("DATABASE_URL", _url(shop))
    monkeypatch.delenv("MAIL_RETENTION_DAYS", raising=False)

    assert cli.main(["prune"]) == 0

    assert "1 mail(s) sent over 30 days ago" in capsys.readouterr().out
    # What failed or still waits stays for the merchant to see, however old.
    assert _subjects(shop) == {"recent sent", "old failed", "old waiting"}

    # A shorter retention from the command line, then from the environment.
    assert cli.main(["prune", "--mail-days", "60"]) == 0
    assert _subjects(shop) == {"recent sent", "old failed", "old waiting"}
    assert cli.main(["prune", "--mail-days", "7"]) == 0
    assert "1 mail(s) sent over 7 days ago" in capsys.readouterr().out
    assert _subjects(shop) == {"old failed", "old waiting"}
    _seed_outbox(shop)
    monkeypatch.setenv("MAIL_RETENTION_DAYS", "5")
    pruned = housekeeping.prune(
        shop.engine,
        cart_retention=timedelta(days=30),
        mail_retention=Settings.from_env().mail_retention,
    )
    assert pruned.mails == 2

    for bad in ("0", "-1", "soon"):
        with pytest.raises(SystemExit):
            cli.main(["prune", "--mail-days", bad])
    monkeypatch.setenv("MAIL_RETENTION_DAYS", "soon")
    with pytest.raises(SystemExit, match="MAIL_RETENTION_DAYS"):
        cli.main(["prune"])
