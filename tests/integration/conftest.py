"""Integration fixtures: a real database per test, migrated and loaded with the demo.

SQLite by default; TEST_DATABASE=postgresql runs the same tests on databases in a throwaway
PostgreSQL server that the session starts and stops (tests/postgres.py). Either way the demo is
loaded once into a template that each test copies (a file copy, or CREATE DATABASE ... TEMPLATE).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from configurator.services import accounts
from configurator.services.composer import PICTURE_SETTING
from configurator.services.demo import load_demo
from configurator.settings import Settings
from configurator.store.db import make_engine, migrate, new_session
from configurator.store.models import AdminUser
from configurator.web.app import create_app
from configurator.web.common import ADMIN_COOKIE
from tests.databases import Databases

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
    "stock_movement",
    "product_rule",
    "product_rule_option",
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
                    "SELECT id, name, slug, base_price_cents, stock_management, backorders,"
                    " out_of_stock_threshold, only_x_left_threshold, notify_below,"
                    " new_option_backorders, allow_custom_backordering, published FROM product"
                    " ORDER BY id"
                )
            ).all()
            state["options"] = connection.execute(
                text(
                    "SELECT id, name, sku, price_delta_cents, stock_management, stock_status,"
                    " image_id, track_inventory, quantity, backorders, out_of_stock_threshold,"
                    " only_x_left_threshold, notify_below FROM option ORDER BY id"
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

    def option_id(self, slug: str, layer: str, option: str) -> int:
        """One option's id by product, layer and option name (names repeat across layers)."""
        return int(
            self.scalar(
                "SELECT option.id FROM option JOIN layer ON layer.id = option.layer_id "
                "JOIN product ON product.id = layer.product_id "
                "WHERE product.slug = :s AND layer.name = :l AND option.name = :o",
                s=slug,
                l=layer,
                o=option,
            )
        )

    def scalar(self, sql: str, **params: object) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params: object) -> None:
        """Change the database behind the app's back (as another worker or the admin would).
        Like every writer of the catalog, it moves the catalog version, so caches notice."""
        with self.engine.begin() as connection:
            connection.execute(text(sql), params)
            connection.execute(text("UPDATE catalog_version SET version = version + 1"))

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)  # noqa: S608

    def product_id(self, slug: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT id FROM product WHERE slug = :s"), {"s": slug}
                ).scalar_one()
            )


@pytest.fixture(scope="session")
def template_database(databases: Databases) -> str:
    """Migrate, create the admin (a slow scrypt hash) and load the demo once per run; the URL
    of that database, which every test copies."""
    url = databases.empty("shop_template")
    migrate(url)
    engine = make_engine(url)
    with new_session(engine) as session:
        accounts.ensure_initial_admin(session, ADMIN_PASSWORD)
        load_demo(session)
        accounts.shared_secret(session)
        accounts.shared_secret(session, PICTURE_SETTING)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def shared_app(template_database: str) -> Iterator[Litestar]:
    """One application for the whole run (building it and compiling its templates is the slow
    part); each test points it at its own database copy through `app.state.engine`. Every copy
    holds the same CSRF secret, which the app reads from the database when it is created."""
    engine = make_engine(template_database)
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url=template_database,
        admin_password=None,
        secure_cookies=False,
    )
    app = create_app(settings, engine)
    engine.dispose()
    yield app


@pytest.fixture
def shop(databases: Databases, template_database: str, shared_app: Litestar) -> Iterator[Shop]:
    """A fresh copy of the migrated demo database for every test, served by the shared app."""
    url = databases.copy(template_database)
    engine = make_engine(url)
    shared_app.state.engine = engine
    yield Shop(app=shared_app, engine=engine)
    engine.dispose()
    databases.discard(url)


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


def sign_in(shop: Shop, client: TestClient[Litestar]) -> None:
    """A signed-in merchant without the deliberately slow password check; for tests about
    something else than signing in (the login form has tests of its own)."""
    with new_session(shop.engine) as session:
        user = session.exec(select(AdminUser).where(AdminUser.username == "admin")).one()
        token = accounts.start_session(session, user)
    client.cookies.set(ADMIN_COOKIE, token)


def money_values(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>\s*([^<]+)<', html)
    assert match, f"#{element_id} not found"
    return match.group(1).strip()


HX = {"HX-Request": "true"}
CUSTOMER = {
    "customer_name": "Ada Lovelace",
    "email": "ada@example.com",
    "address_line1": "12 Analytical Row",
    "address_line2": "",
    "city": "London",
    "postal_code": "N1 7AA",
    "country": "United Kingdom",
}
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 6">'
    b'<rect width="8" height="6" fill="#c0ffee"/></svg>'
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
NO_FILE = {"image": ("", b"", "application/octet-stream")}


def varies_on_htmx(response: Response) -> bool:
    vary = response.headers.get("vary", "")
    return "hx-request" in {part.strip().lower() for part in vary.split(",")}


def post_form(
    client: TestClient[Litestar],
    path: str,
    data: Mapping[str, object] | None = None,
    *,
    htmx: bool = False,
    token: bool = True,
    files: Mapping[str, tuple[str, bytes, str]] | None = None,
) -> Response:
    """A form post as a browser sends it: with the page's CSRF token, redirects not followed."""
    form = {k: str(v) for k, v in (data or {}).items()}
    if token:
        form["_csrf_token"] = csrf(client)
    return client.post(
        path,
        data=form,
        files=dict(files) if files is not None else None,
        headers=HX if htmx else None,
        follow_redirects=False,
    )


def add_to_cart(
    client: TestClient[Litestar],
    slug: str,
    choices: Mapping[int, int | str] | None = None,
    quantity: object = 1,
    *,
    htmx: bool = False,
) -> Response:
    data: dict[str, object] = {"product": slug, "quantity": quantity}
    data.update({f"layer-{layer}": option for layer, option in (choices or {}).items()})
    return post_form(client, "/cart/items", data, htmx=htmx)


def line_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'id="line-(\d+)"', html)]


def cents(amount: str) -> int:
    """An amount as shown ("$1,749.00") in cents (174900)."""
    sign = -1 if amount.startswith("-") else 1
    return sign * int(re.sub(r"[^0-9]", "", amount))


def notices(html: str, kind: str = "error") -> list[str]:
    """The text of every notice of a kind ("error", "backorder", ...), tags stripped."""
    found = re.findall(rf'class="notice notice-{kind}"[^>]*>(.*?)</(?:p|div)>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


def field_errors(html: str) -> dict[str, str]:
    """Field name -> the message shown right under it."""
    found = re.findall(r'<p class="field-message" id="([^"]+)-error">([^<]*)</p>', html)
    return {field: unescape(message) for field, message in found}
