"""Charge on restock under a race: 100 shoppers check out the last units at once (two worker
processes). Every cart was read while 3 were on hand, so each shopper's checkout planned to
charge now; those that took their unit after the first 3 find it backordered, and their order
becomes a Pending order (nothing charged) in the same transaction. Exactly 3 orders are charged,
5 are Pending, the rest are refused, and the stock movements add up."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from configurator.core.charging import ChargePolicy
from configurator.services import charging
from configurator.store.db import make_engine, new_session, unit_of_work
from tests.concurrency.test_race import SHOPPERS, _database_state, _prepare, _race


def _charge_on_restock(database_url: str) -> None:
    engine = make_engine(database_url)
    with new_session(engine) as session, unit_of_work(session, write=True):
        charging.write_charge_policy(session, ChargePolicy.CHARGE_ON_RESTOCK)
    engine.dispose()


def test_units_backordered_by_the_race_go_to_pending_orders(
    database_url: str, tmp_path: Path
) -> None:
    layer_id, option_id = _prepare(database_url, quantity=3, backorders="notify", threshold=-5)
    _charge_on_restock(database_url)

    outcomes = _race(database_url, tmp_path, layer_id, option_id)

    assert len([o for o in outcomes if o.placed]) == 8
    assert len([o for o in outcomes if o.refused]) == SHOPPERS - 8
    orders, backordered, quantity, mismatches = _database_state(database_url, option_id)
    assert (orders, backordered, quantity) == (8, 5, -5)
    assert mismatches == []
    engine = make_engine(database_url)
    with engine.connect() as connection:
        kinds = connection.execute(
            text(
                "SELECT o.pending, o.main_order_id IS NULL, o.fulfilment, "
                "sum(l.quantity_backordered) FROM customer_order o "
                "JOIN order_line l ON l.order_id = o.id "
                "GROUP BY o.id, o.pending, o.main_order_id, o.fulfilment ORDER BY o.id"
            )
        ).all()
    engine.dispose()
    charged = [row for row in kinds if not row[0]]
    pending = [row for row in kinds if row[0]]
    assert len(charged) == 3 and all(row[2] == "ready" and row[3] == 0 for row in charged)
    # Each shopper's only line was backordered: a Pending order alone, waiting for stock.
    assert len(pending) == 5 and all(row[1] and row[2] == "awaiting" for row in pending)
