"""Integration fixtures: a real SQLite file per test, migrated and loaded with the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from configurator import accounts
from configurator.db import make_engine, migrate, new_session
from configurator.demo import load_demo
from configurator.settings import Settings
from configurator.web.app import create_app

ADMIN_PASSWORD = "integration-password-1"
TABLES = (
    "product",
    "layer",
    "option",
    "image",
    "cart",
    "cart_line",
    "customer_order",
    "order_line",
    "order_line_option",
    "admin_user",
    "admin_session",
)


@dataclass
class Shop:
    app: Litestar
    engine: Engine

    def snapshot(self) -> dict[str, object]:
        """Everything a refused request must leave as it was."""
        with self.engine.connect() as connection:
            state: dict[str, object] = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in TABLES
            }
            state["products"] = connection.execute(
                text(
                    "SELECT id, name, slug, base_price_cents, stock_management, backorder"
                    " FROM product ORDER BY id"
                )
            ).all()
            state["options"] = connection.execute(
                text(
                    "SELECT id, name, sku, price_delta_cents, stock_management, stock_status,"
                    " image_id FROM option ORDER BY id"
                )
            ).all()
            state["lines"] = connection.execute(
                text("SELECT id, quantity FROM cart_line ORDER BY id")
            ).all()
        return state

    def ids(self, slug: str) -> dict[str, int]:
        """Layer and option ids of a demo product, by name ("Wheels", "Carbon Deep", ...)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT layer.name, layer.id, option.name, option.id FROM layer "
                    "JOIN product ON product.id = layer.product_id "
                    "JOIN option ON option.layer_id = layer.id WHERE product.slug = :slug"
                ),
                {"slug": slug},
            ).all()
        found: dict[str, int] = {}
        for layer_name, layer_id, option_name, option_id in rows:
            found[layer_name] = layer_id
            found[option_name] = option_id
        return found

    def product_id(self, slug: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT id FROM product WHERE slug = :s"), {"s": slug}
                ).scalar_one()
            )


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with new_session(engine) as session:
        accounts.ensure_initial_admin(session, ADMIN_PASSWORD)
        load_demo(session)
    settings = Settings(
        host="127.0.0.1", port=0, database_url=url, admin_password=None, secure_cookies=False
    )
    yield Shop(app=create_app(settings, engine), engine=engine)
    engine.dispose()


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient[Litestar]]:
    with TestClient(shop.app) as test_client:
        yield test_client


def csrf(client: TestClient[Litestar]) -> str:
    """The CSRF token a page would embed (set as a cookie by any GET)."""
    if "csrftoken" not in client.cookies:
        client.get("/")
    return str(client.cookies["csrftoken"])


def login(client: TestClient[Litestar]) -> None:
    response = client.post(
        "/admin/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def money_values(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>\s*([^<]+)<', html)
    assert match, f"#{element_id} not found"
    return match.group(1).strip()
