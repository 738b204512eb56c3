"""Nothing a request needs lives in one process: one shopper's requests alternate between two
separately started servers on the same database, and the cart, checkout and admin still work."""

from __future__ import annotations

import re
from itertools import cycle
from pathlib import Path

import httpx

from tests.live_server import run_server

PASSWORD = "two-servers-password-1"


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
        assert "all of it ships once restocked." in confirmation.text
        assert "Your cart is empty" in client.get(url("/cart")).text

        signed_in = client.post(
            url("/admin/login"),
            data={"username": "admin", "password": PASSWORD, "_csrf_token": csrf},
        )
        assert signed_in.status_code == 303
        orders = client.get(url("/admin/orders"))
        assert orders.status_code == 200
        assert orders.text.count('badge-awaiting">Awaiting stock</span>') == 1


def test_a_merchant_save_on_one_server_reaches_the_other_servers_cache(
    database_url: str, tmp_path: Path
) -> None:
    with (
        run_server(database_url, tmp_path / "a.log", admin_password=PASSWORD) as admin_side,
        run_server(database_url, tmp_path / "b.log", admin_password=PASSWORD) as shop_side,
        httpx.Client(timeout=30) as merchant,
        httpx.Client(timeout=30) as shopper,
    ):
        page = shopper.get(shop_side.url + "/products/aero-road-bike")
        wheels, carbon = re.search(
            r'name="layer-(\d+)" value="(\d+)"[^>]*aria-describedby="notice-\d+"', page.text
        ).groups()  # type: ignore[union-attr]
        fragment = f"{shop_side.url}/products/aero-road-bike?layer-{wheels}={carbon}"
        htmx = {"HX-Request": "true"}
        for _ in range(3):  # rendered once, then served from the shop server's memory
            assert "Available on Backorder" in shopper.get(fragment, headers=htmx).text

        merchant.get(admin_side.url + "/admin/login")
        csrf = merchant.cookies["csrftoken"]
        signed_in = merchant.post(
            admin_side.url + "/admin/login",
            data={"username": "admin", "password": PASSWORD, "_csrf_token": csrf},
        )
        assert signed_in.status_code == 303
        product = re.search(
            r'href="/admin/products/(\d+)">Aero Road Bike',
            merchant.get(admin_side.url + "/admin").text,
        ).group(1)  # type: ignore[union-attr]
        saved = merchant.post(
            f"{admin_side.url}/admin/products/{product}/settings",
            data={"stock_management": "on", "backorders": "no", "_csrf_token": csrf},
        )
        assert saved.status_code == 303

        after = shopper.get(fragment, headers=htmx).text
        assert "Available on Backorder" not in after
        assert "Wheels: Carbon Deep is out of stock and cannot be ordered." in after
