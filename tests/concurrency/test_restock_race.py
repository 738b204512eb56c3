"""Restocks and checkouts racing on the real server (two worker processes): merchants receive
units one by one while shoppers backorder the same option. No unit is allocated twice: at the
end, the units still waiting are exactly what the quantity on hand owes, every allocation stays
within its line's Qty Backordered, the movements add up, and each order's stored status is the
one its lines give."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

from configurator.core.fulfilment import order_fulfilment
from configurator.services import stock
from configurator.store.db import make_engine, new_session
from configurator.store.models import CustomerOrder, OrderLine, OrderLineOption
from tests.concurrency.test_race import (
    ADMIN_PASSWORD,
    _check_out,
    _fill_cart,
    _prepare,
)
from tests.live_server import run_server

SHOPPERS = 40
MERCHANTS = 4
RECEIPTS_EACH = 6  # 24 units arrive, one at a time, while 40 are ordered


def _merchant(base: str, product_id: int, option_id: int, start: threading.Barrier) -> list[int]:
    with httpx.Client(base_url=base, timeout=60) as merchant:
        merchant.get("/admin/login")
        csrf = merchant.cookies["csrftoken"]
        signed_in = merchant.post(
            "/admin/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "_csrf_token": csrf},
        )
        assert signed_in.status_code == 303
        start.wait(timeout=120)
        answers = []
        for _ in range(RECEIPTS_EACH):
            received = merchant.post(
                f"/admin/products/{product_id}/options/{option_id}/receive",
                data={"received": "1", "note": "race", "_csrf_token": csrf},
            )
            answers.append(received.status_code)
        return answers


def test_restocks_racing_checkouts_never_allocate_a_unit_twice(
    database_url: str, tmp_path: Path
) -> None:
    layer_id, option_id = _prepare(database_url, quantity=0, backorders="notify", threshold=None)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        product_id = connection.execute(
            text("SELECT product_id FROM layer WHERE id = :l"), {"l": layer_id}
        ).scalar_one()

    with run_server(
        database_url, tmp_path / "server.log", admin_password=ADMIN_PASSWORD, workers=2
    ) as server:
        with ThreadPoolExecutor(max_workers=8) as pool:
            clients = list(
                pool.map(lambda _: _fill_cart(server.url, layer_id, option_id), range(SHOPPERS))
            )
        start = threading.Barrier(SHOPPERS + MERCHANTS)
        with ThreadPoolExecutor(max_workers=SHOPPERS + MERCHANTS) as pool:
            merchants = [
                pool.submit(_merchant, server.url, product_id, option_id, start)
                for _ in range(MERCHANTS)
            ]
            outcomes = list(pool.map(lambda c: _check_out(c, start), clients))
            answers = [code for m in merchants for code in m.result()]
        for client in clients:
            client.close()

    assert all(o.placed for o in outcomes), [o.text[:200] for o in outcomes if not o.placed][:2]
    assert answers == [303] * (MERCHANTS * RECEIPTS_EACH)
    received = MERCHANTS * RECEIPTS_EACH
    with new_session(engine) as session:
        assert stock.check(session) == []
        quantity = session.execute(
            text("SELECT quantity FROM option WHERE id = :o"), {"o": option_id}
        ).scalar_one()
        assert quantity == received - SHOPPERS
        rows = session.exec(
            select(OrderLineOption).where(OrderLineOption.option_id == option_id)
        ).all()
        assert len(rows) == SHOPPERS
        assert all(0 <= r.quantity_allocated <= r.quantity_backordered for r in rows)
        waiting = sum(r.quantity_backordered - r.quantity_allocated for r in rows)
        assert waiting == max(0, -quantity)  # what the quantity owes waits, nothing more
        in_stock_sold = sum(r.stock_taken - r.quantity_backordered for r in rows)
        allocated = sum(r.quantity_allocated for r in rows)
        assert in_stock_sold + allocated == received  # every received unit went once
        allocations = session.execute(
            text(
                "SELECT count(*), coalesce(sum(delta), 0) FROM stock_movement"
                " WHERE option_id = :o AND reason = 'allocated'"
            ),
            {"o": option_id},
        ).one()
        assert int(allocations[1]) == allocated
        for order in session.exec(select(CustomerOrder)).all():
            lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
            progress = [
                stock.line_progress(
                    line,
                    session.exec(
                        select(OrderLineOption).where(OrderLineOption.order_line_id == line.id)
                    ).all(),
                )
                for line in lines
            ]
            assert order.fulfilment == order_fulfilment(progress).value, order.number
    engine.dispose()
