"""The shop behind nginx (deploy/nginx/layerworks.conf) with two app servers and one
PostgreSQL: what an operator relies on, checked with the real parts."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping

import httpx
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import text

from configurator.store.db import make_engine
from configurator.web.app import MAX_REQUEST_BYTES
from configurator.web.common import ADMIN_COOKIE
from e2e.helpers import (
    PRODUCT_PATH,
    VIEWPORT,
    fill_checkout,
    option_radio,
    purchase_status,
    sign_in,
)
from e2e.target import chromium
from tests.deploy.conftest import ADMIN_PASSWORD, METRICS_TOKEN, NGINX_SITE, Stack

BIKE = "aero-road-bike"
CHROMIUM = chromium()
CHROMIUM_ARGS = ["--disable-gpu", "--no-first-run", "--no-sandbox", "--disable-quic"]
CUSTOMER = {
    "customer_name": "Ada Lovelace",
    "email": "ada@example.com",
    "address_line1": "12 Analytical Row",
    "address_line2": "",
    "city": "London",
    "postal_code": "N1 7AA",
    "country": "United Kingdom",
}


def option_ids(stack: Stack) -> dict[str, int]:
    engine = make_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT layer.name, layer.id, option.name, option.id FROM layer "
                    "JOIN product ON product.id = layer.product_id "
                    "JOIN option ON option.layer_id = layer.id WHERE product.slug = :s"
                ),
                {"s": BIKE},
            ).all()
    finally:
        engine.dispose()
    found: dict[str, int] = {}
    for layer, layer_id, option, option_id in rows:
        found[layer], found[option] = layer_id, option_id
    return found


def csrf(client: httpx.Client) -> str:
    if "csrftoken" not in client.cookies:
        client.get("/")
    return str(client.cookies["csrftoken"])


def post(client: httpx.Client, path: str, data: Mapping[str, object]) -> httpx.Response:
    form = {key: str(value) for key, value in data.items()}
    return client.post(path, data={**form, "_csrf_token": csrf(client)})


def add_bike(client: httpx.Client, ids: dict[str, int], quantity: int = 1) -> httpx.Response:
    return post(
        client,
        "/cart/items",
        {"product": BIKE, "quantity": quantity, f"layer-{ids['Wheels']}": ids["Gravel Tan"]},
    )


def test_the_config_limits_bodies_to_what_the_app_accepts() -> None:
    assert f"client_max_body_size {MAX_REQUEST_BYTES};" in NGINX_SITE.read_text()
    (retries,) = re.findall(r"^\s*proxy_next_upstream (.*);", NGINX_SITE.read_text(), re.M)
    assert "non_idempotent" not in retries  # a POST that reached an app server is not resent


def test_plain_http_goes_to_https_and_static_files_come_from_nginx(stack: Stack) -> None:
    redirect = httpx.get(stack.http + "/cart")
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://")

    with stack.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        css = re.search(r'href="(/static/css/app\.css\?v=\w+)"', page.text)
        assert css, "the page links its stylesheet with a content hash"
        static = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert static.status_code == 200
    assert static.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in static.headers["cache-control"]
    assert "immutable" in static.headers["cache-control"]
    assert "x-request-id" not in static.headers  # nginx answered, no app server
    for server in stack.servers:
        assert "/static/" not in server.log.read_text()


def test_a_cart_started_on_one_app_server_is_checked_out_on_the_other(stack: Stack) -> None:
    ids = option_ids(stack)
    with stack.client() as shopper:
        added = add_bike(shopper, ids)
        assert added.status_code == 303
        cart_server = stack.served_by(added.headers["x-request-id"])
        # nginx takes turns (round robin, one worker): step until the next request goes to
        # the other app server.
        for _ in range(4):
            probe = shopper.get("/cart")
            if stack.served_by(probe.headers["x-request-id"]) == cart_server:
                break
        checkout = post(shopper, "/checkout", {**CUSTOMER, "checkout_key": "c" * 32})
        assert checkout.status_code == 303, checkout.text
        assert stack.served_by(checkout.headers["x-request-id"]) != cart_server
        confirmation = shopper.get(checkout.headers["location"])
    # nginx's request id is the app's: its access log and the app server's name the same one.
    assert checkout.headers["x-request-id"] in (stack.nginx_dir / "access.log").read_text()
    assert "Gravel Tan" in confirmation.text
    # Behind X-Forwarded-Proto https, the cart cookie is Secure (set over TLS at nginx).
    assert "secure" in added.headers["set-cookie"].lower()


def test_the_sign_in_limit_counts_the_client_not_the_proxy(stack: Stack) -> None:
    with stack.client("127.0.0.2") as guesser, stack.client("127.0.0.3") as merchant:
        for _ in range(5):
            wrong = post(
                guesser,
                "/admin/login",
                {"username": "admin", "password": "not-the-password"},
            )
            assert wrong.status_code == 401
        # A forged X-Forwarded-For does not make the guesser someone else.
        forged = guesser.post(
            "/admin/login",
            data={"username": "admin", "password": "x", "_csrf_token": csrf(guesser)},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert forged.status_code == 429
        # The merchant, from another address, is not locked out by the guesser.
        signed_in = post(
            merchant, "/admin/login", {"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert signed_in.status_code == 303
        assert "secure" in signed_in.headers["set-cookie"].lower()
        assert merchant.get("/admin").status_code == 200
    logged = "".join(server.log.read_text() for server in stack.servers)
    assert '"client": "127.0.0.2"' in logged
    assert "198.51.100.7" not in logged


def test_metrics_are_scraped_from_the_app_servers_not_the_public_site(stack: Stack) -> None:
    with stack.client() as client:
        assert client.get("/metrics").status_code == 404
    placed = 0.0
    for server in stack.servers:
        scrape = httpx.get(
            server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert scrape.status_code == 200
        found = re.search(r"^layerworks_orders_placed_total (\S+)$", scrape.text, re.M)
        assert found
        placed += float(found.group(1))
    assert placed == stack.scalar("SELECT count(*) FROM customer_order")


def test_a_shopper_and_the_merchant_in_a_browser_through_nginx(stack: Stack) -> None:
    """Chromium over HTTPS through nginx: the cart's and the merchant's session cookies are
    Secure (the app knows the request came over HTTPS from X-Forwarded-Proto alone), and the
    flows work as they do without a proxy."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shopper = browser.new_context(
                base_url=stack.https, ignore_https_errors=True, viewport=VIEWPORT
            )
            page = shopper.new_page()
            page.goto(PRODUCT_PATH)
            option_radio(page, "Carbon Deep").check()
            expect(purchase_status(page)).to_contain_text("Ships once restocked.")
            page.get_by_role("button", name="Add to cart").click()
            # With htmx the shopper stays on the product and is shown the way to the cart.
            expect(page.get_by_text("Added to your cart.")).to_be_visible()
            expect(page.get_by_role("link", name="Cart 1 item")).to_be_visible()
            page.get_by_role("link", name="View cart").click()
            expect(page).to_have_url(re.compile(r"/cart$"))
            page.get_by_role("link", name="Proceed to checkout").click()
            fill_checkout(page, email="grace@example.com")
            page.get_by_role("button", name=re.compile(r"^Place order")).click()
            heading = page.get_by_role("heading", name="Thank you, your order is placed")
            expect(heading).to_be_visible()
            number = page.locator(".lead strong").first.inner_text()
            secure = {cookie["name"]: cookie["secure"] for cookie in shopper.cookies()}
            assert secure["cart"] is True

            merchant = browser.new_context(
                base_url=stack.https, ignore_https_errors=True, viewport=VIEWPORT
            )
            admin = merchant.new_page()
            sign_in(admin)
            admin.goto(f"/admin/orders/{number}")
            expect(admin.get_by_role("heading", name=f"Order {number}")).to_be_visible()
            expect(admin.get_by_text("grace@example.com")).to_be_visible()
            secure = {cookie["name"]: cookie["secure"] for cookie in merchant.cookies()}
            assert secure[ADMIN_COOKIE] is True
        finally:
            browser.close()


def test_killing_an_app_server_mid_run_loses_no_order(stack: Stack) -> None:
    """Shoppers check out while one app server dies. nginx retries what never reached it;
    a shopper whose checkout got an error sends the same form again (as a browser's retry
    would), and the idempotency key makes that one order."""
    ids = option_ids(stack)
    before = int(str(stack.scalar("SELECT count(*) FROM customer_order")))
    shoppers = 12
    tokens: dict[int, set[str]] = {n: set() for n in range(shoppers)}
    errors: list[str] = []
    halfway = threading.Barrier(shoppers + 1)

    def shop(number: int) -> None:
        try:
            with stack.client() as client:
                until_ok(lambda: add_bike(client, ids), 303)
                halfway.wait()
                form = {**CUSTOMER, "checkout_key": f"shopper-{number:02d}-" + "k" * 20}
                for _ in range(3):  # a retry may land before nginx knows the server is gone
                    checkout = until_ok(lambda: post(client, "/checkout", form), 303)
                    tokens[number].add(checkout.headers["location"])
        except Exception as exc:
            errors.append(f"shopper {number}: {exc!r}")

    threads = [threading.Thread(target=shop, args=(n,)) for n in range(shoppers)]
    for thread in threads:
        thread.start()
    halfway.wait()
    stack.kill(0)
    for thread in threads:
        thread.join(120)
    assert not errors
    assert all(len(found) == 1 for found in tokens.values()), tokens
    assert stack.scalar("SELECT count(*) FROM customer_order") == before + shoppers


def until_ok(send: Callable[[], httpx.Response], status: int) -> httpx.Response:
    """Send again after a gateway error or a dropped connection, as a shopper would."""
    for _ in range(5):
        try:
            response = send()
        except httpx.TransportError:
            continue
        if response.status_code == status:
            return response
        assert response.status_code in (502, 503, 504), response.text
    raise AssertionError("no answer after five tries")


def test_readyz_flips_when_the_database_stops_and_comes_back(stack: Stack) -> None:
    with stack.client() as client:
        assert client.get("/readyz").status_code == 200
        stack.stop_database()
        try:
            gone = client.get("/readyz")
            page = client.get(f"/products/{BIKE}")
            assert client.get("/healthz").status_code == 200
        finally:
            stack.start_database()
        assert gone.status_code == 503
        assert page.status_code == 503
        assert f"<code>{page.headers['x-request-id']}</code>" in page.text
        assert client.get("/readyz").status_code == 200
        assert client.get(f"/products/{BIKE}").status_code == 200
