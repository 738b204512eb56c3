"""Nothing a request needs lives in one process: one shopper's requests alternate between two
separately started servers on the same database, and the cart, checkout and admin still work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from tests.concurrency.databases import fresh_database_url
from tests.live_server import run_server

PASSWORD = "two-servers-password-1"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(tmp_path)


def test_one_shopper_alternating_between_two_servers(database_url: str, tmp_path: Path) -> None:
    with (
        run_server(database_url, tmp_path / "a.log", admin_password=PASSWORD) as a,
        run_server(database_url, tmp_path / "b.log", admin_password=PASSWORD) as b,
        httpx.Client(timeout=30) as client,
    ):
        servers = cycle([a.url, b.url])

        def url(path: str) -> str:
            return next(servers) + path

        page = client.get(url("/products/aero-road-bike"))
        wheels, carbon = re.search(
            r'name="layer-(\d+)" value="(\d+)"[^>]*aria-describedby="notice-\d+"', page.text
        ).groups()  # type: ignore[union-attr]
        csrf = client.cookies["csrftoken"]

        added = client.post(
            url("/cart/items"),
            data={
                "product": "aero-road-bike",
                f"layer-{wheels}": carbon,
                "quantity": "2",
                "_csrf_token": csrf,
            },
        )
        assert added.status_code == 303

        cart = client.get(url("/cart"))
        assert "(Available Backorder)" in cart.text
        assert "Carbon Deep" in cart.text

        form = client.get(url("/checkout"))
        key = re.search(r'name="checkout_key" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        customer = {
            "customer_name": "Ada Lovelace",
            "email": "ada@example.com",
            "address_line1": "12 Analytical Row",
            "city": "London",
            "postal_code": "N1 9GU",
            "country": "United Kingdom",
            "checkout_key": key,
            "_csrf_token": csrf,
        }
        placed = client.post(url("/checkout"), data=customer)
        again = client.post(url("/checkout"), data=customer)  # the other server, same form
        assert placed.status_code == again.status_code == 303
        assert placed.headers["location"] == again.headers["location"]
        confirmation = client.get(url(placed.headers["location"]))
        assert "Thank you, your order is placed" in confirmation.text
        assert "Your order ships once restocked." in confirmation.text
        assert "Your cart is empty" in client.get(url("/cart")).text

        signed_in = client.post(
            url("/admin/login"),
            data={"username": "admin", "password": PASSWORD, "_csrf_token": csrf},
        )
        assert signed_in.status_code == 303
        orders = client.get(url("/admin/orders"))
        assert orders.status_code == 200
        assert orders.text.count("Backorder: ships once restocked") == 1
