"""`configurator scenario NAME`: each named state is what a shopper then sees (issue 10)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from configurator import cli
from configurator.services import scenarios
from configurator.store.db import new_session
from tests.integration.conftest import Shop, add_to_cart, notices


def apply(shop: Shop, name: str) -> None:
    with new_session(shop.engine) as session:
        scenarios.apply(session, name)


def test_every_scenario_is_listed_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenario", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "backorder-demo",
        "sold-out-saddle",
        "threshold-minus-5",
        "custom-backordering",
        "empty-shop",
    ]


def test_an_unknown_scenario_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/shop.sqlite3")
    assert cli.main(["scenario", "nope"]) == 2
    assert "No scenario 'nope'" in capsys.readouterr().err


def test_empty_shop_then_backorder_demo(shop: Shop, client: TestClient[Litestar]) -> None:
    apply(shop, "empty-shop")
    assert shop.count("product") == 0
    assert client.get("/products/aero-road-bike").status_code == 404
    apply(shop, "backorder-demo")
    page = client.get("/products/aero-road-bike").text
    assert "Available on Backorder" in page
    assert "Only 3 left" in page


def test_sold_out_saddle(shop: Shop, client: TestClient[Litestar]) -> None:
    apply(shop, "sold-out-saddle")
    page = client.get("/products/aero-road-bike").text
    assert "Only 3 left" not in page
    assert "Honey Leather" in page
    assert shop.scalar("SELECT quantity FROM option WHERE name = 'Honey Leather'") == 0
    assert shop.scalar("SELECT count(*) FROM stock_movement WHERE username = 'scenario'") == 1


def test_threshold_minus_5_sells_8_honey_leather(shop: Shop, client: TestClient[Litestar]) -> None:
    apply(shop, "threshold-minus-5")
    ids = shop.ids("aero-road-bike")
    choice = {ids["Saddle"]: shop.option_id("aero-road-bike", "Saddle", "Honey Leather")}
    response = add_to_cart(client, "aero-road-bike", choice, quantity=9)
    assert any("Only 8" in notice for notice in notices(response.text)), response.text
    add_to_cart(client, "aero-road-bike", choice, quantity=8)
    cart = client.get("/cart").text
    assert "(Available Backorder)" in cart
    assert "3 ship now, 5 once restocked." in cart


def test_custom_backordering_asks_before_backordering(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    apply(shop, "custom-backordering")
    ids = shop.ids("aero-road-bike")
    choice = {ids["Wheels"]: shop.option_id("aero-road-bike", "Wheels", "Gravel Tan")}
    response = add_to_cart(client, "aero-road-bike", choice, quantity=10)
    assert "do you want to back order the other 5?" in response.text
