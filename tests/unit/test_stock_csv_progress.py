"""A stock import's check tells how far it is (the admin's progress bar), every few hundred
rows and at the end, and counts the rows it will go through before it starts."""

from __future__ import annotations

import pytest

from configurator.core.stock_csv import PROGRESS_EVERY, FileRefused, plan_import, rows_in
from tests.unit.test_stock_csv import csv_of, row


def test_the_check_reports_every_chunk_of_rows_and_the_end() -> None:
    options = [row(n) for n in range(1, 1202)]
    data = csv_of("sku,quantity", *(f"SKU-{n},{n % 9}" for n in range(1, 1202)))
    told: list[tuple[int, int]] = []
    plan = plan_import(data, options, lambda done, total: told.append((done, total)))
    assert rows_in(data) == 1201
    assert told == [(0, 1201), (PROGRESS_EVERY, 1201), (2 * PROGRESS_EVERY, 1201), (1201, 1201)]
    assert plan == plan_import(data, options)


def test_counting_the_rows_refuses_what_the_check_refuses() -> None:
    with pytest.raises(FileRefused, match="must name the columns"):
        rows_in(csv_of("name,price", "Bell,10"))
    assert rows_in(csv_of("sku,quantity")) == 0
