"""Stock in bulk: CSV export and import (dry run, all or nothing), the Inventory page's bulk
edit, and the repair of stored statuses that disagree with the rules."""

from __future__ import annotations

import re
import time
from datetime import datetime
from html import unescape
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from configurator.cli import main
from configurator.core.stock_csv import COLUMNS, MAX_CSV_BYTES
from configurator.services import inventory, stock
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import Option
from tests.integration.conftest import Shop, csrf, post_form, sign_in
from tests.integration.test_fulfilment import (
    mails_of,
    order,
    quantity,
    set_on_hand,
    status,
    stock_is_consistent,
)

HEADER = ",".join(COLUMNS)
BIKE = "aero-road-bike"


def export(client: TestClient[Litestar]) -> bytes:
    response = client.get("/admin/inventory/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return response.content


JOB = re.compile(r"/admin/inventory/import/([\w-]+)$")


def finished(client: TestClient[Litestar], address: str) -> tuple[int, str]:
    """The import's page once its check or apply has finished (it runs in the background)."""
    deadline = time.monotonic() + 30
    while True:
        response = client.get(address)
        if 'http-equiv="refresh"' not in response.text or time.monotonic() > deadline:
            return response.status_code, response.text
        time.sleep(0.05)


def upload(
    client: TestClient[Litestar], content: bytes, name: str = "stock.csv"
) -> tuple[int, str]:
    """Check the file: the import's page once the check is done (or the refusal at once)."""
    response = post_form(
        client, "/admin/inventory/import", files={"file": (name, content, "text/csv")}
    )
    if response.status_code != 303:
        return response.status_code, response.text
    return finished(client, response.headers["location"])


def apply(client: TestClient[Litestar], content: bytes, name: str = "stock.csv") -> tuple[int, str]:
    """Check the file, then apply it if the check offers to: the page at the end."""
    status, html = upload(client, content, name)
    found = re.search(r'action="(/admin/inventory/import/[\w-]+)/apply"', html)
    if not found:
        return status, html
    response = post_form(client, f"{found.group(1)}/apply")
    assert response.status_code == 303, response.text
    return finished(client, response.headers["location"])


def errors_shown(html: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table[^>]*id="import-errors".*?</table>', html, re.S)
    if not table:
        return []
    cells = re.findall(
        r'<td data-label="Row">(\d+)</td><td data-label="Column">([^<]*)</td>'
        r'<td data-label="Problem">([^<]*)</td>',
        table.group(0),
    )
    return [(row, column, unescape(message)) for row, column, message in cells]


def honey(shop: Shop) -> tuple[int, int]:
    option = shop.option_id(BIKE, "Saddle", "Honey Leather")
    return option, int(shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option))


def sku_of(shop: Shop, option_id: int) -> str:
    return str(shop.scalar("SELECT sku FROM option WHERE id = :i", i=option_id))


@pytest.fixture
def admin(shop: Shop, client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(shop, client)
    return client


def test_export_lists_every_option_with_the_columns(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    data = export(admin)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert len(lines) - 1 == shop.count("option")
    option, quantity = honey(shop)
    row = next(line for line in lines if ",Honey Leather," in line)
    assert row.startswith(
        f"{sku_of(shop, option)},Aero Road Bike,Saddle,Honey Leather,Y,{quantity},"
    )


def test_the_export_imported_unchanged_changes_nothing(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    data = export(admin)
    before = shop.snapshot()
    status, html = upload(admin, data)
    assert status == 200
    assert "0 option(s) would change" in html
    assert "Apply these changes" not in html
    assert shop.snapshot() == before
    assert export(admin) == data


def test_dry_run_shows_changes_and_writes_nothing_then_apply_writes_them(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    option, quantity = honey(shop)
    sku = sku_of(shop, option)
    content = (
        f"sku,quantity,restock_timeframe\r\n{sku},{quantity + 7},ships in 2 weeks\r\n".encode()
    )
    before = shop.snapshot()
    status, html = upload(admin, content, "restock.csv")
    assert status == 200
    assert f"quantity: {quantity} → {quantity + 7}" in unescape(html)
    assert "restock_timeframe: (empty) → ships in 2 weeks" in unescape(html)
    assert "Apply these changes" in html
    assert shop.snapshot() == before
    status, html = apply(admin, content, "restock.csv")
    assert status == 200, html
    assert "Imported restock.csv: 1 option(s) changed" in html
    assert shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option) == quantity + 7
    movement = shop.scalar(
        "SELECT reason || '|' || note || '|' || delta FROM stock_movement "
        "WHERE option_id = :i ORDER BY id DESC LIMIT 1",
        i=option,
    )
    assert movement == "import|file restock.csv|7"
    assert (
        shop.scalar("SELECT restock_timeframe FROM option WHERE id = :i", i=option)
        == "ships in 2 weeks"
    )


def test_one_bad_row_writes_nothing(shop: Shop, admin: TestClient[Litestar]) -> None:
    option, quantity = honey(shop)
    sku = sku_of(shop, option)
    content = f"sku,quantity\r\n{sku},{quantity + 1}\r\nNO-SUCH-SKU,4\r\n".encode()
    before = shop.snapshot()
    status, html = apply(admin, content)
    assert status == 422
    assert "nothing was imported" in html
    assert errors_shown(html) == [("3", "sku", 'Unknown SKU "NO-SUCH-SKU": no option has it.')]
    assert shop.snapshot() == before


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "sku,quantity\r\nNOPE,1\r\n",
            [("2", "sku", 'Unknown SKU "NOPE": no option has it.')],
        ),
        (
            "sku,track_inventory\r\n{sku},maybe\r\n",
            [("2", "track_inventory", 'Write Y or N, not "maybe".')],
        ),
        (
            "sku,quantity,backorders\r\n{sku},-3,no\r\n",
            [
                (
                    "2",
                    "quantity",
                    "-3 is below zero, but this option's backorders are off "
                    '("No backorders"); allow backorders or write 0 or more.',
                )
            ],
        ),
        (
            "sku,only_x_left_threshold\r\n{sku},two\r\n",
            [
                (
                    "2",
                    "only_x_left_threshold",
                    'Must be a whole number, or empty to use the global setting, not "two".',
                )
            ],
        ),
        (
            "sku,quantity\r\n{sku},1\r\n{sku},2\r\n",
            [("3", "sku", 'SKU "{sku}" is already on row 2.')],
        ),
        (
            "sku,Stock_Track\r\n{sku},maybe\r\n",
            [("2", "Stock_Track", 'Write Y or N, not "maybe".')],
        ),
        (
            "sku,product,layer,option,quantity\r\n,Aero Road Bike,Saddle,Velvet,1\r\n",
            [("2", "option", 'No option "Velvet" in layer "Saddle" of "Aero Road Bike".')],
        ),
    ],
)
def test_row_errors_show_row_column_and_reason(
    shop: Shop, admin: TestClient[Litestar], rows: str, expected: list[tuple[str, str, str]]
) -> None:
    option, _quantity = honey(shop)
    sku = sku_of(shop, option)
    before = shop.snapshot()
    status, html = upload(admin, rows.format(sku=sku).encode())
    assert status == 422
    assert errors_shown(html) == [(r, c, m.format(sku=sku)) for r, c, m in expected]
    assert "Apply these changes" not in html
    assert shop.snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"x" * (MAX_CSV_BYTES + 1),
            "The file is 4.0 MB; the limit is 4 MB. Split it into smaller files.",
        ),
        (
            "sku,quantity\r\nSATTEL-Ä,1\r\n".encode("latin-1"),
            "The file is not UTF-8 text (line 2 cannot be read). In your spreadsheet choose "
            'Save As > "CSV UTF-8" and upload that file.',
        ),
        (
            b"PK\x03\x04\x14\x00workbook",
            "This is a spreadsheet workbook, not a CSV file. In your spreadsheet choose "
            'Save As > "CSV UTF-8" and upload that file.',
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00",
            "This is not a CSV file (it holds binary data). Upload the CSV that an export "
            "gives, or save your sheet as CSV UTF-8.",
        ),
        (
            b"name,price\r\nBell,10\r\n",
            "The first row must name the columns, with sku, or product, layer and option, "
            "to say which option each row is for. Export a CSV to see them.",
        ),
    ],
)
def test_files_that_are_refused(
    shop: Shop, admin: TestClient[Litestar], content: bytes, message: str
) -> None:
    before = shop.snapshot()
    status, html = upload(admin, content, "bad.csv")
    assert status == 422
    assert "bad.csv was not imported." in html
    assert message in unescape(html)
    assert shop.snapshot() == before


def test_no_file_chosen(admin: TestClient[Litestar]) -> None:
    response = post_form(
        admin, "/admin/inventory/import", files={"file": ("", b"", "application/octet-stream")}
    )
    assert response.status_code == 422
    assert "Choose a CSV file to import." in response.text


def test_lightspeed_aliases(shop: Shop, admin: TestClient[Litestar]) -> None:
    option, _quantity = honey(shop)
    sku = sku_of(shop, option)
    content = f"SKU,Stock_Track,Stock_Disable_Sold_Out\r\n{sku},N,N\r\n".encode()
    status, html = apply(admin, content)
    assert status == 200, html
    assert not shop.scalar("SELECT track_inventory FROM option WHERE id = :i", i=option)
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=option) == "allow"
    status, html = apply(admin, f"sku,Stock_Disable_Sold_Out\r\n{sku},Y\r\n".encode())
    assert status == 200, html
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=option) == "no"


def test_the_import_needs_the_csrf_token(shop: Shop, admin: TestClient[Litestar]) -> None:
    response = admin.post(
        "/admin/inventory/import",
        files={"file": ("x.csv", b"sku,quantity\r\nSD-HONEY,0\r\n", "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert shop.count("import_job") == 0


def test_command_line_export_and_import(
    shop: Shop,
    admin: TestClient[Litestar],
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    monkeypatch.setenv("DATABASE_URL", str(shop.engine.url.render_as_string(hide_password=False)))
    out = tmp_path / "stock.csv"
    assert main(["stock", "export", "--output", str(out)]) == 0
    assert out.read_bytes() == export(admin)
    assert main(["stock", "import", str(out), "--dry-run"]) == 0
    assert "0 change(s)" in capsys.readouterr().out
    option, quantity = honey(shop)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"sku,quantity\n{sku_of(shop, option)},5\nNOPE,1\n")
    assert main(["stock", "import", str(bad)]) == 1
    printed = capsys.readouterr()
    assert 'row 3, column sku: Unknown SKU "NOPE": no option has it.' in printed.out
    assert shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option) == quantity


def test_bulk_edit_reviews_then_applies_in_one_go(shop: Shop, admin: TestClient[Litestar]) -> None:
    ids = shop.ids(BIKE)
    chosen = [ids["Honey Leather"], ids["Classic Black"]]
    form: dict[str, object] = {"backorders": "allow", "quantity_change": "3"}
    before = shop.snapshot()
    response = admin.post(
        "/admin/inventory/bulk",
        data={
            **{k: str(v) for k, v in form.items()},
            "option": [str(i) for i in chosen],
            "_csrf_token": csrf(admin),
        },
        follow_redirects=False,
    )
    assert response.status_code == 200, response.text
    assert "2 of 2 selected option(s) will change." in response.text
    assert shop.snapshot() == before
    quantities = {i: shop.scalar("SELECT quantity FROM option WHERE id = :i", i=i) for i in chosen}
    response = post_form(
        admin,
        "/admin/inventory/bulk",
        {**form, "ids": ",".join(str(i) for i in chosen), "confirm": "1"},
    )
    assert response.status_code == 200, response.text
    assert "Saved: 2 of 2 selected option(s) changed." in response.text
    for i in chosen:
        assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=i) == "allow"
        assert shop.scalar("SELECT quantity FROM option WHERE id = :i", i=i) == quantities[i] + 3


def test_bulk_subtract_below_zero_without_backorders_changes_nothing(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    option, quantity = honey(shop)
    before = shop.snapshot()
    response = post_form(
        admin,
        "/admin/inventory/bulk",
        {
            "ids": str(option),
            "quantity_change": str(-(quantity + 5)),
            "backorders": "no",
            "confirm": "1",
        },
    )
    assert response.status_code == 409
    assert "Nothing was changed." in response.text
    assert shop.snapshot() == before


def test_a_sale_during_a_bulk_edit_refuses_it_in_plain_words(
    shop: Shop, admin: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    option, quantity = honey(shop)
    before = shop.snapshot()
    real = stock.set_quantities

    def sale_in_between(session: Session, changes: Any, **kwargs: Any) -> Any:
        # A checkout commits a sale of the option after the edit read its quantity.
        session.connection().execute(
            text("UPDATE option SET quantity = quantity - 1 WHERE id = :i"), {"i": option}
        )
        return real(session, changes, **kwargs)

    monkeypatch.setattr(stock, "set_quantities", sale_in_between)
    response = post_form(
        admin,
        "/admin/inventory/bulk",
        {"ids": str(option), "quantity_change": "3", "backorders": "allow", "confirm": "1"},
    )
    assert response.status_code == 409
    page = unescape(response.text)
    assert "Nothing was changed." in page
    assert (
        "An order changed the quantity on hand of Aero Road Bike · Saddle · Honey Leather "
        f"meanwhile: it is now {quantity - 1}. Check the options again and apply the edit."
    ) in page
    assert shop.snapshot() == before


def test_inventory_page_filters(shop: Shop, admin: TestClient[Litestar]) -> None:
    page = admin.get("/admin/inventory")
    assert page.status_code == 200
    assert f"{shop.count('option')} option(s) match." in page.text
    low = admin.get("/admin/inventory?show=low")
    assert "Honey Leather" in low.text and "Carbon Deep" not in low.text
    backordered = admin.get("/admin/inventory?show=backordered")
    assert "Carbon Deep" in backordered.text


def test_repair_shows_then_fixes_a_stuck_status(shop: Shop, admin: TestClient[Litestar]) -> None:
    option, _quantity = honey(shop)
    # An untracked option whose stored status no release of ours writes (behind the app's back,
    # or by an old import): the storefront reads it as In Stock.
    shop.execute(
        "UPDATE option SET track_inventory = false, stock_status = 'sold-out' WHERE id = :i",
        i=option,
    )
    preview = admin.get("/admin/inventory/repair")
    assert "Repair will change 1 stored value(s)" in preview.text
    assert shop.scalar("SELECT stock_status FROM option WHERE id = :i", i=option) == "sold-out"
    response = post_form(admin, "/admin/inventory/repair")
    assert response.status_code == 200
    assert "Repaired 1 stored value(s)." in response.text
    assert shop.scalar("SELECT stock_status FROM option WHERE id = :i", i=option) == "in_stock"
    assert (
        shop.scalar(
            "SELECT reason || '|' || delta FROM stock_movement WHERE option_id = :i "
            "ORDER BY id DESC LIMIT 1",
            i=option,
        )
        == "repair|0"
    )


def test_a_tracked_option_that_sells_out_is_not_a_stuck_status(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    """A tracked option's status is derived from its quantity when read; the stored one is
    never used, so a sale that empties it is nothing for `stock check` to report."""
    option, _quantity = honey(shop)
    shop.execute(
        "UPDATE option SET quantity = 0, stock_status = 'in_stock' WHERE id = :i", i=option
    )
    assert "Nothing to repair" in admin.get("/admin/inventory/repair").text


def test_an_import_reaches_the_storefront_at_once(shop: Shop, admin: TestClient[Litestar]) -> None:
    page = admin.get(f"/products/{BIKE}")
    assert "Only 3 left" in page.text
    version = shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE)
    status, html = apply(admin, b"sku,quantity,backorders\r\nSD-HONEY,0,notify\r\n")
    assert status == 200, html
    assert shop.scalar("SELECT version FROM product WHERE slug = :s", s=BIKE) == version + 1
    option, _quantity = honey(shop)
    assert shop.scalar("SELECT stock_status FROM option WHERE id = :i", i=option) == "out_of_stock"
    page = admin.get(f"/products/{BIKE}?layer-{shop.ids(BIKE)['Saddle']}={option}")
    assert "Available on Backorder" in page.text


def test_check_reports_and_repair_fixes_from_the_command_line(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", shop.engine.url.render_as_string(hide_password=False))
    assert main(["stock", "check"]) == 0
    option, _quantity = honey(shop)
    shop.execute("UPDATE option SET backorders = 'sometimes' WHERE id = :i", i=option)
    capsys.readouterr()
    assert main(["stock", "check"]) == 1
    assert 'stored backorders "sometimes", the rules derive ""' in capsys.readouterr().out
    assert main(["stock", "repair"]) == 0
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=option) is None
    assert main(["stock", "check"]) == 0


def test_bulk_edit_of_all_matching_options_back_to_global(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    sneaker = shop.product_id("court-sneaker")
    page = admin.get(f"/admin/inventory?product={sneaker}")
    matching = re.search(r'name="matching" value="([\d,]*)"', page.text)
    assert matching
    ids = [int(i) for i in matching.group(1).split(",")]
    assert len(ids) == shop.scalar(
        "SELECT count(*) FROM option JOIN layer ON layer.id = option.layer_id "
        "WHERE layer.product_id = :p",
        p=sneaker,
    )
    shop.execute(f"UPDATE option SET backorders = 'no' WHERE id = {ids[0]}")  # noqa: S608
    review = post_form(
        admin,
        "/admin/inventory/bulk",
        {"scope": "matching", "matching": matching.group(1), "backorders": "use_global"},
    )
    assert review.status_code == 200
    assert f"1 of {len(ids)} selected option(s) will change." in review.text
    assert "these differ" in review.text
    done = post_form(
        admin,
        "/admin/inventory/bulk",
        {"ids": matching.group(1), "backorders": "use_global", "confirm": "1"},
    )
    assert f"Saved: 1 of {len(ids)} selected option(s) changed." in done.text
    assert shop.scalar(f"SELECT backorders FROM option WHERE id = {ids[0]}") is None  # noqa: S608


def test_bulk_edit_with_nothing_selected_or_nothing_to_change(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    before = shop.snapshot()
    response = post_form(admin, "/admin/inventory/bulk", {"backorders": "allow"})
    assert response.status_code == 422
    assert "Select at least one option (or all matching the filter)." in response.text
    option, _quantity = honey(shop)
    response = post_form(admin, "/admin/inventory/bulk", {"option": str(option)})
    assert response.status_code == 422
    assert "Choose at least one setting to change." in response.text
    assert shop.snapshot() == before


def test_an_upload_over_the_request_limit(shop: Shop, admin: TestClient[Litestar]) -> None:
    before = shop.snapshot()
    response = post_form(
        admin,
        "/admin/inventory/import",
        files={"file": ("huge.csv", b"sku,quantity\n" + b"x" * 9_000_000, "text/csv")},
    )
    assert response.status_code == 413
    assert "a stock CSV up to 4 MB" in response.text
    assert shop.snapshot() == before


@pytest.mark.parametrize("chunk", [500, 1], ids=["one-chunk", "a-chunk-per-row"])
def test_an_import_fills_waiting_backorders_oldest_first_and_mails_each_ready_order_once(
    shop: Shop, admin: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(inventory, "CHUNK", chunk)
    gravel = set_on_hand(shop, "Gravel Tan", 0)
    forest = set_on_hand(shop, "Forest Green", 0)
    both = {"Wheels": "Gravel Tan", "Frame": "Forest Green"}
    wheels = {"Wheels": "Gravel Tan", "Frame": "Racing Red"}
    first, second = order(admin, shop, both), order(admin, shop, both)
    third, fourth = order(admin, shop, wheels), order(admin, shop, wheels)
    numbers = (first, second, third, fourth)
    assert [status(shop, n) for n in numbers] == ["awaiting"] * 4
    assert (quantity(shop, gravel), quantity(shop, forest)) == (-4, -2)

    # 3 Gravel Tan for 4 waiting orders, 3 Forest Green for 2 (one left over).
    status_code, html = apply(
        admin, b"sku,quantity\r\nWH-GRAVEL,-1\r\nFR-GREEN,1\r\n", "pallet.csv"
    )

    assert status_code == 200, html
    assert [status(shop, n) for n in numbers] == ["ready", "ready", "ready", "awaiting"]
    assert [mails_of(shop, n).count("ready_to_ship") for n in numbers] == [1, 1, 1, 0]
    assert (quantity(shop, gravel), quantity(shop, forest)) == (-1, 1)
    with shop.engine.connect() as connection:
        movements = connection.execute(
            text(
                "SELECT option_id, reason, delta, order_number, note FROM stock_movement"
                " WHERE note = 'file pallet.csv'"
            )
        ).all()
    assert sorted(tuple(m) for m in movements) == sorted(
        [
            (gravel, "allocated", 1, first, "file pallet.csv"),
            (gravel, "allocated", 1, second, "file pallet.csv"),
            (gravel, "allocated", 1, third, "file pallet.csv"),
            (forest, "allocated", 1, first, "file pallet.csv"),
            (forest, "allocated", 1, second, "file pallet.csv"),
            (forest, "import", 1, "", "file pallet.csv"),
        ]
    )
    assert stock_is_consistent(shop)


def test_an_import_mails_back_in_stock_requests_once_and_rearms_the_low_stock_alert(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    option, _quantity = honey(shop)
    assert apply(admin, b"sku,quantity\r\nSD-HONEY,0\r\n")[0] == 200
    shop.execute(
        "INSERT INTO back_in_stock_request (option_id, email, token_hash, created_at,"
        " confirmed_at) VALUES (:o, 'bo@example.com', 'x', :now, :now)",
        o=option,
        now=datetime(2026, 1, 1),
    )
    shop.execute("UPDATE option SET low_stock_alerted = :t WHERE id = :i", t=True, i=option)

    assert apply(admin, b"sku,quantity\r\nSD-HONEY,9\r\n")[0] == 200
    assert apply(admin, b"sku,quantity\r\nSD-HONEY,10\r\n")[0] == 200

    assert (
        shop.scalar(
            "SELECT count(*) FROM outbox_mail WHERE kind = 'back_in_stock'"
            " AND to_address = 'bo@example.com'"
        )
        == 1
    )
    assert not shop.scalar("SELECT low_stock_alerted FROM option WHERE id = :i", i=option)


def test_quantities_a_sale_changed_since_they_were_read_are_refused_with_todays_quantity(
    shop: Shop,
) -> None:
    """`stock.set_quantities` writes only over the quantities it read: a sale in between
    (here written behind the session's back) refuses the whole batch."""
    with new_session(shop.engine) as session, unit_of_work(session, write=True):
        options = session.exec(
            select(Option).where(col(Option.sku).in_(["WH-GRAVEL", "FR-GREEN"]))
        ).all()
        gravel = next(o for o in options if o.sku == "WH-GRAVEL")
        session.connection().execute(
            text("UPDATE option SET quantity = quantity - 1 WHERE id = :i"), {"i": gravel.id}
        )
        changes = [stock.QuantityChange(o, o.quantity + 5) for o in options]
        with pytest.raises(stock.StockChanged) as refused:
            stock.set_quantities(session, changes, username="test")
        assert refused.value.current == gravel.quantity - 1
