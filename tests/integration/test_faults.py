"""Faults: a crash in the middle of checkout writes nothing; a database that is down or locked
gets a friendly 503 page, never a half-written order."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text

from configurator.services import accounts, orders
from configurator.services.demo import load_demo
from configurator.settings import Settings
from configurator.store import db
from configurator.web.app import create_app
from tests.databases import BACKEND
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form
from tests.live_server import Server, run_server

BIKE = "aero-road-bike"


def test_a_crash_between_taking_stock_and_writing_the_order_writes_nothing(
    shop: Shop, client: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 2)
    before = shop.snapshot()
    gravel_before = shop.scalar("SELECT quantity FROM option WHERE id = :i", i=ids["Gravel Tan"])

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the machine lost power here")

    # By now checkout has taken the stock (conditional updates and movements are written in
    # the open transaction); the order lines are next.
    monkeypatch.setattr(orders, "_write_line", crash)
    response = post_form(client, "/checkout", CUSTOMER)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert shop.snapshot() == before
    assert (
        shop.scalar("SELECT quantity FROM option WHERE id = :i", i=ids["Gravel Tan"])
        == gravel_before
    )

    monkeypatch.undo()
    assert post_form(client, "/checkout", CUSTOMER).status_code == 303
    assert shop.count("customer_order") == 1


def test_a_database_that_is_down_answers_a_friendly_503(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    working = shop.app.state.engine
    down = (
        "postgresql+psycopg://postgres@/shop?host=/nonexistent-directory"
        if BACKEND == "postgresql"
        else "sqlite:////nonexistent-directory/shop.sqlite3"
    )
    shop.app.state.engine = create_engine(down)
    try:
        page = client.get(f"/products/{BIKE}")
        fragment = client.get(
            f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}",
            headers={"HX-Request": "true"},
        )
        added = add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1)
    finally:
        shop.app.state.engine = working

    assert page.status_code == 503
    assert "The shop is busy" in page.text
    assert "Please try again in a moment." in page.text
    assert fragment.status_code == 503
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert added.status_code == 503


def test_a_locked_sqlite_database_answers_503_and_nothing_is_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    db.migrate(url)
    engine = db.make_engine(url)
    with db.new_session(engine) as session:
        accounts.ensure_initial_admin(session, "locked-password-1")
        load_demo(session)
    settings = Settings(
        host="127.0.0.1", port=0, database_url=url, admin_password=None, secure_cookies=False
    )
    app = create_app(settings, engine)
    blocker = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    with TestClient(app) as client:
        client.get("/")
        with engine.connect() as connection:
            wheels, gravel = connection.execute(
                text(
                    "SELECT layer.id, option.id FROM option JOIN layer ON layer.id = "
                    "option.layer_id WHERE option.sku = 'WH-GRAVEL'"
                )
            ).one()
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            refused = add_to_cart(client, BIKE, {wheels: gravel}, 1)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert refused.status_code == 503
        assert "The shop is busy" in refused.text
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM cart_line")).scalar_one() == 0
        # The lock is gone: the same request now works.
        assert add_to_cart(client, BIKE, {wheels: gravel}, 1).status_code == 303
    engine.dispose()


# The database file taken away from under the real server -----------------------------------

LIVE_PASSWORD = "live-faults-password-1"
BUSY = "Please try again in a moment."


@dataclass
class LiveShop:
    """The real `configurator serve` (the same ASGI application, microcache in front
    included) with a shopper and a signed-in merchant."""

    server: Server
    path: Path
    shopper: httpx.Client
    merchant: httpx.Client
    wheels: int
    carbon_deep: int

    def scalar(self, sql: str, database: Path | None = None) -> Any:
        connection = sqlite3.connect(database or self.path)
        try:
            return connection.execute(sql).fetchone()[0]
        finally:
            connection.close()

    def fragment(self) -> httpx.Response:
        return self.shopper.get(
            f"/products/{BIKE}/configuration?layer-{self.wheels}={self.carbon_deep}",
            headers={"HX-Request": "true"},
        )

    def add_to_cart(self) -> httpx.Response:
        form = {
            "product": BIKE,
            "quantity": "1",
            f"layer-{self.wheels}": str(self.carbon_deep),
            "_csrf_token": self.shopper.cookies["csrftoken"],
        }
        return self.shopper.post("/cart/items", data=form)

    def answers(self) -> dict[str, httpx.Response]:
        return {
            "option change": self.fragment(),
            "product page": self.shopper.get(f"/products/{BIKE}"),
            "add to cart": self.add_to_cart(),
            "admin": self.merchant.get("/admin"),
        }


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveShop]:
    if BACKEND != "sqlite":
        pytest.skip("a database file: SQLite only")
    path = tmp_path / "shop.sqlite3"
    with (
        run_server(
            f"sqlite:///{path}", tmp_path / "server.log", admin_password=LIVE_PASSWORD
        ) as server,
        httpx.Client(base_url=server.url, timeout=30) as shopper,
        httpx.Client(base_url=server.url, timeout=30) as merchant,
    ):
        merchant.get("/admin/login")
        signed_in = merchant.post(
            "/admin/login",
            data={
                "username": "admin",
                "password": LIVE_PASSWORD,
                "_csrf_token": merchant.cookies["csrftoken"],
            },
        )
        assert signed_in.status_code == 303
        connection = sqlite3.connect(path)
        wheels, carbon_deep = connection.execute(
            "SELECT layer.id, option.id FROM option JOIN layer ON layer.id = option.layer_id "
            "WHERE option.name = 'Carbon Deep'"
        ).fetchone()
        connection.close()
        shop = LiveShop(server, path, shopper, merchant, wheels, carbon_deep)
        # Everything works, and the option change is in the microcache in front of the app.
        assert shopper.get(f"/products/{BIKE}").status_code == 200
        assert shop.fragment().status_code == shop.fragment().status_code == 200
        assert merchant.get("/admin").status_code == 200
        yield shop


def assert_busy(answers: dict[str, httpx.Response]) -> None:
    for name, response in answers.items():
        assert response.status_code == 503, name
        assert response.headers["content-type"].startswith("text/html"), name
        assert "script-src 'self'" in response.headers["content-security-policy"], name
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert BUSY in response.text, name
    assert answers["option change"].headers["HX-Retarget"] == "#flash"
    assert "The shop is busy" in answers["product page"].text


def test_a_database_file_deleted_under_the_real_server_answers_503_and_nothing_is_written(
    live: LiveShop, tmp_path: Path
) -> None:
    lines = live.scalar("SELECT count(*) FROM cart_line")
    kept = tmp_path / "kept.sqlite3"
    os.link(live.path, kept)  # the file lives on under another name, as it would while open
    live.path.unlink()

    assert_busy(live.answers())
    assert not live.path.exists()  # nothing made a new, empty database in its place

    os.link(kept, live.path)  # the very same file is back
    assert live.scalar("SELECT count(*) FROM cart_line") == lines  # nothing was written

    # Back without a restart.
    assert live.fragment().status_code == 200
    assert live.shopper.get(f"/products/{BIKE}").status_code == 200
    assert live.merchant.get("/admin").status_code == 200
    assert live.add_to_cart().status_code == 303
    assert live.scalar("SELECT count(*) FROM cart_line") == lines + 1


def test_a_database_file_replaced_under_the_real_server_is_the_one_it_uses(
    live: LiveShop, tmp_path: Path
) -> None:
    """A backup put in the file's place: the server reads and writes the new file at once,
    nothing goes into the old one."""
    lines = live.scalar("SELECT count(*) FROM cart_line")
    old = sqlite3.connect(live.path)
    assert old.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    backup_path = tmp_path / "backup.sqlite3"
    backup = sqlite3.connect(backup_path)
    old.backup(backup)
    old.close()
    backup.execute("UPDATE product SET name = 'Aero Road Bike (restored)' WHERE slug = ?", (BIKE,))
    backup.commit()
    backup.close()
    kept = tmp_path / "kept.sqlite3"
    os.link(live.path, kept)
    os.replace(backup_path, live.path)

    assert "Aero Road Bike (restored)" in live.shopper.get("/").text
    assert "Aero Road Bike (restored)" in live.merchant.get("/admin").text
    assert live.fragment().status_code == 200
    assert live.add_to_cart().status_code == 303
    assert live.scalar("SELECT count(*) FROM cart_line") == lines + 1
    assert live.scalar("SELECT count(*) FROM cart_line", kept) == lines
