"""Stock is not catalog: a sale, a restock or a stock adjustment changes what shoppers see of
that product's stock at once, and leaves every other product's cached configurator and
fragments alone. Checkouts never write a row that checkouts of other products write."""

from __future__ import annotations

import threading

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event
from sqlmodel import Session

from configurator.services import catalog, orders, stock
from configurator.store.cache import Version, read_product_versions
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import Option
from configurator.web.app import SECURITY_HEADERS
from configurator.web.fragment_front import FragmentFront
from tests.databases import BACKEND
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form
from tests.integration.test_fragment_front import HTMX, Counting, fetch

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"


def global_version(shop: Shop) -> Version:
    """The catalog version as the option-change fragment reads it."""
    return read_product_versions(shop.engine, SNEAKER)[0]


def catalog_version(shop: Shop) -> int:
    return int(shop.scalar("SELECT version FROM catalog_version"))


def checkout(client: TestClient[Litestar]) -> None:
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303, response.text


def buy(shop: Shop, slug: str, choices: dict[int, int], quantity: int = 1) -> None:
    with TestClient(app=shop.app) as client:
        assert add_to_cart(client, slug, choices, quantity).status_code == 303
        checkout(client)


def test_a_sale_keeps_other_products_cached_and_shows_its_own_stock_at_once(shop: Shop) -> None:
    bike, sneaker = shop.ids(BIKE), shop.ids(SNEAKER)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    honey = {bike["Saddle"]: bike["Honey Leather"]}
    bike_path = f"/products/{BIKE}/configuration?layer-{bike['Saddle']}={bike['Honey Leather']}"
    sneaker_path = f"/products/{SNEAKER}/configuration?layer-{sneaker['Sole']}={sneaker['Gum']}"
    before = fetch(front, bike_path, HTMX)
    sneaker_first = fetch(front, sneaker_path, HTMX)
    assert "Only 3 left" in before.text
    version = global_version(shop)
    sneaker_spec = catalog._SPECS.peek(version, ("slug", SNEAKER))
    assert sneaker_spec is not None
    calls = counting.calls

    buy(shop, BIKE, honey)

    # The sale wrote stock, not catalog: the catalog version did not move ...
    assert global_version(shop) == version
    # ... so the sneaker's configurator and fragment are still this worker's, untouched.
    assert catalog._SPECS.peek(version, ("slug", SNEAKER)) is sneaker_spec
    sneaker_again = fetch(front, sneaker_path, HTMX)
    assert counting.calls == calls  # answered from memory
    assert sneaker_again.content == sneaker_first.content
    # The bike's fragment shows the sale at once.
    after = fetch(front, bike_path, HTMX)
    assert counting.calls == calls + 1
    assert "Only 2 left" in after.text
    assert "Only 3 left" not in after.text
    assert fetch(front, bike_path, HTMX).content == after.content
    assert counting.calls == calls + 1  # and that is cached in turn
    assert global_version(shop) == version


def test_the_page_and_the_cart_see_stock_changed_by_another_worker(shop: Shop) -> None:
    """A quantity changed behind this worker's back (another worker's sale) without any
    catalog change is seen by the page, the fragment and the add-to-cart check."""
    bike = shop.ids(BIKE)
    honey = bike["Honey Leather"]
    path = f"/products/{BIKE}?layer-{bike['Saddle']}={honey}"
    with TestClient(app=shop.app) as client:
        assert "Only 3 left" in client.get(path).text
        with shop.engine.begin() as connection:  # as another worker's checkout writes it
            connection.exec_driver_sql(f"UPDATE option SET quantity = 2 WHERE id = {honey}")  # noqa: S608
        assert "Only 2 left" in client.get(path).text
        fragment = client.get(
            f"/products/{BIKE}/configuration?layer-{bike['Saddle']}={honey}", headers=HTMX
        )
        assert "Only 2 left" in fragment.text


def test_a_merchants_stock_adjustment_moves_no_catalog_version(shop: Shop) -> None:
    version = catalog_version(shop)
    bike = shop.ids(BIKE)
    honey = bike["Honey Leather"]
    with TestClient(app=shop.app) as shopper:
        path = f"/products/{BIKE}?layer-{bike['Saddle']}={honey}"
        assert "Only 3 left" in shopper.get(path).text
        with new_session(shop.engine) as session, unit_of_work(session, write=True):
            option = session.get(Option, honey)
            assert option is not None
            stock.set_quantity(session, option, 4, seen=3, username="admin")
        assert catalog_version(shop) == version
        assert "Only 4 left" in shopper.get(path).text


def product_version(shop: Shop, slug: str) -> int:
    return int(shop.scalar("SELECT version FROM product WHERE slug = :s", s=slug))


def test_a_merchants_edit_of_one_product_keeps_the_others_cached(shop: Shop) -> None:
    sneaker = shop.ids(SNEAKER)
    counting = Counting(shop.app)
    front = FragmentFront(counting, SECURITY_HEADERS)  # type: ignore[arg-type]
    sneaker_path = f"/products/{SNEAKER}/configuration?layer-{sneaker['Sole']}={sneaker['Gum']}"
    bike_path = f"/products/{BIKE}/configuration"
    sneaker_first = fetch(front, sneaker_path, HTMX)
    assert "Honey Leather" in fetch(front, bike_path, HTMX).text
    calls = counting.calls
    version = catalog_version(shop)
    bike_version, sneaker_version = product_version(shop, BIKE), product_version(shop, SNEAKER)

    with new_session(shop.engine) as session, unit_of_work(session, write=True):
        option = session.get(Option, shop.option_id(BIKE, "Saddle", "Honey Leather"))
        assert option is not None
        option.name = "Honey Suede"

    assert product_version(shop, BIKE) == bike_version + 1
    assert product_version(shop, SNEAKER) == sneaker_version
    assert catalog_version(shop) == version
    assert fetch(front, sneaker_path, HTMX).content == sneaker_first.content
    assert counting.calls == calls  # the sneaker's fragment is still this worker's
    bike = fetch(front, bike_path, HTMX)
    assert counting.calls == calls + 1
    assert "Honey Suede" in bike.text
    assert "Honey Leather" not in bike.text


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has one writer at a time by design")
def test_checkouts_of_different_products_do_not_wait_for_each_other(shop: Shop) -> None:
    """A checkout of the bike holds its transaction open (as a slow one would, just before its
    commit); a checkout of the sneaker meanwhile completes: they share no row."""
    shop.execute(
        "UPDATE option SET stock_management = true, track_inventory = true, quantity = 10"
        " WHERE sku = 'LA-WHITE'"
    )
    sneaker = shop.ids(SNEAKER)
    carts: dict[str, str] = {}
    for slug, choices in ((BIKE, {}), (SNEAKER, {sneaker["Laces"]: sneaker["White"]})):
        with TestClient(app=shop.app) as client:
            assert add_to_cart(client, slug, choices).status_code == 303
            token = client.cookies.get("cart")
            assert token
            carts[slug] = token
    customer = orders.CustomerDetails(**CUSTOMER)
    holding, release = threading.Event(), threading.Event()
    bike_thread: list[threading.Thread] = []

    def hold(session: Session) -> None:
        if threading.current_thread() in bike_thread:
            holding.set()
            release.wait(30)

    def place(slug: str, placed: list[str]) -> None:
        with new_session(shop.engine) as session:
            placed.append(orders.place_order(session, cart_token=carts[slug], customer=customer))

    event.listen(Session, "before_commit", hold)
    try:
        bike_placed: list[str] = []
        bike_thread.append(threading.Thread(target=place, args=(BIKE, bike_placed)))
        bike_thread[0].start()
        assert holding.wait(20), "the bike's checkout never got to its commit"
        sneaker_placed: list[str] = []
        sneaker_thread = threading.Thread(target=place, args=(SNEAKER, sneaker_placed))
        sneaker_thread.start()
        sneaker_thread.join(5)
        waited = sneaker_thread.is_alive()
        release.set()
        sneaker_thread.join(30)
        bike_thread[0].join(30)
    finally:
        release.set()
        event.remove(Session, "before_commit", hold)
    assert not waited, "the sneaker's checkout waited for the bike's"
    assert sneaker_placed and bike_placed
    assert shop.scalar("SELECT quantity FROM option WHERE sku = 'LA-WHITE'") == 9
