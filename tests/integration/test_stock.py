"""Issue 4 over HTTP: quantities and derived status, inherited backorder settings and the
"Reset to global" button, thresholds, the custom-backordering question, stock movements,
`configurator stock check`, cancelling, silent backorders, refusals and the 0002 migration."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic import command
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import inspect, text

from configurator import cli
from configurator.store.db import alembic_config, make_engine
from tests.integration.conftest import (
    CUSTOMER,
    NO_FILE,
    Shop,
    field_errors,
    line_ids,
    notices,
    post_form,
    sign_in,
)

BIKE = "aero-road-bike"
QUESTION = (
    "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 10, "
    "do you want to back order the other 5?"
)

Client = TestClient[Litestar]
MINUS = "\u2212"  # the salable line shows a real minus sign


# Helpers -----------------------------------------------------------------------------------------


def bike_id(shop: Shop) -> int:
    return shop.product_id(BIKE)


def option(shop: Shop, layer: str, name: str) -> int:
    return shop.option_id(BIKE, layer, name)


def quantity(shop: Shop, option_id: int) -> int:
    return int(shop.scalar("SELECT quantity FROM option WHERE id = :i", i=option_id))


def settings_form(shop: Shop, **changes: str | None) -> dict[str, str]:
    """The Global Settings form as the browser submits it now (unticked boxes are absent);
    `changes` replace fields, None removes one."""
    with shop.engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    "SELECT stock_management, backorders, out_of_stock_threshold,"
                    " only_x_left_threshold, notify_below, new_option_backorders,"
                    " allow_custom_backordering FROM product WHERE slug = :slug"
                ),
                {"slug": BIKE},
            )
            .mappings()
            .one()
        )
    form = {
        "backorders": row["backorders"],
        "out_of_stock_threshold": str(row["out_of_stock_threshold"]),
        "only_x_left_threshold": str(row["only_x_left_threshold"]),
        "notify_below": str(row["notify_below"]),
        "new_option_backorders": row["new_option_backorders"] or "",
    }
    if row["stock_management"]:
        form["stock_management"] = "on"
    if row["allow_custom_backordering"]:
        form["allow_custom_backordering"] = "on"
    return _apply(form, changes)


def option_form(shop: Shop, option_id: int, **changes: str | None) -> dict[str, str]:
    """An option's form as the editor shows it (quantity_seen = the quantity shown)."""
    with shop.engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    "SELECT name, sku, price_delta_cents, stock_management, stock_status,"
                    " track_inventory, quantity, backorders, out_of_stock_threshold,"
                    " only_x_left_threshold, notify_below FROM option WHERE id = :id"
                ),
                {"id": option_id},
            )
            .mappings()
            .one()
        )
    form = {
        "name": row["name"],
        "sku": row["sku"],
        "price_delta": f"{row['price_delta_cents'] / 100:.2f}",
        "stock_status": row["stock_status"],
        "quantity": str(row["quantity"]),
        "quantity_seen": str(row["quantity"]),
        "backorders": row["backorders"] or "",
    }
    for name in ("out_of_stock_threshold", "only_x_left_threshold", "notify_below"):
        form[name] = "" if row[name] is None else str(row[name])
    if row["stock_management"]:
        form["stock_management"] = "on"
    if row["track_inventory"]:
        form["track_inventory"] = "on"
    return _apply(form, changes)


def _apply(form: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


def save_settings(client: Client, shop: Shop, **changes: str | None) -> Response:
    return post_form(
        client, f"/admin/products/{bike_id(shop)}/settings", settings_form(shop, **changes)
    )


def save_option(client: Client, shop: Shop, option_id: int, **changes: str | None) -> Response:
    return post_form(
        client,
        f"/admin/products/{bike_id(shop)}/options/{option_id}",
        option_form(shop, option_id, **changes),
        files=NO_FILE,
    )


def saved(response: Response) -> None:
    assert response.status_code == 303, response.text
    assert "saved=" in response.headers["location"]


def reset(client: Client, shop: Shop, option_id: int, setting: str) -> Response:
    path = f"/admin/products/{bike_id(shop)}/options/{option_id}/reset/{setting}"
    return post_form(client, path)


def panel(client: Client, shop: Shop, option_id: int) -> str:
    response = client.get(f"/admin/products/{bike_id(shop)}?panel=option&item={option_id}")
    assert response.status_code == 200
    return response.text


def hint(html: str, setting: str) -> str:
    match = re.search(rf'id="option-{setting}-hint">([^<]*)<', html)
    assert match, f"no hint for {setting}"
    return match.group(1)


def has_reset_button(html: str, option_id: int, setting: str) -> bool:
    return f'options/{option_id}/reset/{setting}"' in html


def salable(html: str) -> str:
    """The salable quantity the option panel shows ("no limit" or a number)."""
    match = re.search(r'id="salable-line">Salable quantity:\s*<strong[^>]*>([^<]*)<', html)
    assert match, "no salable quantity shown"
    return match.group(1)


def add(
    client: Client,
    choices: dict[int, int],
    count: int = 1,
    *,
    answer: str | None = None,
    htmx: bool = False,
) -> Response:
    data: dict[str, object] = {"product": BIKE, "quantity": count}
    data.update({f"layer-{layer}": chosen for layer, chosen in choices.items()})
    if answer is not None:
        data["backorder_answer"] = answer
    return post_form(client, "/cart/items", data, htmx=htmx)


def storefront(client: Client) -> str:
    response = client.get(f"/products/{BIKE}")
    assert response.status_code == 200
    return response.text


def option_notice(html: str, option_id: int) -> str:
    """The notice next to an option on the configurator ("" when none)."""
    match = re.search(rf'id="notice-{option_id}">([^<]*)<', html)
    return match.group(1) if match else ""


def radio_disabled(html: str, option_id: int) -> bool:
    match = re.search(rf'<input type="radio"[^>]*\svalue="{option_id}"[^>]*>', html)
    assert match, f"no radio for option {option_id}"
    return re.search(r"\sdisabled\b", match.group(0)) is not None


def checkout(client: Client, shop: Shop) -> str:
    """Place the order in the cart; returns its number."""
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303, response.text
    token = response.headers["location"].removeprefix("/orders/")
    return str(shop.scalar("SELECT number FROM customer_order WHERE token = :t", t=token))


def low_stock_rows(html: str) -> list[str]:
    """The option cells of the dashboard's low-stock list."""
    start = html.index('id="low-stock-heading"')
    section = html[start : html.index("Recent orders", start)]
    return re.findall(r"<tr><td[^>]*><a [^>]*>([^<]*)</a>", section)


def layer_link(html: str, name: str) -> str:
    """An option's entry in the editor's Layers panel."""
    match = re.search(rf'class="option-link[^"]*"[^>]*>{re.escape(name)}(.*?)</a>', html, re.S)
    assert match, f"{name} not in the Layers panel"
    return match.group(1)


def cart_line_html(html: str, line_id: int) -> str:
    start = html.index(f'id="line-{line_id}"')
    ends = [html.find(marker, start + 1) for marker in ('id="line-', 'class="cart-summary"')]
    return html[start : min(end for end in ends if end > 0)]


def stock_check(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DATABASE_URL", shop.engine.url.render_as_string(hide_password=False))
    return cli.main(["stock", "check"])


def movements(shop: Shop, option_id: int) -> list[tuple[Any, ...]]:
    """(delta, quantity_after, reason, order_number, username), oldest first."""
    with shop.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT delta, quantity_after, reason, order_number, username"
                    " FROM stock_movement WHERE option_id = :id ORDER BY id"
                ),
                {"id": option_id},
            )
        ]


# 1. Inherited settings and "Reset to global" -----------------------------------------------------


def test_backorders_inherit_override_and_reset_to_global(shop: Shop, client: Client) -> None:
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)
    saved(save_option(client, shop, gravel, quantity="0"))

    html = panel(client, shop, gravel)
    assert re.search(
        r'<option value="" selected>Use global setting \(Allow backorders and notify customer',
        html,
    )
    assert not has_reset_button(html, gravel, "backorders")
    assert option_notice(storefront(client), gravel) == "Available on Backorder"

    saved(save_option(client, shop, gravel, backorders="no"))

    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=gravel) == "no"
    html = panel(client, shop, gravel)
    assert '<option value="no" selected>No backorders</option>' in html
    assert "Global setting now: Allow backorders and notify customer" in html
    assert has_reset_button(html, gravel, "backorders")
    page = storefront(client)
    assert option_notice(page, gravel) == "Out of Stock"
    assert radio_disabled(page, gravel)

    response = reset(client, shop, gravel, "backorders")

    assert response.status_code == 303
    assert "saved=reset" in response.headers["location"]
    assert "Back to the global setting." in client.get(response.headers["location"]).text
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=gravel) is None
    assert option_notice(storefront(client), gravel) == "Available on Backorder"
    assert not has_reset_button(panel(client, shop, gravel), gravel, "backorders")

    # Inherited again: the option follows a change of the global value.
    saved(save_settings(client, shop, backorders="no"))
    assert option_notice(storefront(client), gravel) == "Out of Stock"
    assert "Use global setting (No backorders)" in panel(client, shop, gravel)


def test_out_of_stock_threshold_inherit_override_and_reset(shop: Shop, client: Client) -> None:
    wheels = shop.ids(BIKE)["Wheels"]
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)

    html = panel(client, shop, gravel)
    assert hint(html, "out_of_stock_threshold").startswith("Uses the global setting: 0.")
    assert 'placeholder="Use global setting (0)"' in html
    assert salable(html) == "no limit"
    assert option_notice(storefront(client), gravel) == ""

    saved(save_option(client, shop, gravel, out_of_stock_threshold="8"))

    assert shop.scalar("SELECT out_of_stock_threshold FROM option WHERE id = :i", i=gravel) == 8
    html = panel(client, shop, gravel)
    assert hint(html, "out_of_stock_threshold").startswith("Set here; global setting: 0.")
    assert has_reset_button(html, gravel, "out_of_stock_threshold")
    assert salable(html) == "4"
    assert f"= 12 on hand {MINUS} threshold 8" in html
    assert option_notice(storefront(client), gravel) == "Only 4 left"
    before = shop.snapshot()
    assert add(client, {wheels: gravel}, 5).status_code == 409
    assert shop.snapshot() == before

    response = reset(client, shop, gravel, "out_of_stock_threshold")

    assert response.status_code == 303
    assert shop.scalar("SELECT out_of_stock_threshold FROM option WHERE id = :i", i=gravel) is None
    html = panel(client, shop, gravel)
    assert hint(html, "out_of_stock_threshold").startswith("Uses the global setting: 0.")
    assert salable(html) == "no limit"
    assert option_notice(storefront(client), gravel) == ""
    assert add(client, {wheels: gravel}, 5).status_code == 303


def test_the_salable_line_shows_the_threshold_that_applies(shop: Shop, client: Client) -> None:
    """Without backorders a negative Out-of-Stock Threshold counts as 0 (nothing is sold
    below zero); with them it lets more be backordered. The line says the one that applies."""
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)

    saved(save_option(client, shop, gravel, backorders="no", out_of_stock_threshold="-5"))

    html = panel(client, shop, gravel)
    assert salable(html) == "12"
    assert f"= 12 on hand {MINUS} threshold 0" in html

    saved(save_option(client, shop, gravel, backorders="notify", out_of_stock_threshold="-5"))

    html = panel(client, shop, gravel)
    assert salable(html) == "17"
    assert f"= 12 on hand {MINUS} threshold -5" in html


def test_only_x_left_threshold_inherit_override_and_reset(shop: Shop, client: Client) -> None:
    honey = option(shop, "Saddle", "Honey Leather")
    sign_in(shop, client)

    html = panel(client, shop, honey)
    assert hint(html, "only_x_left_threshold").startswith("Uses the global setting: 5.")
    saved(save_option(client, shop, honey, only_x_left_threshold="3"))  # at the threshold
    assert option_notice(storefront(client), honey) == "Only 3 left"
    assert 'placeholder="Use global setting (5)"' in html
    assert option_notice(storefront(client), honey) == "Only 3 left"

    saved(save_option(client, shop, honey, only_x_left_threshold="2"))

    assert shop.scalar("SELECT only_x_left_threshold FROM option WHERE id = :i", i=honey) == 2
    html = panel(client, shop, honey)
    assert hint(html, "only_x_left_threshold").startswith("Set here; global setting: 5.")
    assert has_reset_button(html, honey, "only_x_left_threshold")
    assert option_notice(storefront(client), honey) == ""

    assert reset(client, shop, honey, "only_x_left_threshold").status_code == 303

    assert shop.scalar("SELECT only_x_left_threshold FROM option WHERE id = :i", i=honey) is None
    assert option_notice(storefront(client), honey) == "Only 3 left"
    saved(save_settings(client, shop, only_x_left_threshold="0"))
    assert option_notice(storefront(client), honey) == ""


def test_notify_below_inherit_override_and_reset(shop: Shop, client: Client) -> None:
    green = option(shop, "Frame", "Forest Green")
    sign_in(shop, client)

    html = panel(client, shop, green)
    assert hint(html, "notify_below").startswith("Uses the global setting: 3.")
    assert "Frame · Forest Green" in low_stock_rows(client.get("/admin").text)

    saved(save_option(client, shop, green, notify_below="1"))

    assert shop.scalar("SELECT notify_below FROM option WHERE id = :i", i=green) == 1
    html = panel(client, shop, green)
    assert hint(html, "notify_below").startswith("Set here; global setting: 3.")
    assert has_reset_button(html, green, "notify_below")
    assert "Low stock" not in layer_link(html, "Forest Green")
    assert "Frame · Forest Green" not in low_stock_rows(client.get("/admin").text)

    assert reset(client, shop, green, "notify_below").status_code == 303

    assert shop.scalar("SELECT notify_below FROM option WHERE id = :i", i=green) is None
    assert "Low stock" in layer_link(panel(client, shop, green), "Forest Green")
    assert "Frame · Forest Green" in low_stock_rows(client.get("/admin").text)


def test_resetting_an_unknown_setting_is_a_404_and_changes_nothing(
    shop: Shop, client: Client
) -> None:
    honey = option(shop, "Saddle", "Honey Leather")
    sign_in(shop, client)
    before = shop.snapshot()

    for setting in ("colour", "quantity", "name", "stock_status"):
        assert reset(client, shop, honey, setting).status_code == 404, setting
    # An option of another product is not found through this one.
    sneaker_option = shop.option_id("court-sneaker", "Laces", "Black")
    assert reset(client, shop, sneaker_option, "backorders").status_code == 404
    assert shop.snapshot() == before


def test_new_options_get_the_default_for_new_image_layers(shop: Shop, client: Client) -> None:
    bike = bike_id(shop)
    wheels = shop.ids(BIKE)["Wheels"]
    sign_in(shop, client)

    def add_option(name: str) -> int:
        response = post_form(
            client,
            f"/admin/products/{bike}/layers/{wheels}/options",
            {"name": name, "sku": "", "price_delta": "0"},
            files=NO_FILE,
        )
        assert response.status_code == 303, response.text
        return int(shop.scalar("SELECT id FROM option WHERE name = :n", n=name))

    saved(save_settings(client, shop, new_option_backorders="no"))
    assert shop.scalar("SELECT new_option_backorders FROM product WHERE id = :i", i=bike) == "no"
    assert re.search(
        r'<option value="no" selected>No backorders</option>',
        client.get(f"/admin/products/{bike}?panel=settings").text,
    )

    strict = add_option("Aero Strict")

    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=strict) == "no"
    html = panel(client, shop, strict)
    assert '<option value="no" selected>No backorders</option>' in html
    assert has_reset_button(html, strict, "backorders")

    saved(save_settings(client, shop, new_option_backorders=""))
    inheriting = add_option("Aero Inherit")

    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=inheriting) is None
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=strict) == "no"
    assert '<option value="" selected>Use global setting' in panel(client, shop, inheriting)


# 2. Derived status -------------------------------------------------------------------------------


def test_selling_the_last_units_makes_an_option_out_of_stock_and_a_restock_brings_it_back(
    shop: Shop, client: Client
) -> None:
    saddle = shop.ids(BIKE)["Saddle"]
    honey = option(shop, "Saddle", "Honey Leather")
    assert add(client, {saddle: honey}, 3).status_code == 303
    checkout(client, shop)

    assert quantity(shop, honey) == 0
    page = storefront(client)
    assert option_notice(page, honey) == "Out of Stock"
    assert radio_disabled(page, honey)
    refused = client.get(f"/products/{BIKE}?layer-{saddle}={honey}").text
    assert "Saddle: Honey Leather is out of stock and cannot be ordered." in notices(refused)
    before = shop.snapshot()
    assert add(client, {saddle: honey}, 1).status_code == 409
    assert shop.snapshot() == before
    sign_in(shop, client)
    html = panel(client, shop, honey)
    assert "Status: <strong>Out of Stock</strong>" in html
    assert salable(html) == "0"

    saved(save_option(client, shop, honey, quantity="4"))

    assert quantity(shop, honey) == 4
    page = storefront(client)
    assert option_notice(page, honey) == "Only 4 left"
    assert not radio_disabled(page, honey)
    assert "Status: <strong>In Stock</strong>" in panel(client, shop, honey)
    assert client.get(f"/products/{BIKE}?layer-{saddle}={honey}").status_code == 200


def test_selling_past_zero_with_backorders_shows_available_on_backorder(
    shop: Shop, client: Client
) -> None:
    wheels = shop.ids(BIKE)["Wheels"]
    gravel = option(shop, "Wheels", "Gravel Tan")
    assert add(client, {wheels: gravel}, 15).status_code == 303
    assert "12 ship now, 3 once restocked." in client.get("/cart").text

    checkout(client, shop)

    assert quantity(shop, gravel) == -3
    page = storefront(client)
    assert option_notice(page, gravel) == "Available on Backorder"
    assert not radio_disabled(page, gravel)
    sign_in(shop, client)
    assert "Status: <strong>On Backorder</strong>" in panel(client, shop, gravel)


# 3. Thresholds -----------------------------------------------------------------------------------


def test_a_negative_threshold_caps_backorders(shop: Shop, client: Client) -> None:
    red = option(shop, "Frame", "Racing Red")
    sign_in(shop, client)

    saved(save_option(client, shop, red, out_of_stock_threshold="-50"))

    html = panel(client, shop, red)
    assert salable(html) == "75"
    assert f"= 25 on hand {MINUS} threshold -50" in html
    before = shop.snapshot()
    refused = add(client, {}, 76)
    assert refused.status_code == 409
    assert (
        "Only 75 more can be ordered (limited by Racing Red (Frame)); you asked for 76."
        in notices(refused.text)
    )
    assert shop.snapshot() == before

    assert add(client, {}, 75).status_code == 303
    cart = client.get("/cart").text
    assert "25 ship now, 50 once restocked." in cart
    assert "(Available Backorder)" in cart

    checkout(client, shop)

    assert quantity(shop, red) == -50
    assert option_notice(storefront(client), red) == "Out of Stock"


def test_a_positive_threshold_keeps_a_reserve_without_backorders(
    shop: Shop, client: Client
) -> None:
    wheels = shop.ids(BIKE)["Wheels"]
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)

    saved(
        save_option(client, shop, gravel, quantity="5", backorders="no", out_of_stock_threshold="2")
    )

    html = panel(client, shop, gravel)
    assert salable(html) == "3"
    assert f"= 5 on hand {MINUS} threshold 2" in html
    assert option_notice(storefront(client), gravel) == "Only 3 left"
    before = shop.snapshot()
    refused = add(client, {wheels: gravel}, 4)
    assert refused.status_code == 409
    assert (
        "Only 3 more can be ordered (limited by Gravel Tan (Wheels)); you asked for 4."
        in notices(refused.text)
    )
    assert shop.snapshot() == before

    assert add(client, {wheels: gravel}, 3).status_code == 303
    checkout(client, shop)

    assert quantity(shop, gravel) == 2
    page = storefront(client)
    assert option_notice(page, gravel) == "Out of Stock"
    assert radio_disabled(page, gravel)


def test_only_x_left_shows_as_stock_falls_and_never_for_unlimited_backorders(
    shop: Shop, client: Client
) -> None:
    ids = shop.ids(BIKE)
    gravel = option(shop, "Wheels", "Gravel Tan")
    honey = option(shop, "Saddle", "Honey Leather")
    sign_in(shop, client)
    saved(save_option(client, shop, gravel, quantity="3"))

    page = storefront(client)
    assert option_notice(page, honey) == "Only 3 left"
    assert option_notice(page, gravel) == ""  # unlimited backorders: never "Only X left"
    chosen = client.get(f"/products/{BIKE}?layer-{ids['Saddle']}={honey}")
    assert "In stock. Only 3 left: Saddle · Honey Leather." in notices(chosen.text, "low")

    assert add(client, {ids["Saddle"]: honey}, 1).status_code == 303
    checkout(client, shop)
    assert option_notice(storefront(client), honey) == "Only 2 left"

    saved(save_option(client, shop, gravel, backorders="no"))
    assert option_notice(storefront(client), gravel) == "Only 3 left"


def test_low_stock_list_on_the_dashboard_and_badges_in_the_layers_panel(
    shop: Shop, client: Client
) -> None:
    green = option(shop, "Frame", "Forest Green")
    sign_in(shop, client)

    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    assert low_stock_rows(dashboard.text) == ["Frame · Forest Green", "Saddle · Honey Leather"]
    editor = client.get(f"/admin/products/{bike_id(shop)}").text
    for name in ("Forest Green", "Honey Leather"):
        assert "Low stock" in layer_link(editor, name), name
    for name in ("Road Classic", "Gravel Tan", "Racing Red", "Midnight Blue", "Carbon Deep"):
        assert "Low stock" not in layer_link(editor, name), name
    assert "Low stock" in panel(client, shop, green)

    saved(save_option(client, shop, green, quantity="10"))

    assert low_stock_rows(client.get("/admin").text) == ["Saddle · Honey Leather"]
    assert "Low stock" not in layer_link(panel(client, shop, green), "Forest Green")


# 4. The custom backordering question -------------------------------------------------------------


def ask_setup(shop: Shop, client: Client) -> dict[int, int]:
    """Allow custom backordering, leave 5 Gravel Tan; returns the Gravel Tan choice."""
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)
    saved(save_settings(client, shop, allow_custom_backordering="on"))
    saved(save_option(client, shop, gravel, quantity="5"))
    assert shop.scalar("SELECT allow_custom_backordering FROM product WHERE slug = :s", s=BIKE)
    return {shop.ids(BIKE)["Wheels"]: gravel}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_adding_more_than_in_stock_asks_first_and_writes_nothing(
    shop: Shop, client: Client, htmx: bool
) -> None:
    choice = ask_setup(shop, client)
    before = shop.snapshot()

    response = add(client, choice, 10, htmx=htmx)

    assert response.status_code == 200
    assert QUESTION in response.text
    assert "Yes, back order the other 5" in response.text
    assert "No, add only the 5 in stock" in response.text
    assert 'name="backorder_answer" value="yes"' in response.text
    assert 'name="backorder_answer" value="no"' in response.text
    assert '<input type="hidden" name="quantity" value="10">' in response.text
    for layer, chosen in choice.items():
        assert f'<input type="hidden" name="layer-{layer}" value="{chosen}">' in response.text
    if htmx:
        assert response.text.lstrip().startswith('<div id="purchase-dialog"')
        assert "<html" not in response.text
    else:
        assert "<html" in response.text
        assert 'id="purchase-dialog"' in response.text
    assert shop.snapshot() == before


def test_the_same_answer_sent_twice_adds_once(shop: Shop, client: Client) -> None:
    """A double click on "Yes": the form carries the cart as it was when asked."""
    choice = ask_setup(shop, client)
    question = add(client, choice, 10)
    state = re.search(r'name="cart_state" value="([0-9a-f]+)"', question.text)
    assert state, "the question carries the cart's state"
    data: dict[str, object] = {
        "product": BIKE,
        "quantity": 10,
        "backorder_answer": "yes",
        "cart_state": state.group(1),
    }
    data.update({f"layer-{layer}": chosen for layer, chosen in choice.items()})

    first = post_form(client, "/cart/items", data)
    second = post_form(client, "/cart/items", data)

    assert first.status_code == second.status_code == 303
    assert second.headers["location"].startswith("/cart")
    with shop.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT quantity, backorder_line FROM cart_line ORDER BY id"
        ).all()
    assert [tuple(r) for r in rows] == [(5, 0), (5, 1)]


def test_answering_no_adds_only_what_is_in_stock(shop: Shop, client: Client) -> None:
    choice = ask_setup(shop, client)

    response = add(client, choice, 10, answer="no")

    assert response.status_code == 303
    cart = client.get(response.headers["location"]).text
    assert "Added the 5 in stock." in notices(cart, "instock")
    assert len(line_ids(cart)) == 1
    assert 'value="5"' in cart_line_html(cart, line_ids(cart)[0])
    assert "back ordered" not in cart
    assert "(Available Backorder)" not in cart
    with shop.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT quantity, backorder_line FROM cart_line").all()
    assert [tuple(r) for r in rows] == [(5, 0)]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_answering_yes_adds_two_lines_and_the_order_records_both(
    shop: Shop, client: Client, htmx: bool
) -> None:
    choice = ask_setup(shop, client)
    gravel = next(iter(choice.values()))

    response = add(client, choice, 10, answer="yes", htmx=htmx)

    if htmx:
        # The shopper stays on the product: the answer says what was added, links to the
        # cart and updates the header's count (10 items) out of band.
        assert response.status_code == 200
        assert "HX-Redirect" not in response.headers
        assert "Added 5 in stock and 5 back ordered. View cart" in notices(response.text, "added")
        assert re.search(r'id="cart-link"[^>]*hx-swap-oob="true"[^>]*>Cart <span', response.text)
        assert '<span class="cart-count">10<' in response.text
    else:
        assert response.status_code == 303
        cart = client.get(response.headers["location"]).text
        assert "Added 5 in stock and 5 back ordered." in notices(cart, "instock")
    cart = client.get("/cart").text
    with shop.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT quantity, backorder_line FROM cart_line ORDER BY id"
        ).all()
    assert [tuple(r) for r in rows] == [(5, 0), (5, 1)]
    first, second = (cart_line_html(cart, line) for line in line_ids(cart))
    assert "back ordered" not in first
    assert "(Available Backorder)" not in first
    assert '<span class="backorder-label">back ordered</span>' in second
    gravel_row = re.search(r"Gravel Tan\s*<span class=\"backorder-label\">([^<]*)<", second)
    assert gravel_row and gravel_row.group(1) == "(Available Backorder)"
    assert second.count("(Available Backorder)") == 1
    assert "All 5 backordered: they ship once restocked." in second

    number = checkout(client, shop)

    with shop.engine.connect() as connection:
        lines = connection.exec_driver_sql(
            "SELECT quantity, quantity_in_stock, quantity_backordered, backorder_line,"
            " backorder_told FROM order_line ORDER BY position"
        ).all()
        gravel_options = connection.execute(
            text(
                "SELECT quantity_backordered, backordered, customer_told FROM order_line_option"
                " WHERE option_id = :id ORDER BY order_line_id"
            ),
            {"id": gravel},
        ).all()
        other_backordered = connection.execute(
            text("SELECT sum(quantity_backordered) FROM order_line_option WHERE option_id != :id"),
            {"id": gravel},
        ).scalar()
    assert [tuple(r) for r in lines] == [(5, 5, 0, 0, 0), (5, 0, 5, 1, 1)]
    assert [tuple(r) for r in gravel_options] == [(0, 0, 1), (5, 1, 1)]
    assert other_backordered == 0
    assert quantity(shop, gravel) == -5
    assert shop.scalar("SELECT backorder_told FROM customer_order WHERE number = :n", n=number)


# 5. Checkout takes stock; stock check; cancelling ------------------------------------------------


def order_two_bikes(shop: Shop, client: Client) -> tuple[str, dict[str, int]]:
    ids = shop.ids(BIKE)
    tracked = {
        "Gravel Tan": ids["Gravel Tan"],
        "Midnight Blue": ids["Midnight Blue"],
        "Honey Leather": ids["Honey Leather"],
    }
    choices = {ids["Wheels"]: ids["Gravel Tan"], ids["Frame"]: ids["Midnight Blue"]}
    choices[ids["Saddle"]] = ids["Honey Leather"]
    assert add(client, choices, 2).status_code == 303
    return checkout(client, shop), tracked


def test_checkout_takes_stock_with_one_movement_per_tracked_option(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    movements_before = shop.count("stock_movement")

    number, tracked = order_two_bikes(shop, client)

    expected = {"Gravel Tan": 10, "Midnight Blue": 16, "Honey Leather": 1}
    for name, option_id in tracked.items():
        assert quantity(shop, option_id) == expected[name], name
        assert movements(shop, option_id)[-1] == (-2, expected[name], "order placed", number, "")
    assert shop.count("stock_movement") == movements_before + 3
    assert stock_check(shop, monkeypatch) == 0
    assert "Stock is consistent" in capsys.readouterr().out

    shop.execute("UPDATE option SET quantity = 99 WHERE id = :i", i=tracked["Gravel Tan"])

    assert stock_check(shop, monkeypatch) == 1
    out = capsys.readouterr()
    assert "'Gravel Tan'" in out.out
    assert "quantity on hand 99, movements add up to 10" in out.out
    assert "Midnight Blue" not in out.out
    assert "1 option(s) disagree" in out.err


def test_cancelling_an_order_gives_the_stock_back_once(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    number, tracked = order_two_bikes(shop, client)
    sign_in(shop, client)

    response = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/orders/{number}?saved=cancelled"
    page = client.get(response.headers["location"]).text
    assert "Order cancelled; its stock was given back." in notices(page, "instock")
    assert ">Cancelled</span>" in page
    assert "Cancel order and restock" not in page
    assert shop.scalar("SELECT status FROM customer_order WHERE number = :n", n=number) == (
        "cancelled"
    )
    assert shop.scalar("SELECT cancelled_at FROM customer_order WHERE number = :n", n=number)
    original = {"Gravel Tan": 12, "Midnight Blue": 18, "Honey Leather": 3}
    for name, option_id in tracked.items():
        assert quantity(shop, option_id) == original[name], name
        assert movements(shop, option_id)[-1] == (
            2,
            original[name],
            "order cancelled",
            number,
            "admin",
        )
    assert stock_check(shop, monkeypatch) == 0
    capsys.readouterr()
    before = shop.snapshot()

    again = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})

    assert again.status_code == 409
    assert "This order is already cancelled; its stock was given back then." in notices(again.text)
    assert shop.snapshot() == before
    assert shop.scalar("SELECT status FROM customer_order WHERE number = :n", n=number) == (
        "cancelled"
    )
    assert (
        post_form(client, "/admin/orders/CFG-NOTREAL/cancel", {"confirm": "yes"}).status_code == 404
    )
    assert shop.snapshot() == before


# 6. Merchant adjustments and the movement history ------------------------------------------------


def test_a_merchant_adjustment_is_a_movement_and_history_is_newest_first(
    shop: Shop, client: Client
) -> None:
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)

    saved(save_option(client, shop, gravel, quantity="20"))
    saved(save_option(client, shop, gravel, quantity="17"))
    saved(save_option(client, shop, gravel, name="Gravel Tan"))  # unchanged: no movement

    assert quantity(shop, gravel) == 17
    assert movements(shop, gravel) == [
        (12, 12, "initial stock", "", "demo"),
        (8, 20, "adjustment", "", "admin"),
        (-3, 17, "adjustment", "", "admin"),
    ]
    history = client.get(f"/admin/products/{bike_id(shop)}/options/{gravel}/movements")
    assert history.status_code == 200
    assert "Quantity on hand now: <strong>17</strong>" in history.text
    body = history.text[history.text.index("<tbody>") : history.text.index("</tbody>")]
    rows = re.findall(
        r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
        r"<td>[^<]*</td><td>([^<]*)</td></tr>",
        body,
    )
    assert rows == [
        ("-3", "17", "adjustment", "admin"),
        ("+8", "20", "adjustment", "admin"),
        ("+12", "12", "initial stock", "demo"),
    ]
    assert f"options/{gravel}/movements" in panel(client, shop, gravel)
    laces = shop.option_id("court-sneaker", "Laces", "Black")
    other = client.get(f"/admin/products/{bike_id(shop)}/options/{laces}/movements")
    assert other.status_code == 404


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_stale_quantity_form_is_refused_after_an_order(
    shop: Shop, client: Client, htmx: bool
) -> None:
    wheels = shop.ids(BIKE)["Wheels"]
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)
    opened = panel(client, shop, gravel)
    assert '<input type="hidden" name="quantity_seen" value="12">' in opened
    stale = option_form(shop, gravel, quantity="30", name="Gravel Tan Renamed")
    assert add(client, {wheels: gravel}, 2).status_code == 303
    checkout(client, shop)
    before = shop.snapshot()

    response = post_form(
        client,
        f"/admin/products/{bike_id(shop)}/options/{gravel}",
        stale,
        files=NO_FILE,
        htmx=htmx,
    )

    assert response.status_code == 422
    assert field_errors(response.text) == {
        "quantity": "An order changed the quantity on hand while you were editing: it is now 10."
        " Nothing was saved; check it and save again."
    }
    assert shop.snapshot() == before
    assert quantity(shop, gravel) == 10
    assert movements(shop, gravel)[-1][2] == "order placed"
    assert '<input type="hidden" name="quantity_seen" value="10">' in response.text


# 7. Silent backorders ----------------------------------------------------------------------------


def test_silent_backorders_tell_the_shopper_nothing_but_the_merchant_everything(
    shop: Shop, client: Client
) -> None:
    ids = shop.ids(BIKE)
    gravel = ids["Gravel Tan"]
    sign_in(shop, client)
    saved(save_settings(client, shop, backorders="allow", allow_custom_backordering="on"))
    saved(save_option(client, shop, gravel, quantity="2"))

    page = storefront(client)
    assert "Available on Backorder" not in page
    assert option_notice(page, ids["Carbon Deep"]) == ""
    assert option_notice(page, gravel) == ""
    chosen = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Carbon Deep']}")
    assert chosen.status_code == 200
    assert "Available on Backorder" not in chosen.text

    # More than in stock: no question either, the shopper is not to be told.
    gravel_added = add(client, {ids["Wheels"]: gravel}, 3)
    assert gravel_added.status_code == 303
    assert add(client, {ids["Wheels"]: ids["Carbon Deep"]}, 1).status_code == 303
    cart = client.get("/cart").text
    for hidden in (
        "(Available Backorder)",
        "Available on Backorder",
        "backordered",
        "back ordered",
    ):
        assert hidden not in cart, hidden
    assert "Proceed to checkout" in cart

    number = checkout(client, shop)

    token = shop.scalar("SELECT token FROM customer_order WHERE number = :n", n=number)
    confirmation = client.get(f"/orders/{token}").text
    for hidden in ("(Available Backorder)", "backordered", "on backorder", "back ordered"):
        assert hidden not in confirmation, hidden
    assert "ships once restocked" not in confirmation.lower()
    with shop.engine.connect() as connection:
        order = connection.exec_driver_sql(
            "SELECT has_backorder, backorder_told FROM customer_order"
        ).one()
        recorded = connection.exec_driver_sql(
            "SELECT option_name, quantity_backordered, backordered, customer_told"
            " FROM order_line_option WHERE quantity_backordered > 0 ORDER BY option_name"
        ).all()
        lines = connection.exec_driver_sql(
            "SELECT quantity, quantity_in_stock, quantity_backordered, backorder_told"
            " FROM order_line ORDER BY position"
        ).all()
    assert tuple(order) == (1, 0)
    assert [tuple(r) for r in recorded] == [("Carbon Deep", 1, 1, 0), ("Gravel Tan", 1, 1, 0)]
    assert [tuple(r) for r in lines] == [(3, 2, 1, 0), (1, 0, 1, 0)]

    admin = client.get(f"/admin/orders/{number}").text
    assert "customer not told" in admin
    assert admin.count("1 to follow, customer not told") == 2
    assert "The customer was not told (silent backorder)." in admin
    assert "2 ship now, 1 once restocked." in admin


# 8. Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_adding_more_than_salable_is_refused_with_the_number_left(
    shop: Shop, client: Client, htmx: bool
) -> None:
    saddle = shop.ids(BIKE)["Saddle"]
    honey = option(shop, "Saddle", "Honey Leather")
    assert add(client, {saddle: honey}, 2).status_code == 303
    before = shop.snapshot()

    response = add(client, {saddle: honey}, 2, htmx=htmx)

    assert response.status_code == 409
    message = "Only 1 more can be ordered (limited by Honey Leather (Saddle)); you asked for 2."
    assert message in response.text
    assert shop.snapshot() == before


def test_raising_a_cart_line_past_salable_is_refused_with_the_number_left(
    shop: Shop, client: Client
) -> None:
    saddle = shop.ids(BIKE)["Saddle"]
    honey = option(shop, "Saddle", "Honey Leather")
    assert add(client, {saddle: honey}, 2).status_code == 303
    (line,) = line_ids(client.get("/cart").text)
    before = shop.snapshot()

    response = post_form(client, f"/cart/lines/{line}", {"quantity": 4})

    assert "Only 3 can be ordered (limited by Honey Leather (Saddle)); you asked for 4." in notices(
        response.text
    )
    assert shop.snapshot() == before
    # A refusal of what cannot be sold is a conflict (409), as when adding.
    assert response.status_code == 409


def test_a_cart_holding_more_than_is_left_cannot_check_out(shop: Shop, client: Client) -> None:
    saddle = shop.ids(BIKE)["Saddle"]
    honey = option(shop, "Saddle", "Honey Leather")
    assert add(client, {saddle: honey}, 3).status_code == 303
    with TestClient(shop.app) as other:
        assert add(other, {saddle: honey}, 2).status_code == 303
        checkout(other, shop)
    assert quantity(shop, honey) == 1
    cart = client.get("/cart").text
    assert (
        "Only 1 of Honey Leather (Saddle) can be ordered, and your cart has 3. Lower the quantity."
        in " ".join(notices(cart))
    )
    before = shop.snapshot()

    response = post_form(client, "/checkout", CUSTOMER)

    assert response.status_code == 303
    assert response.headers["location"] == "/cart?checkout=attention"
    assert shop.snapshot() == before
    assert shop.count("customer_order") == 1
    assert quantity(shop, honey) == 1


WHOLE = "must be a whole number, for example 5 or -10."
BAD_NUMBERS = [
    ("out_of_stock_threshold", "abc", f"Out-of-Stock Threshold {WHOLE}"),
    ("out_of_stock_threshold", "1.5", f"Out-of-Stock Threshold {WHOLE}"),
    ("out_of_stock_threshold", "99999999999", f"Out-of-Stock Threshold {WHOLE}"),
    (
        "out_of_stock_threshold",
        "1000001",
        "Out-of-Stock Threshold must be between -1,000,000 and 1,000,000.",
    ),
    ("only_x_left_threshold", "-1", '"Only X left" threshold must be between 0 and 1,000,000.'),
    ("only_x_left_threshold", "abc", f'"Only X left" threshold {WHOLE}'),
    ("notify_below", "1.5", f"Notify for Quantity Below {WHOLE}"),
    ("notify_below", "99999999999", f"Notify for Quantity Below {WHOLE}"),
]


def test_bad_global_thresholds_are_refused(shop: Shop, client: Client) -> None:
    sign_in(shop, client)
    before = shop.snapshot()

    for field, value, message in BAD_NUMBERS:
        # A valid change sent along must not be saved either.
        response = save_settings(client, shop, **{field: value, "backorders": "allow"})

        assert response.status_code == 422, (field, value)
        assert field_errors(response.text) == {field: message}, (field, value)
        assert shop.snapshot() == before, (field, value)


BAD_OPTION_FIELDS = [
    *BAD_NUMBERS,
    ("quantity", "abc", f"Quantity on hand {WHOLE}"),
    ("quantity", "2.5", f"Quantity on hand {WHOLE}"),
    ("quantity", "-99999999999", f"Quantity on hand {WHOLE}"),
    ("backorders", "sometimes", "Choose one of the backorder settings offered."),
]


def test_bad_option_stock_fields_are_refused(shop: Shop, client: Client) -> None:
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)
    before = shop.snapshot()

    for field, value, message in BAD_OPTION_FIELDS:
        changes = {field: value, "name": "Renamed"}
        if field != "quantity":
            changes["quantity"] = "20"
        response = save_option(client, shop, gravel, **changes)

        assert response.status_code == 422, (field, value)
        assert field_errors(response.text) == {field: message}, (field, value)
        assert shop.snapshot() == before, (field, value)


# 9. Migration ------------------------------------------------------------------------------------


def test_migration_0002_maps_enable_backorder_onto_the_three_choices(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for slug, backorder in (("with-backorder", True), ("without-backorder", False)):
            connection.execute(
                text(
                    "INSERT INTO product (name, slug, description, base_price_cents,"
                    " stock_management, backorder, created_at, updated_at)"
                    " VALUES (:name, :slug, '', 1000, :on, :backorder,"
                    " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
                ),
                {"name": slug.title(), "slug": slug, "on": True, "backorder": backorder},
            )
    engine.dispose()

    command.upgrade(config, "head")

    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT slug, backorders, out_of_stock_threshold, allow_custom_backordering,"
                " new_option_backorders FROM product ORDER BY slug"
            )
        ).all()
    columns = {column["name"] for column in inspect(engine).get_columns("product")}
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("with-backorder", "notify", 0, 0, None),
        ("without-backorder", "no", 0, 0, None),
    ]
    assert "backorders" in columns
    assert "backorder" not in columns


def test_cancelling_needs_the_confirmation_box(shop: Shop, client: Client) -> None:
    number, _tracked = order_two_bikes(shop, client)
    sign_in(shop, client)
    before = shop.snapshot()

    refused = post_form(client, f"/admin/orders/{number}/cancel")

    assert refused.status_code == 422
    assert "Tick the box to confirm" in refused.text
    assert shop.snapshot() == before


def test_cancels_racing_each_other_give_the_stock_back_once(shop: Shop, client: Client) -> None:
    """A double click or two merchants at once: the stock comes back exactly once."""
    number, tracked = order_two_bikes(shop, client)
    original = {"Gravel Tan": 12, "Midnight Blue": 18, "Honey Leather": 3}
    sign_in(shop, client)
    client.get("/admin")
    token = client.cookies["csrftoken"]
    start = threading.Barrier(6)

    def cancel(_: int) -> int:
        start.wait()
        return client.post(
            f"/admin/orders/{number}/cancel",
            data={"confirm": "yes", "_csrf_token": token},
            follow_redirects=False,
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(cancel, range(6)))

    assert statuses.count(303) == 1, statuses
    assert all(status in (303, 409) for status in statuses), statuses
    for name, option_id in tracked.items():
        assert quantity(shop, option_id) == original[name], name


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_raising_a_line_past_stock_asks_too(shop: Shop, client: Client, answer: str) -> None:
    choice = ask_setup(shop, client)
    add(client, choice, 2)
    (line,) = line_ids(client.get("/cart").text)
    before = shop.snapshot()

    asked = post_form(client, f"/cart/lines/{line}", {"quantity": 8}, htmx=True)

    assert asked.status_code == 200
    assert (
        "There are only 5 of Gravel Tan (Wheels) in stock, and you have added 8, "
        "do you want to back order the other 3?"
    ) in asked.text
    assert shop.snapshot() == before
    state = re.search(r'name="cart_state" value="([0-9a-f]+)"', asked.text)
    assert state

    answered = post_form(
        client,
        f"/cart/lines/{line}",
        {"quantity": 8, "backorder_answer": answer, "cart_state": state.group(1)},
    )

    assert answered.status_code == 303
    with shop.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT quantity, backorder_line FROM cart_line ORDER BY id"
        ).all()
    expected = [(5, 0), (3, 1)] if answer == "yes" else [(5, 0)]
    assert [tuple(r) for r in rows] == expected
