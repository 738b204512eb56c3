"""What an operator runs the shop with: health checks, request ids, logs and metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import REGISTRY
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from configurator.logs import configure_logging
from configurator.store.db import head_revision
from configurator.web.app import SECURITY_HEADERS, create_app
from configurator.web.common import ADMIN_COOKIE
from configurator.web.fragment_front import FragmentFront
from tests.databases import BACKEND, Databases, PostgresDatabases
from tests.integration.conftest import CUSTOMER, HX, Shop, add_to_cart, login, post_form

BIKE = "aero-road-bike"


@contextmanager
def database_gone(shop: Shop, databases: Databases, tmp_path: Path) -> Iterator[None]:
    """The database stops answering new connections, then comes back (the same data)."""
    url = make_url(str(shop.engine.url))
    shop.engine.dispose()
    if BACKEND == "postgresql":
        assert isinstance(databases, PostgresDatabases)
        admin = databases._cluster.admin()
        name = sql.Identifier(url.database or "")
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        )
        try:
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
    else:
        path = Path(url.database or "")
        kept = tmp_path / "kept.sqlite3"
        os.link(path, kept)
        path.unlink()
        try:
            yield
        finally:
            os.link(kept, path)


def test_healthz_answers_without_the_database_and_sets_no_cookie(
    shop: Shop, client: TestClient[Litestar], databases: Databases, tmp_path: Path
) -> None:
    with database_gone(shop, databases, tmp_path):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok\n"
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_readyz_flips_to_503_while_the_database_is_gone_and_back(
    shop: Shop, client: TestClient[Litestar], databases: Databases, tmp_path: Path
) -> None:
    ready = client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert "set-cookie" not in ready.headers

    with database_gone(shop, databases, tmp_path):
        gone = client.get("/readyz")
        assert client.get("/healthz").status_code == 200

    assert gone.status_code == 503
    assert gone.text == "database unavailable\n"
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_until_the_schema_is_migrated(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    shop.execute("UPDATE alembic_version SET version_num = '0001'")
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.text == (
        f"schema at 0001, expected {head_revision()}: run configurator migrate\n"
    )
    shop.execute("UPDATE alembic_version SET version_num = :v", v=head_revision())
    assert client.get("/readyz").status_code == 200


# Request ids and the access log ---------------------------------------------------------------


@contextmanager
def captured_log(log_format: str = "json", *, access: bool = True) -> Iterator[io.StringIO]:
    """What the server would write to standard error, in the operator's chosen format."""
    output = io.StringIO()
    configure_logging(log_format, access_log=access, stream=output)
    root = logging.getLogger()
    test_client_log = logging.getLogger("httpx")  # the test's client, not the server
    level = test_client_log.level
    test_client_log.setLevel(logging.WARNING)
    try:
        yield output
    finally:
        test_client_log.setLevel(level)
        logging.getLogger("configurator.access").setLevel(logging.INFO)
        for handler in list(root.handlers):
            if handler.get_name() == "configurator":
                root.removeHandler(handler)


def access_lines(output: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "configurator.access"]


def test_each_request_logs_one_json_line_with_the_id_the_response_carries(
    client: TestClient[Litestar],
) -> None:
    with captured_log("json") as output:
        page = client.get("/cart")
        missing = client.get("/no-such-page")
        client.get("/healthz")
        client.get("/readyz")

    lines = access_lines(output)
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/cart", 200),
        ("/no-such-page", 404),
    ]  # the probes are not logged
    assert lines[0]["request_id"] == page.headers["x-request-id"]
    assert lines[1]["request_id"] == missing.headers["x-request-id"]
    assert page.headers["x-request-id"] != missing.headers["x-request-id"]
    assert lines[0]["method"] == "GET"
    assert lines[0]["route"] == "/cart"
    assert lines[0]["duration_ms"] >= 0


def test_access_lines_can_be_left_to_nginx(client: TestClient[Litestar]) -> None:
    with captured_log("json", access=False) as output:
        page = client.get("/cart")
    assert page.headers["x-request-id"]
    assert access_lines(output) == []


def test_text_is_the_default_format_and_names_the_request(client: TestClient[Litestar]) -> None:
    with captured_log("text") as output:
        page = client.get("/cart")
    (line,) = output.getvalue().splitlines()
    assert " INFO configurator.access GET /cart 200 " in line
    assert line.endswith(f"[{page.headers['x-request-id']}]")


def test_error_pages_print_the_request_id_the_log_line_has(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    with captured_log() as output:
        page = client.get("/products/no-such-product")
        fragment = client.get("/products/no-such-product/configuration", headers=HX)
    assert page.status_code == fragment.status_code == 404
    for response in (page, fragment):
        reference = response.headers["x-request-id"]
        assert f"<code>{reference}</code>" in response.text
    assert [line["request_id"] for line in access_lines(output)] == [
        page.headers["x-request-id"],
        fragment.headers["x-request-id"],
    ]


def test_the_fragment_fronts_own_answers_carry_a_request_id_and_a_log_line(shop: Shop) -> None:
    ids = shop.ids(BIKE)
    front = FragmentFront(shop.app, SECURITY_HEADERS)
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"

    async def twice() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=front)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            return [await http.get(path, headers=HX) for _ in range(2)]

    with captured_log() as output:
        rendered, remembered = asyncio.run(twice())
    assert rendered.status_code == remembered.status_code == 200
    assert [line["request_id"] for line in access_lines(output)] == [
        rendered.headers["x-request-id"],
        remembered.headers["x-request-id"],
    ]
    assert remembered.headers["x-request-id"] != rendered.headers["x-request-id"]


def refuse_orders(shop: Shop) -> None:
    """The database refuses to write an order (the statement and its values are in the error)."""
    if BACKEND == "postgresql":
        shop.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
        )
        shop.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON customer_order "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    else:
        shop.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON customer_order "
            "BEGIN SELECT RAISE(FAIL, 'refused'); END"
        )


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_no_password_token_cookie_or_card_number_reaches_the_log(
    shop: Shop, client: TestClient[Litestar], log_format: str
) -> None:
    """A shopper types a card number into the address form, a merchant mistypes a password,
    the database fails once mid-request: the log names the requests, never the secrets."""
    password = "Wrong-Horse-Battery-9"
    card = "4111 1111 1111 1111"
    ids = shop.ids(BIKE)
    with captured_log(log_format) as output:
        add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1)
        refused = post_form(client, "/admin/login", {"username": "admin", "password": password})
        login(client)
        client.get("/admin")
        placed = post_form(client, "/checkout", {**CUSTOMER, "address_line2": card})
        client.get(placed.headers["location"])
        client.get("/checkout", params={"card": card.replace(" ", ""), "password": password})
        add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 1)
        refuse_orders(shop)
        failed = post_form(client, "/checkout", {**CUSTOMER, "address_line1": card})
    assert refused.status_code == 401
    assert placed.status_code == 303
    assert failed.status_code == 500
    secrets_sent = [
        password,
        card,
        card.replace(" ", ""),
        client.cookies["csrftoken"],
        client.cookies[ADMIN_COOKIE],
        placed.headers["location"].rsplit("/", 1)[1],  # the order's token
    ]
    logged = output.getvalue()
    assert "INSERT INTO customer_order" in logged  # the failure is logged, its values are not
    assert "/admin/login" in logged
    assert "/orders/[token]" in logged
    for secret in secrets_sent:
        assert secret not in logged


# Metrics --------------------------------------------------------------------------------------

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metered(shop: Shop) -> Iterator[TestClient[Litestar]]:
    """The shop with METRICS_TOKEN set (the shared app has none)."""
    settings = dataclasses.replace(shop.app.state.settings, metrics_token=TOKEN)
    with TestClient(create_app(settings, shop.engine)) as client:
        yield client


def scrape(client: TestClient[Litestar]) -> dict[str, float]:
    """`name{labels}` -> value, from the Prometheus text format."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def test_metrics_are_not_public(
    client: TestClient[Litestar], metered: TestClient[Litestar]
) -> None:
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: no /metrics
    missing = metered.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = metered.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert "set-cookie" not in wrong.headers


def test_a_scrape_shows_orders_backorders_refusals_cache_use_and_503s(
    shop: Shop, metered: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    before = scrape(metered)
    # An order of 2 bikes with backordered wheels (Carbon Deep is Out of Stock, backorderable).
    add_to_cart(metered, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 2)
    form = {**CUSTOMER, "checkout_key": "k" * 32}
    placed = post_form(metered, "/checkout", form)
    assert placed.status_code == 303
    assert post_form(metered, "/checkout", form).headers["location"] == placed.headers["location"]
    assert post_form(metered, "/checkout", CUSTOMER).status_code in (303, 409)  # empty cart
    # The same option change twice: rendered once, then from the cache.
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Gravel Tan']}"
    assert metered.get(path, headers=HX).status_code == 200
    assert metered.get(path, headers=HX).status_code == 200
    working = metered.app.state.engine
    metered.app.state.engine = create_engine("sqlite:////nonexistent-directory/shop.sqlite3")
    try:
        assert metered.get(f"/products/{BIKE}").status_code == 503
    finally:
        metered.app.state.engine = working
    after = scrape(metered)

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert grew("layerworks_orders_placed_total") == 1  # the repeated form is not a new order
    assert grew("layerworks_backordered_units_total") == 2
    assert grew('layerworks_checkouts_refused_total{reason="empty"}') == 1
    assert grew('layerworks_cache_hits_total{cache="fragments"}') >= 1
    assert grew('layerworks_cache_misses_total{cache="fragments"}') >= 1
    assert grew("layerworks_database_unavailable_total") == 1
    route = (
        'layerworks_requests_total{app_name="layerworks",method="POST",'
        'path="/checkout",status_code="303"}'
    )
    assert grew(route) == 3  # two placed (one a repeat), one refused: back to the cart
    latency = (
        'layerworks_request_duration_seconds_count{app_name="layerworks",method="POST",'
        'path="/checkout",status_code="303"}'
    )
    assert grew(latency) == 3
    assert not any("/healthz" in name or "/metrics" in name for name in after)


def test_the_fragment_fronts_answers_are_counted_under_the_apps_route(shop: Shop) -> None:
    ids = shop.ids(BIKE)
    front = FragmentFront(shop.app, SECURITY_HEADERS)
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"
    series = (
        'layerworks_requests_total{app_name="layerworks",method="GET",'
        'path="/products/{slug}/configuration",status_code="200"}'
    )

    async def twice() -> None:
        transport = httpx.ASGITransport(app=front)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            for _ in range(2):
                assert (await http.get(path, headers=HX)).status_code == 200

    before = REGISTRY.get_sample_value("layerworks_requests_total", labels(series)) or 0
    asyncio.run(twice())
    after = REGISTRY.get_sample_value("layerworks_requests_total", labels(series))
    assert after == before + 2  # one rendered by the app, one answered by the front


def labels(series: str) -> dict[str, str]:
    inside = series[series.index("{") + 1 : -1]
    return dict(re.findall(r'(\w+)="([^"]*)"', inside))
