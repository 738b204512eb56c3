"""The microcache in front of the app: repeats are answered from memory, byte for byte what
the app answered, and never once the catalog version has moved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from configurator.services import catalog
from configurator.store.db import make_engine
from configurator.web import storefront
from configurator.web.app import SECURITY_HEADERS
from configurator.web.fragment_front import FragmentFront
from tests.databases import BACKEND
from tests.integration.conftest import Shop

BIKE = "aero-road-bike"
HTMX = {"HX-Request": "true", "Accept-Encoding": "gzip"}


class Counting:
    """The app, counting the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


def fetch(front: FragmentFront | Any, path: str, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=front)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def test_repeats_come_from_memory_and_a_catalog_change_is_seen_at_once(shop: Shop) -> None:
    ids = shop.ids(BIKE)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"

    first = fetch(front, path, HTMX)
    second = fetch(front, path, HTMX)

    assert first.status_code == second.status_code == 200
    assert counting.calls == 1  # the repeat never reached the app
    assert second.content == first.content
    assert "Available on Backorder" in second.text
    assert second.headers["content-encoding"] == "gzip"
    assert second.headers["hx-push-url"] == first.headers["hx-push-url"]
    assert second.headers["vary"] == first.headers["vary"]
    # Every header as the app sends them, each with its own request id.
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert dict(second.headers, **{"x-request-id": ""}) == dict(
        first.headers, **{"x-request-id": ""}
    )

    # The merchant turns backorders off (any change bumps the catalog version).
    shop.execute("UPDATE product SET backorders = 'no' WHERE slug = :s", s=BIKE)
    third = fetch(front, path, HTMX)

    assert counting.calls == 2
    assert "Available on Backorder" not in third.text
    assert "Wheels: Carbon Deep is out of stock and cannot be ordered." in third.text


def test_everything_else_goes_to_the_app(shop: Shop) -> None:
    ids = shop.ids(BIKE)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}"
    fetch(front, path, HTMX)
    calls = counting.calls

    plain = fetch(front, path, {})
    restore = fetch(front, path, {**HTMX, "HX-History-Restore-Request": "true"})
    page = fetch(front, f"/products/{BIKE}", {})

    assert counting.calls == calls + 3
    assert plain.status_code == 303  # no JavaScript: the product page's own address
    assert restore.status_code == 303
    assert page.status_code == 200


def test_parameters_that_do_not_change_the_answer_make_no_new_cache_entries(shop: Shop) -> None:
    """Junk in the query string (?x=N, an unknown layer, a second spelling of an id) must not
    fill the fragment cache and push out the entries shoppers use."""
    ids = shop.ids(BIKE)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"
    first = fetch(front, path, HTMX)
    entries = len(storefront._FRAGMENTS)

    junk = [
        *(f"{path}&x={n}" for n in range(40)),
        f"{path}&quantity=1",
        f"{path}&quantity=abc",
        f"/products/{BIKE}/configuration?x=1&layer-{ids['Wheels']}=%20{ids['Carbon Deep']}",
    ]
    answers = [fetch(front, p, HTMX) for p in junk]

    assert len(storefront._FRAGMENTS) == entries
    assert counting.calls == 1
    assert all(a.status_code == 200 and a.content == first.content for a in answers)
    assert {a.headers["hx-push-url"] for a in answers} == {first.headers["hx-push-url"]}

    # Unknown layers all read as the same refusal: one entry between them.
    refused = [
        fetch(front, f"/products/{BIKE}/configuration?layer-{900 + n}=1", HTMX) for n in range(20)
    ]
    assert len(storefront._FRAGMENTS) == entries + 1
    assert {r.status_code for r in refused} == {400}

    # Nor do products that do not exist fill the configurators' cache.
    configurators = len(catalog._SPECS)
    missing = [fetch(front, f"/products/no-such-{n}/configuration", HTMX) for n in range(20)]
    assert {m.status_code for m in missing} == {404}
    assert len(catalog._SPECS) == configurators


def test_the_app_alone_keys_its_cache_the_same_way(shop: Shop) -> None:
    ids = shop.ids(BIKE)
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}"
    first = fetch(shop.app, path, HTMX)
    entries = len(storefront._FRAGMENTS)

    again = [fetch(shop.app, f"{path}&x={n}", HTMX) for n in range(20)]

    assert len(storefront._FRAGMENTS) == entries
    assert all(a.status_code == 200 and a.content == first.content for a in again)


def test_a_database_that_fails_is_answered_by_the_app_with_its_503_page(
    shop: Shop, tmp_path: Path
) -> None:
    """The microcache never answers an error itself: the app's page and headers, always."""
    missing = tmp_path / "missing.sqlite3"
    ids = shop.ids(BIKE)
    front = FragmentFront(shop.app, SECURITY_HEADERS)
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"
    assert fetch(front, path, HTMX).status_code == 200
    working = shop.app.state.engine
    shop.app.state.engine = make_engine(
        "postgresql+psycopg://postgres@/shop?host=/nonexistent-directory"
        if BACKEND == "postgresql"
        else f"sqlite:///{missing}"
    )
    try:
        failed = fetch(front, path, HTMX)
    finally:
        shop.app.state.engine.dispose()
        shop.app.state.engine = working

    assert failed.status_code == 503
    assert failed.headers["hx-retarget"] == "#flash"
    assert "Please try again in a moment." in failed.text
    for name, value in SECURITY_HEADERS.items():
        assert failed.headers[name] == value
    assert not missing.exists()  # a missing SQLite file is never created as an empty database
