"""Shoppers racing for the last units, against the real server with two worker processes.

Bounded: 100 shoppers, 127.0.0.1 only, a few seconds per scenario. Every shopper first fills
a cart (stock is only taken at checkout), then all check out at once.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

from configurator.cli import prepare
from configurator.services import stock
from configurator.settings import Settings
from configurator.store.db import make_engine, new_session
from configurator.store.models import Option
from tests.live_server import run_server

SHOPPERS = 100
PRODUCT = "aero-road-bike"
ADMIN_PASSWORD = "race-test-password-1"
CUSTOMER = {
    "customer_name": "Racing Shopper",
    "email": "racer@example.com",
    "address_line1": "1 Finish Line",
    "city": "Speedville",
    "postal_code": "12345",
    "country": "Netherlands",
}


@dataclass(frozen=True)
class Outcome:
    placed: bool
    refused: bool
    text: str


def _prepare(
    database_url: str, *, quantity: int, backorders: str | None, threshold: int | None
) -> tuple[int, int]:
    """The demo catalog, with the Honey Leather saddle at `quantity` on hand and the given
    backorder setting and Out-of-Stock Threshold. Returns (saddle layer id, option id)."""
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
        secure_cookies=False,
    )
    prepare(settings)
    engine = make_engine(database_url)
    with new_session(engine) as session:
        option = session.exec(select(Option).where(Option.sku == "SD-HONEY")).one()
        option.backorders = backorders
        option.out_of_stock_threshold = threshold
        stock.set_quantity(session, option, quantity, seen=None, username="race-test")
        session.add(option)
        session.commit()
        layer_id, option_id = option.layer_id, option.id
    engine.dispose()
    assert option_id is not None
    return layer_id, option_id


def _fill_cart(base: str, layer_id: int, option_id: int) -> httpx.Client:
    # No kept-alive connections: a cart filled early waits at the barrier longer than uvicorn
    # keeps an idle connection (5 s), and a request sent as the server closes it fails with
    # "Server disconnected" before reaching the app. A new connection per request is what
    # a shopper's browser opens after a pause anyway.
    client = httpx.Client(
        base_url=base,
        timeout=30,
        follow_redirects=True,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    client.get(f"/products/{PRODUCT}")
    added = client.post(
        "/cart/items",
        data={
            "product": PRODUCT,
            f"layer-{layer_id}": str(option_id),
            "quantity": "1",
            "_csrf_token": client.cookies["csrftoken"],
        },
    )
    assert added.status_code == 200 and "/cart" in str(added.url), added.text[:500]
    return client


def _check_out(client: httpx.Client, start: threading.Barrier) -> Outcome:
    form = client.get("/checkout").text
    match = re.search(r'name="checkout_key" value="([^"]+)"', form)
    assert match
    start.wait()
    response = client.post(
        "/checkout",
        data={
            **CUSTOMER,
            "checkout_key": match.group(1),
            "_csrf_token": client.cookies["csrftoken"],
        },
        follow_redirects=False,
    )
    location = response.headers.get("location", "")
    if location.startswith("/cart?checkout="):
        # Sent back to the cart, which says why nothing was ordered.
        return Outcome(False, True, client.get(location).text)
    return Outcome(location.startswith("/orders/"), False, response.text)


def _race(database_url: str, tmp_path: Path, layer_id: int, option_id: int) -> list[Outcome]:
    with run_server(
        database_url, tmp_path / "server.log", admin_password=ADMIN_PASSWORD, workers=2
    ) as server:
        with ThreadPoolExecutor(max_workers=16) as pool:
            clients = list(
                pool.map(lambda _: _fill_cart(server.url, layer_id, option_id), range(SHOPPERS))
            )
        start = threading.Barrier(SHOPPERS)
        with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
            outcomes = list(pool.map(lambda c: _check_out(c, start), clients))
        for client in clients:
            client.close()
    return outcomes


def _database_state(database_url: str, option_id: int) -> tuple[int, int, int, list[object]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        orders = connection.execute(text("SELECT count(*) FROM customer_order")).scalar_one()
        backordered = connection.execute(
            text(
                "SELECT count(*) FROM order_line_option "
                "WHERE option_id = :o AND quantity_backordered > 0"
            ),
            {"o": option_id},
        ).scalar_one()
        quantity = connection.execute(
            text("SELECT quantity FROM option WHERE id = :o"), {"o": option_id}
        ).scalar_one()
    with new_session(engine) as session:
        mismatches: list[object] = list(stock.check(session))
    engine.dispose()
    return int(orders), int(backordered), int(quantity), mismatches


def test_three_left_and_no_backorders_sell_exactly_three(database_url: str, tmp_path: Path) -> None:
    layer_id, option_id = _prepare(database_url, quantity=3, backorders="no", threshold=None)

    outcomes = _race(database_url, tmp_path, layer_id, option_id)

    placed = [o for o in outcomes if o.placed]
    refused = [o for o in outcomes if o.refused]
    assert len(placed) == 3, [o.text[:200] for o in outcomes if not o.placed][:3]
    assert len(refused) == SHOPPERS - 3
    assert all("Honey Leather" in o.text for o in refused)
    orders, backordered, quantity, mismatches = _database_state(database_url, option_id)
    assert (orders, backordered, quantity) == (3, 0, 0)
    assert mismatches == []


def test_a_threshold_of_minus_five_sells_three_plus_five_backordered(
    database_url: str, tmp_path: Path
) -> None:
    layer_id, option_id = _prepare(database_url, quantity=3, backorders="notify", threshold=-5)

    outcomes = _race(database_url, tmp_path, layer_id, option_id)

    placed = [o for o in outcomes if o.placed]
    refused = [o for o in outcomes if o.refused]
    assert len(placed) == 8, [o.text[:200] for o in outcomes if not o.placed][:3]
    assert len(refused) == SHOPPERS - 8
    assert all("Honey Leather" in o.text for o in refused)
    orders, backordered, quantity, mismatches = _database_state(database_url, option_id)
    assert (orders, backordered, quantity) == (8, 5, -5)
    assert mismatches == []
