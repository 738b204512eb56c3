"""Faults: a crash in the middle of checkout writes nothing; a database that is down or locked
gets a friendly 503 page, never a half-written order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text

from configurator import accounts, db, orders
from configurator.demo import load_demo
from configurator.settings import Settings
from configurator.web.app import create_app
from tests.databases import BACKEND
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form

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
