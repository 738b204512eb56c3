"""Two merchants save at the same moment through two separately started servers on the same
database: every save lands, none answers 503 ("database is locked") because the other one
committed after its first read."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx

from tests.live_server import run_server

PASSWORD = "admin-saves-password-1"
ROUNDS = 15
PRODUCTS = {"Aero Road Bike": "aero-road-bike", "Court Sneaker": "court-sneaker"}


def _signed_in(base: str) -> tuple[httpx.Client, str]:
    merchant = httpx.Client(timeout=60)
    merchant.get(base + "/admin/login")
    csrf = merchant.cookies["csrftoken"]
    signed_in = merchant.post(
        base + "/admin/login",
        data={"username": "admin", "password": PASSWORD, "_csrf_token": csrf},
    )
    assert signed_in.status_code == 303
    return merchant, csrf


def test_two_merchants_saving_at_once_on_two_servers_both_succeed(
    database_url: str, tmp_path: Path
) -> None:
    with (
        run_server(database_url, tmp_path / "a.log", admin_password=PASSWORD) as a,
        run_server(database_url, tmp_path / "b.log", admin_password=PASSWORD) as b,
    ):
        start = threading.Barrier(2)
        answers: dict[str, list[int]] = {name: [] for name in PRODUCTS}

        def merchant_saves(base: str, name: str) -> None:
            merchant, csrf = _signed_in(base)
            try:
                product = re.search(
                    rf'href="/admin/products/(\d+)">{name}', merchant.get(base + "/admin").text
                ).group(1)  # type: ignore[union-attr]
                for round_number in range(ROUNDS):
                    start.wait(timeout=60)
                    saved = merchant.post(
                        f"{base}/admin/products/{product}/details",
                        data={
                            "name": f"{name} {round_number}",
                            "slug": PRODUCTS[name],
                            "base_price": "120.00",
                            "description": f"Saved in round {round_number}.",
                            "_csrf_token": csrf,
                        },
                    )
                    answers[name].append(saved.status_code)
            except BaseException:
                start.abort()  # the other merchant stops waiting for this one
                raise
            finally:
                merchant.close()

        merchants = [
            threading.Thread(target=merchant_saves, args=(base, name))
            for base, name in zip((a.url, b.url), PRODUCTS, strict=True)
        ]
        for merchant in merchants:
            merchant.start()
        for merchant in merchants:
            merchant.join(timeout=300)

        assert answers == {name: [303] * ROUNDS for name in PRODUCTS}
        with httpx.Client(timeout=30) as shopper:
            for name, slug in PRODUCTS.items():
                page = shopper.get(f"{a.url}/products/{slug}").text
                assert f"{name} {ROUNDS - 1}" in page
