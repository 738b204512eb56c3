"""Named shop states that QA asks for (`configurator scenario NAME`, and the browser suite's
fixtures of the same names).

Each scenario starts from the demo catalog exactly as `make run` loads it (every other product
removed; orders stay, they are snapshots) and changes it through the merchant's own use cases,
as the admin's forms would: `catalog_admin.update_global_settings` and `update_option` with the
form the admin would send back. So a scenario can never reach a state a merchant could not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from configurator.services import catalog_admin
from configurator.services.demo import load_demo
from configurator.store.db import unit_of_work
from configurator.store.models import Layer, Option, Product

BIKE = "aero-road-bike"


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    apply: Callable[[Session], None]


class UnknownScenario(LookupError):
    pass


def _settings_form(product: Product, **changes: str) -> dict[str, str]:
    """Global Settings as the admin's form sends them back, with `changes`."""
    form = {
        "backorders": product.backorders,
        "new_option_backorders": product.new_option_backorders or "",
        "out_of_stock_threshold": str(product.out_of_stock_threshold),
        "only_x_left_threshold": str(product.only_x_left_threshold),
        "notify_below": str(product.notify_below),
    }
    if product.stock_management:
        form["stock_management"] = "on"
    if product.allow_custom_backordering:
        form["allow_custom_backordering"] = "on"
    form.update(changes)
    return {name: value for name, value in form.items() if value != "off"}


def _option_form(option: Option, **changes: str) -> dict[str, str]:
    """An option's panel as the admin's form sends it back, with `changes`."""

    def own(value: int | None) -> str:
        return "" if value is None else str(value)

    form = {
        "name": option.name,
        "sku": option.sku,
        "price_delta": f"{option.price_delta_cents / 100:.2f}",
        "stock_status": option.stock_status,
        "quantity": str(option.quantity),
        "quantity_seen": str(option.quantity),
        "backorders": option.backorders or "",
        "out_of_stock_threshold": own(option.out_of_stock_threshold),
        "only_x_left_threshold": own(option.only_x_left_threshold),
        "notify_below": own(option.notify_below),
    }
    if option.stock_management:
        form["stock_management"] = "on"
    if option.track_inventory:
        form["track_inventory"] = "on"
    form.update(changes)
    return {name: value for name, value in form.items() if value != "off"}


def _product(session: Session, slug: str) -> Product:
    with unit_of_work(session):
        product = session.exec(select(Product).where(Product.slug == slug)).one()
        session.expunge(product)
    return product


def _option(session: Session, product_id: int, name: str) -> Option:
    with unit_of_work(session):
        option = session.exec(
            select(Option)
            .join(Layer, Layer.id == Option.layer_id)  # type: ignore[arg-type]
            .where(Layer.product_id == product_id, Option.name == name)
        ).one()
        session.expunge(option)
    return option


def _set_global(session: Session, slug: str, **changes: str) -> None:
    product = _product(session, slug)
    assert product.id is not None
    catalog_admin.update_global_settings(session, product.id, _settings_form(product, **changes))


def _set_option(session: Session, slug: str, name: str, **changes: str) -> None:
    product = _product(session, slug)
    assert product.id is not None
    option = _option(session, product.id, name)
    assert option.id is not None
    catalog_admin.update_option(
        session, product.id, option.id, _option_form(option, **changes), None, username="scenario"
    )


def empty_shop(session: Session) -> None:
    with unit_of_work(session):
        ids = [pid for pid in session.exec(select(Product.id)) if pid is not None]
    for product_id in ids:
        catalog_admin.delete_product(session, product_id)


def backorder_demo(session: Session) -> None:
    empty_shop(session)
    load_demo(session)


def sold_out_saddle(session: Session) -> None:
    backorder_demo(session)
    _set_option(session, BIKE, "Honey Leather", quantity="0")


def threshold_minus_5(session: Session) -> None:
    backorder_demo(session)
    _set_global(session, BIKE, out_of_stock_threshold="-5")
    _set_option(session, BIKE, "Honey Leather", backorders="")


def custom_backordering(session: Session) -> None:
    backorder_demo(session)
    _set_global(session, BIKE, allow_custom_backordering="on")
    _set_option(session, BIKE, "Gravel Tan", quantity="5")


SCENARIOS: Mapping[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "backorder-demo",
            "the demo catalog as `make run` loads it: Carbon Deep wheels Available on "
            "Backorder, Honey Leather saddle 'Only 3 left', Neon Yellow laces Out of Stock",
            backorder_demo,
        ),
        Scenario(
            "sold-out-saddle",
            "backorder-demo with the Honey Leather saddle at 0 on hand and no backorders: "
            "Out of Stock, cannot be chosen",
            sold_out_saddle,
        ),
        Scenario(
            "threshold-minus-5",
            "backorder-demo with the bike's Out-of-Stock Threshold at -5 and Honey Leather "
            "following the global backorders: 3 on hand, 8 salable, 5 of them backordered",
            threshold_minus_5,
        ),
        Scenario(
            "custom-backordering",
            "backorder-demo with Allow custom backordering on the bike and Gravel Tan wheels "
            "at 5 on hand: adding 10 asks 'do you want to back order the other 5?'",
            custom_backordering,
        ),
        Scenario("empty-shop", "no products at all (orders stay)", empty_shop),
    )
}


def apply(session: Session, name: str) -> Scenario:
    """Put the shop in the named state."""
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(f"No scenario {name!r}; there are: {', '.join(SCENARIOS)}.") from None
    scenario.apply(session)
    return scenario
