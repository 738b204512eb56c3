"""A stock CSV import's check and apply run in the background; the Inventory page shows their
progress (htmx polls a fragment, or the page refreshes itself without JavaScript) and ends on
the review, then the summary. The job is its merchant's only; a failed one says so in plain
words and writes nothing; one whose worker stopped reads as failed and is pruned."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from configurator.services import accounts, housekeeping, import_jobs, inventory, stock
from configurator.store.db import new_session
from configurator.store.models import AdminUser, ImportJob, utcnow
from tests.integration.conftest import HX, Shop, post_form, sign_in

REFRESH = '<meta http-equiv="refresh" content="2">'
POLL = 'hx-trigger="every 500ms"'


@pytest.fixture
def admin(shop: Shop, client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(shop, client)
    return client


def honey(shop: Shop) -> tuple[str, int]:
    option = shop.option_id("aero-road-bike", "Saddle", "Honey Leather")
    sku = str(shop.scalar("SELECT sku FROM option WHERE id = :i", i=option))
    return sku, int(shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option))


def start(client: TestClient[Litestar], content: bytes, name: str = "stock.csv") -> str:
    """Upload the file (with the form's CSRF token): the address of the import's page."""
    response = post_form(
        client, "/admin/inventory/import", files={"file": (name, content, "text/csv")}
    )
    assert response.status_code == 303, response.text
    address = str(response.headers["location"])
    assert re.fullmatch(r"/admin/inventory/import/[\w-]+", address)
    return address


def finished(client: TestClient[Litestar], address: str) -> tuple[int, str]:
    deadline = time.monotonic() + 30
    while True:
        response = client.get(address)
        if REFRESH not in response.text or time.monotonic() > deadline:
            return response.status_code, response.text
        time.sleep(0.05)


def apply(client: TestClient[Litestar], address: str) -> None:
    response = post_form(client, f"{address}/apply")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == address


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The import stops after its first progress report until the test sets the event."""
    release = threading.Event()
    real = inventory.import_csv

    def import_csv(session: Session, data: bytes, filename: str, **kwargs: Any) -> Any:
        progress: Callable[[int, int], None] | None = kwargs.get("progress")
        if progress:
            progress(*((3, 7) if kwargs["apply"] else (4000, 10000)))
        release.wait(20)
        return real(session, data, filename, **kwargs)

    monkeypatch.setattr(inventory, "import_csv", import_csv)
    yield release
    release.set()


def test_the_check_shows_its_progress_then_the_review(
    shop: Shop, admin: TestClient[Litestar], held: threading.Event
) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\n{sku},{quantity + 5}\r\n".encode(), "restock.csv")

    fragment = admin.get(address, headers=HX)
    assert fragment.status_code == 200
    html = fragment.text
    assert html.lstrip().startswith('<div id="import-job"')
    assert f'hx-get="{address}"' in html and POLL in html
    assert '<label for="import-job-progress">Checking row 4,000 of 10,000</label>' in html
    assert '<progress id="import-job-progress" max="10000" value="4000">40%</progress>' in html
    assert REFRESH not in html
    assert "Vary" in fragment.headers and "no-store" in fragment.headers["cache-control"]
    # Written to the job's row too, for a page served by another worker or app server.
    assert shop.scalar("SELECT done || '/' || total FROM import_job") == "4000/10000"

    page = admin.get(address)
    assert page.status_code == 200
    assert f"<noscript>{REFRESH}</noscript>" in page.text
    assert 'role="status" aria-live="polite"' in page.text
    assert "Checking row 4,000 of 10,000" in page.text
    assert "Apply these changes" not in page.text

    held.set()
    status, html = finished(admin, address)
    assert status == 200
    assert "Dry run of restock.csv: 1 option(s) would change" in html
    assert f"quantity: {quantity} → {quantity + 5}" in html
    assert "Apply these changes" in html and REFRESH not in html
    fragment = admin.get(address, headers=HX)
    assert POLL not in fragment.text and "hx-get" not in fragment.text.split(">", 1)[0]
    assert "Dry run of restock.csv" in fragment.text
    assert shop.scalar("SELECT quantity FROM option WHERE sku = :s", s=sku) == quantity


def test_the_apply_shows_its_progress_then_the_summary(
    shop: Shop, admin: TestClient[Litestar], held: threading.Event
) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\n{sku},{quantity + 5}\r\n".encode(), "restock.csv")
    held.set()
    finished(admin, address)
    held.clear()

    response = post_form(admin, f"{address}/apply", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="import-job"') and POLL in response.text
    running = admin.get(address, headers=HX).text
    assert '<label for="import-job-progress">Applying change 3 of 7</label>' in running
    page = admin.get(address).text
    assert REFRESH in page and "Applying restock.csv" in page
    assert shop.scalar("SELECT quantity FROM option WHERE sku = :s", s=sku) == quantity

    held.set()
    status, html = finished(admin, address)
    assert status == 200
    assert "Imported restock.csv: 1 option(s) changed, 0 unchanged." in html
    assert "Apply these changes" not in html
    assert shop.scalar("SELECT quantity FROM option WHERE sku = :s", s=sku) == quantity + 5
    # htmx's last answer brings the options table with the new quantity, out of band.
    fragment = admin.get(address, headers=HX).text
    assert POLL not in fragment
    assert (
        '<section id="inventory-table" aria-labelledby="options-heading" hx-swap-oob="true">'
        in (fragment)
    )
    assert shop.scalar("SELECT length(content) FROM import_job") == 0


def test_someone_elses_import_is_not_found(shop: Shop, admin: TestClient[Litestar]) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\n{sku},{quantity + 1}\r\n".encode())
    finished(admin, address)
    with new_session(shop.engine) as session:
        other = AdminUser(username="clerk", password_hash=accounts.hash_password("x" * 12))
        session.add(other)
        session.commit()
        session.refresh(other)
        token = accounts.start_session(session, other)
    with TestClient(shop.app) as stranger:
        stranger.cookies.set("admin_session", token)
        assert stranger.get(address).status_code == 404
        assert stranger.get(address, headers=HX).status_code == 404
        assert post_form(stranger, f"{address}/apply").status_code == 404
    assert admin.get("/admin/inventory/import/no-such-import").status_code == 404
    assert shop.scalar("SELECT status FROM import_job") == "checked"
    assert shop.scalar("SELECT quantity FROM option WHERE sku = :s", s=sku) == quantity


def test_apply_needs_the_csrf_token_and_runs_once(shop: Shop, admin: TestClient[Litestar]) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\n{sku},{quantity + 2}\r\n".encode())
    finished(admin, address)
    assert post_form(admin, f"{address}/apply", token=False).status_code == 403
    assert shop.scalar("SELECT status FROM import_job") == "checked"
    apply(admin, address)
    finished(admin, address)
    again = post_form(admin, f"{address}/apply")
    assert again.status_code == 409
    assert "This import cannot be applied (any more). Check the file again." in again.text
    assert shop.scalar("SELECT quantity FROM option WHERE sku = :s", s=sku) == quantity + 2


def test_a_failed_apply_says_so_and_writes_nothing(
    shop: Shop, admin: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\n{sku},{quantity + 4}\r\nSD-WHITE,9\r\n".encode())
    finished(admin, address)
    before = shop.snapshot()
    written: list[int] = []
    real = stock.set_quantities

    def write_then_break(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        written.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(stock, "set_quantities", write_then_break)
    apply(admin, address)
    status, html = finished(admin, address)
    assert written == [1]
    assert status == 200
    assert "stock.csv was not imported." in html
    assert "The import failed because of an unexpected error. Nothing was written." in html
    assert "disk full" not in html
    assert shop.snapshot() == before


def test_a_sale_during_the_apply_fails_it_in_plain_words_and_writes_nothing(
    shop: Shop, admin: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\nSD-WHITE,9\r\n{sku},{quantity + 4}\r\n".encode())
    finished(admin, address)
    before = shop.snapshot()
    real = stock.set_quantities

    def sale_in_between(session: Session, changes: Any, **kwargs: Any) -> Any:
        # A checkout commits a sale of the option after the import read its quantity.
        honey_id = next(c.option.id for c in changes if c.option.sku == sku)
        session.connection().execute(
            text("UPDATE option SET quantity = quantity - 1 WHERE id = :i"), {"i": honey_id}
        )
        return real(session, changes, **kwargs)

    monkeypatch.setattr(stock, "set_quantities", sale_in_between)
    apply(admin, address)
    status, html = finished(admin, address)
    assert status == 200
    assert "stock.csv was not imported." in html
    assert (
        "An order changed the quantity on hand of Aero Road Bike · Saddle · Honey Leather "
        f"meanwhile: it is now {quantity - 1}. Nothing was written. Check the file again."
    ) in html
    assert "unexpected error" not in html
    assert shop.snapshot() == before


def test_an_apply_that_finds_new_errors_writes_nothing(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    sku, quantity = honey(shop)
    address = start(admin, f"sku,quantity\r\nSD-WHITE,2\r\n{sku},{quantity + 3}\r\n".encode())
    finished(admin, address)
    shop.execute("UPDATE option SET sku = 'SD-WHITE-2' WHERE sku = 'SD-WHITE'")
    before = shop.snapshot()
    apply(admin, address)
    status, html = finished(admin, address)
    assert status == 422
    assert "stock.csv: nothing was imported." in html
    assert 'Unknown SKU "SD-WHITE": no option has it.' in html.replace("&#34;", '"')
    assert shop.snapshot() == before


def test_an_import_whose_worker_stopped_reads_as_failed_and_is_pruned(
    shop: Shop, admin: TestClient[Litestar]
) -> None:
    now = utcnow()
    with new_session(shop.engine) as session:
        for job_id, status, age in (
            ("left-applying", import_jobs.APPLYING, timedelta(hours=1)),
            ("still-checking", import_jobs.CHECKING, timedelta(seconds=10)),
            ("old-applied", import_jobs.APPLIED, timedelta(days=2)),
        ):
            session.add(
                ImportJob(
                    id=job_id,
                    owner="admin",
                    filename=f"{job_id}.csv",
                    content=b"sku,quantity\r\n",
                    status=status,
                    total=10,
                    updated_at=now - age,
                )
            )
        session.commit()
    page = admin.get("/admin/inventory/import/left-applying").text
    assert "left-applying.csv was not imported." in page
    assert "The import stopped before it finished" in page and "Nothing was written." in page
    assert REFRESH not in page
    assert REFRESH in admin.get("/admin/inventory/import/still-checking").text

    pruned = housekeeping.prune(shop.engine, cart_retention=timedelta(days=30))
    assert pruned.import_jobs == 1
    status = "SELECT status FROM import_job WHERE id = :i"
    assert shop.scalar(status, i="left-applying") == "failed"
    assert shop.scalar(status, i="still-checking") == "checking"
    assert shop.count("import_job") == 2


def test_a_job_waiting_behind_other_imports_is_not_taken_for_stopped(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports run at a time per worker; a third waits, and touches its row meanwhile, so
    another worker's housekeeping does not mark it stopped however long it waits."""
    monkeypatch.setattr(import_jobs, "TOUCH_EVERY", 0.05, raising=False)
    long_ago = utcnow() - timedelta(minutes=10)  # as if it had waited that long already
    with new_session(shop.engine) as session:
        for job_id in ("first", "second", "third"):
            session.add(
                ImportJob(
                    id=job_id,
                    owner="admin",
                    filename=f"{job_id}.csv",
                    content=b"sku,quantity\r\n",
                    status=import_jobs.CHECKING,
                    total=1,
                    updated_at=utcnow() if job_id != "third" else long_ago,
                )
            )
        session.commit()
    release = threading.Event()
    ran: list[str] = []

    def runner(_engine: Any, job_id: str) -> None:
        ran.append(job_id)
        release.wait(20)

    def touched() -> bool:
        with new_session(shop.engine) as session:
            job = session.get(ImportJob, "third")
            assert job is not None
            return job.updated_at.replace(tzinfo=None) > long_ago.replace(tzinfo=None)

    try:
        for job_id in ("first", "second", "third"):
            import_jobs.submit(shop.engine, job_id, runner=runner)
        deadline = time.monotonic() + 10
        while not touched() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ran == ["first", "second"]  # the third waits for a thread
        # Another worker's housekeeping: it knows nothing of this worker's waiting job.
        monkeypatch.setattr(import_jobs, "_live", lambda _job_id: None)
        import_jobs.prune(shop.engine)
        assert shop.scalar("SELECT status FROM import_job WHERE id = 'third'") == "checking"
        assert shop.scalar("SELECT error FROM import_job WHERE id = 'third'") == ""
    finally:
        release.set()
        deadline = time.monotonic() + 10
        while len(ran) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert sorted(ran) == ["first", "second", "third"]
