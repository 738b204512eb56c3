"""How long a 10,000-row stock CSV takes to check (the dry run) and to apply, on SQLite.

    .venv/bin/python -m benchmarks.stock_import [ROWS]

Builds a throwaway shop with one product of ROWS tracked options (100 per layer), exports
it, raises every quantity by one and imports that file twice: a dry run, then the apply (one
transaction, one stock movement per option).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from configurator.services import inventory
from configurator.store.db import make_engine, migrate, new_session, unit_of_work
from configurator.store.models import Layer, Option, Product


def build_shop(url: str, rows: int) -> None:
    migrate(url)
    engine = make_engine(url)
    with new_session(engine) as session, unit_of_work(session, write=True):
        product = Product(name="Bench", slug="bench", published=True)
        session.add(product)
        session.flush()
        assert product.id is not None
        for start in range(0, rows, 100):
            layer = Layer(product_id=product.id, name=f"Layer {start // 100 + 1}")
            session.add(layer)
            session.flush()
            assert layer.id is not None
            session.add_all(
                Option(
                    layer_id=layer.id,
                    name=f"Option {n}",
                    sku=f"SKU-{n:06d}",
                    position=n,
                    stock_management=True,
                    track_inventory=True,
                )
                for n in range(start, min(start + 100, rows))
            )
    engine.dispose()


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        build_shop(url, rows)
        engine = make_engine(url)
        with new_session(engine) as session:
            exported = inventory.export_csv(session)
            lines = exported.decode("utf-8-sig").splitlines()
            raised = [lines[0]]
            for line in lines[1:]:
                cells = line.split(",")
                cells[5] = str(int(cells[5]) + 1)
                raised.append(",".join(cells))
            data = ("\r\n".join(raised) + "\r\n").encode()
            # The admin's jobs pass a progress callback (the row count first, then a report
            # every 500 rows), so the benchmark does too; this one only counts the reports.
            reports = [0]

            def progress(done: int, total: int) -> None:
                reports[0] += 1

            began = time.perf_counter()
            plan = inventory.import_csv(session, data, "bench.csv", apply=False, progress=progress)
            checked = time.perf_counter() - began
            assert plan.ok and len(plan.changes) == rows, plan.errors[:3]
            began = time.perf_counter()
            inventory.import_csv(session, data, "bench.csv", apply=True, progress=progress)
            applied = time.perf_counter() - began
        engine.dispose()
    print(
        f"stock import of {rows:,} rows ({len(data) / 1e6:.1f} MB) on SQLite: "
        f"check {checked:.2f} s, apply {applied:.2f} s (check included), "
        f"{reports[0]} progress reports"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
