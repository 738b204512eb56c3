"""One use case, one transaction (`store.db.unit_of_work`), on a real database: it commits when
the block ends, rolls back when anything is raised, and on SQLite a writing one holds the write
lock from its first statement, so an admin save never fails because another writer committed
after its first read."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from configurator.services import catalog_admin
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import AppSetting
from tests.integration.conftest import Shop, login, post_form

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"


class Refusal(ValueError):
    """Stands for a service's refusal (FormError, NotPublishable, ...)."""


def _setting(shop: Shop, key: str) -> str | None:
    value = shop.scalar("SELECT value FROM app_setting WHERE key = :k", k=key)
    return None if value is None else str(value)


def test_a_unit_of_work_commits_when_its_block_ends(shop: Shop) -> None:
    with new_session(shop.engine) as session:
        with unit_of_work(session, write=True):
            session.add(AppSetting(key="greeting", value="hello"))
        assert not session.in_transaction()
    assert _setting(shop, "greeting") == "hello"


def test_a_unit_of_work_rolls_back_and_lets_the_refusal_through(shop: Shop) -> None:
    refusal = Refusal("nothing may be written")
    with new_session(shop.engine) as session:
        with pytest.raises(Refusal) as raised, unit_of_work(session, write=True):
            session.add(AppSetting(key="greeting", value="hello"))
            session.flush()  # written inside the transaction, then undone
            raise refusal
        assert raised.value is refusal
        assert not session.in_transaction()
        # The session goes on working: the next use case is a new transaction.
        with unit_of_work(session, write=True):
            session.add(AppSetting(key="other", value="kept"))
    assert _setting(shop, "greeting") is None
    assert _setting(shop, "other") == "kept"


def test_a_unit_of_work_inside_another_joins_it(shop: Shop) -> None:
    with new_session(shop.engine) as session:
        with pytest.raises(Refusal), unit_of_work(session, write=True):
            with unit_of_work(session, write=True):
                session.add(AppSetting(key="inner", value="joined"))
            assert session.in_transaction()  # the inner block did not commit
            raise Refusal("the outer one rolls back everything")
        reading, writing = unit_of_work(session), unit_of_work(session, write=True)
        with pytest.raises(RuntimeError), reading, writing:
            pass
    assert _setting(shop, "inner") is None


def test_a_unit_of_work_reads_again_what_was_read_before_it(shop: Shop) -> None:
    """A handler looks the product up first; the use case must see the product as it is in
    its own transaction, not as that earlier read left it."""
    bike = shop.product_id(BIKE)
    with new_session(shop.engine) as session:
        product = catalog_admin.get_product(session, bike)
        shop.execute("UPDATE product SET name = 'Renamed meanwhile' WHERE id = :i", i=bike)
        with unit_of_work(session, write=True):
            assert catalog_admin.get_product(session, bike).name == "Renamed meanwhile"
        assert product.name == "Renamed meanwhile"


def _sqlite_path(shop: Shop) -> str:
    if shop.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    path = shop.engine.url.database
    assert path
    return path


def test_a_writing_unit_of_work_takes_sqlites_write_lock_before_its_first_read(
    shop: Shop,
) -> None:
    path = _sqlite_path(shop)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with new_session(shop.engine) as session, unit_of_work(session, write=True):
            session.get(AppSetting, "csrf_secret")
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the unit of work committed
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_an_admin_save_survives_another_writer_committing_after_its_first_read(
    shop: Shop, client: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker process commits a write while the admin save is between its first read
    (the product) and its first write. With a deferred BEGIN, SQLite refuses that save at once
    ("database is locked", answered 503); a save that begins with BEGIN IMMEDIATE makes the
    other writer wait instead, and both changes land."""
    path = _sqlite_path(shop)
    bike, sneaker = shop.product_id(BIKE), shop.product_id(SNEAKER)
    other_writer_failed: list[BaseException] = []

    def other_worker_writes() -> None:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            connection.execute(
                "UPDATE product SET description = 'Changed by another worker' WHERE id = ?",
                (sneaker,),
            )
        except BaseException as exc:  # reported by the test below
            other_writer_failed.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=other_worker_writes)
    read_fields = catalog_admin._product_fields

    def fields_then_another_writer(
        session: Session, form: Mapping[str, str], product_id: int | None
    ) -> tuple[dict[str, object], dict[str, str]]:
        found = read_fields(session, form, product_id)  # the save has read by now
        if not writer.is_alive() and writer.ident is None:
            writer.start()
            # Long enough for the other writer to commit, unless it has to wait for us.
            writer.join(timeout=0.5)
        return found

    monkeypatch.setattr(catalog_admin, "_product_fields", fields_then_another_writer)
    login(client)

    saved = post_form(
        client,
        f"/admin/products/{bike}/details",
        {"name": "Aero Road Bike II", "slug": BIKE, "base_price": "1899.00", "description": ""},
    )
    writer.join(timeout=10)

    assert saved.status_code == 303, saved.text
    assert shop.scalar("SELECT name FROM product WHERE id = :i", i=bike) == "Aero Road Bike II"
    assert not other_writer_failed
    assert (
        shop.scalar("SELECT description FROM product WHERE id = :i", i=sneaker)
        == "Changed by another worker"
    )
