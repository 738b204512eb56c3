"""`configurator backup` and `configurator restore`: a copy taken while shoppers check out holds
every order they saw confirmed, and a restore never silently replaces a shop's orders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import configurator.store.models  # noqa: F401  (registers the tables)
from configurator import cli
from configurator.services import stock
from configurator.store.db import alembic_config, make_engine, migrate, new_session
from tests.databases import BACKEND, Databases
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form
from tests.live_server import PROJECT_ROOT, run_server

SNEAKER = "court-sneaker"
SHOPPERS = 4


def _url(shop: Shop) -> str:
    return shop.engine.url.render_as_string(hide_password=False)


def _orders(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        tokens = set(connection.execute(text("SELECT token FROM customer_order")).scalars())
    engine.dispose()
    return tokens


def _place_order(client: TestClient[Litestar]) -> str:
    assert add_to_cart(client, SNEAKER).status_code == 303
    placed = post_form(client, "/checkout", CUSTOMER)
    assert placed.status_code == 303, placed.text
    return str(placed.headers["location"])


class Shopper(threading.Thread):
    """Buys sneakers again and again until told to stop; remembers each order whose
    confirmation page it was shown, and when."""

    def __init__(self, base_url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.stop = stop
        self.confirmed: list[tuple[str, float]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=30) as client:
                client.get(f"/products/{SNEAKER}")
                while not self.stop.is_set():
                    self._check_out(client)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _check_out(self, client: httpx.Client) -> None:
        csrf = client.cookies["csrftoken"]
        added = client.post(
            "/cart/items", data={"product": SNEAKER, "quantity": "1", "_csrf_token": csrf}
        )
        assert added.status_code == 303, added.text[:300]
        form = client.get("/checkout").text
        key = re.search(r'name="checkout_key" value="([^"]+)"', form)
        assert key, form[:300]
        placed = client.post(
            "/checkout", data={**CUSTOMER, "checkout_key": key.group(1), "_csrf_token": csrf}
        )
        assert placed.status_code == 303, placed.text[:300]
        location = placed.headers["location"]
        page = client.get(location)
        assert page.status_code == 200 and "Thank you, your order is placed" in page.text
        self.confirmed.append((location.rsplit("/", 1)[1], time.monotonic()))


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_backup_taken_during_a_burst_of_checkouts_holds_every_confirmed_order(
    databases: Databases, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup_file = tmp_path / "shop.backup"
    stop = threading.Event()
    with run_server(
        database_url, tmp_path / "server.log", admin_password="backup-test-pass-1"
    ) as s:
        shoppers = [Shopper(s.url, stop) for _ in range(SHOPPERS)]
        for shopper in shoppers:
            shopper.start()

        def confirmed() -> int:
            return sum(len(shopper.confirmed) for shopper in shoppers)

        _wait_for(lambda: confirmed() >= 8 or any(sh.error for sh in shoppers))
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "configurator.cli", "backup", str(backup_file)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            check=False,
        )
        finished = time.monotonic()
        # Shoppers go on checking out: with one order per shopper in flight when the backup
        # ended, SHOPPERS + 1 more confirmations include one placed after the copy.
        after_backup = confirmed()
        _wait_for(lambda: confirmed() > after_backup + SHOPPERS or any(sh.error for sh in shoppers))
        stop.set()
        for shopper in shoppers:
            shopper.join(timeout=60)
    for shopper in shoppers:
        assert shopper.error is None, repr(shopper.error)
    assert result.returncode == 0, result.stderr
    assert f"to {backup_file}" in result.stdout
    all_confirmed = [entry for shopper in shoppers for entry in shopper.confirmed]
    during = [token for token, at in all_confirmed if started <= at <= finished]
    confirmed_before = {token for token, at in all_confirmed if at < started}
    placed = _orders(database_url)

    restored_url = databases.empty("restored")
    monkeypatch.setenv("DATABASE_URL", restored_url)
    assert cli.main(["restore", str(backup_file)]) == 0

    in_backup = _orders(restored_url)
    assert confirmed_before <= in_backup, "an order the shopper saw confirmed is missing"
    assert in_backup <= placed
    assert len(in_backup) < len(placed)  # orders placed after the copy are not in it
    print(f"{len(in_backup)} of {len(placed)} orders in the backup; {len(during)} confirmed during")
    engine = make_engine(restored_url)
    with engine.connect() as connection:
        orders_without_lines = connection.execute(
            text(
                "SELECT count(*) FROM customer_order WHERE NOT EXISTS "
                "(SELECT 1 FROM order_line WHERE order_line.order_id = customer_order.id)"
            )
        ).scalar_one()
    with new_session(engine) as session:
        assert stock.check(session) == []
    engine.dispose()
    assert orders_without_lines == 0
    databases.discard(restored_url)


def test_restore_refuses_to_replace_a_shop_with_orders_unless_forced(
    shop: Shop,
    client: TestClient[Litestar],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", _url(shop))
    backup_file = tmp_path / "backups" / "shop.backup"
    first = _place_order(client)
    assert cli.main(["backup", str(backup_file)]) == 0
    assert "Backed up the shop (1 order(s))" in capsys.readouterr().out
    assert backup_file.stat().st_mode & 0o777 == 0o600  # it holds customers' addresses
    second = _place_order(client)
    version = shop.scalar("SELECT version FROM catalog_version")

    assert cli.main(["restore", str(backup_file)]) == 1

    err = capsys.readouterr().err
    assert "already holds 2 order(s)" in err
    assert "Nothing changed. Add --force" in err
    assert shop.count("customer_order") == 2
    assert client.get(second).status_code == 200

    assert cli.main(["restore", str(backup_file), "--force"]) == 0

    assert "the shop now holds 1 order(s)" in capsys.readouterr().out
    assert client.get(first).status_code == 200
    assert client.get(second).status_code == 404
    # Running workers drop what they cached: the catalog version moved past both databases'.
    assert shop.scalar("SELECT version FROM catalog_version") > version


def test_a_file_that_is_no_backup_is_refused_and_changes_nothing(
    shop: Shop,
    client: TestClient[Litestar],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", _url(shop))
    order = _place_order(client)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup\n" * 100)

    assert cli.main(["restore", str(bogus), "--force"]) == 1

    assert "Not restored" in capsys.readouterr().err
    assert client.get(order).status_code == 200
    assert shop.count("customer_order") == 1


def test_a_backup_of_an_older_schema_restores_and_is_upgraded(
    databases: Databases, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command.upgrade(alembic_config(database_url), "0006")
    backup_file = tmp_path / "old.backup"
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["backup", str(backup_file)]) == 0

    restored_url = databases.empty("restored")
    migrate(restored_url)  # a newer, empty shop
    monkeypatch.setenv("DATABASE_URL", restored_url)
    assert cli.main(["restore", str(backup_file)]) == 0

    engine = make_engine(restored_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []
    databases.discard(restored_url)


@pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL syncs every commit already")
def test_placing_an_order_is_synced_to_disk_before_the_shopper_sees_it(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """WAL with synchronous=NORMAL can lose the last commits on a power cut; the order's
    commit runs with synchronous=FULL (2), other writes keep NORMAL (1)."""
    levels: list[int] = []

    def at_commit(connection: Connection) -> None:
        levels.append(int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one()))

    event.listen(shop.engine, "commit", at_commit)
    try:
        assert add_to_cart(client, SNEAKER).status_code == 303
        adding, levels[:] = list(levels), []
        assert post_form(client, "/checkout", CUSTOMER).status_code == 303
        placing, levels[:] = list(levels), []
        assert add_to_cart(client, SNEAKER).status_code == 303
        adding_again = list(levels)
    finally:
        event.remove(shop.engine, "commit", at_commit)

    assert set(adding) == {1} and set(adding_again) == {1}
    assert 2 in placing
