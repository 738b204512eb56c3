"""Conditional logic over HTTP: the merchant adds and deletes rules in the configurator
editor (bad input is a plain 4xx and writes nothing), the storefront applies them to the page
and its option-change fragment, and the server refuses a build the rules take away on add to
cart, on a quantity change and at checkout, however the request is crafted.

The demo bike has two rules: the Gravel Tan wheels hide the Drop Bar handlebar, and the
Bottle Cage is only offered with the Racing Red and Midnight Blue frames."""

from __future__ import annotations

import re

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from configurator.services import catalog_admin
from configurator.store.db import new_session
from tests.integration.conftest import (
    CUSTOMER,
    HX,
    Shop,
    add_to_cart,
    csrf,
    field_errors,
    line_ids,
    notices,
    post_form,
    sign_in,
)

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"


def post_rule(
    client: TestClient[Litestar],
    product_id: int,
    when: list[int] | list[str],
    action: str,
    target: str,
    *,
    otherwise: bool = False,
    htmx: bool = False,
) -> Response:
    data: dict[str, object] = {
        "_csrf_token": csrf(client),
        "when": [str(w) for w in when],
        "action": action,
        "target": target,
    }
    if otherwise:
        data["otherwise"] = "on"
    return client.post(
        f"/admin/products/{product_id}/rules",
        data=data,
        headers=HX if htmx else None,
        follow_redirects=False,
    )


def rule_texts(html: str) -> list[str]:
    found = re.findall(r'<span class="rule-text">(.*?)</span>', html, re.S)
    return [" ".join(text.split()) for text in found]


def version(shop: Shop, slug: str) -> int:
    return int(shop.scalar("SELECT version FROM product WHERE slug = :s", s=slug))


def radio(html: str, option_id: int) -> str | None:
    found = re.search(rf'<input type="radio" id="choice-{option_id}"[^>]*>', html)
    return found.group(0) if found else None


def changed_notices(html: str) -> list[str]:
    return notices(html, "changed")


def test_the_demo_rules_are_listed_in_the_editor(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    page = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=rules")
    assert page.status_code == 200
    assert rule_texts(page.text) == [
        "IF Wheels · Gravel Tan THEN Hide Handlebar · Drop Bar, Black Tape",
        "IF Frame · Racing Red or Frame · Midnight Blue THEN Show Accessory · Bottle Cage, "
        "otherwise Hide",
    ]
    assert "2 rules" in page.text


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_adding_and_deleting_a_rule_bumps_the_product_version(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    sign_in(shop, client)
    ids = shop.ids(BIKE)
    product = shop.product_id(BIKE)
    before, sneaker = version(shop, BIKE), version(shop, SNEAKER)

    added = post_rule(
        client, product, [ids["Carbon Deep"]], "hide", f"layer-{ids['Accessory']}", htmx=htmx
    )

    assert added.status_code == (200 if htmx else 303)
    page = added if htmx else client.get(added.headers["location"])
    assert "Rule added." in page.text
    assert "IF Wheels · Carbon Deep THEN Hide the layer Accessory" in rule_texts(page.text)
    assert version(shop, BIKE) > before
    assert version(shop, SNEAKER) == sneaker  # another product keeps its cache

    rule_id = int(shop.scalar("SELECT max(id) FROM product_rule"))
    before = version(shop, BIKE)
    deleted = post_form(client, f"/admin/products/{product}/rules/{rule_id}/delete", htmx=htmx)
    assert deleted.status_code == (200 if htmx else 303)
    page = deleted if htmx else client.get(deleted.headers["location"])
    assert "Rule deleted." in page.text
    assert len(rule_texts(page.text)) == 2
    assert version(shop, BIKE) > before


@pytest.mark.parametrize(
    ("when", "action", "target", "field", "message"),
    [
        ([], "hide", "layer-{Accessory}", "when", "Choose at least one option for IF."),
        (["{Laces White}"], "hide", "layer-{Accessory}", "when", "Choose options of this product"),
        (["99999999"], "hide", "layer-{Accessory}", "when", "Choose options of this product"),
        (["1e3"], "hide", "layer-{Accessory}", "when", "Choose options of this product"),
        (["{Carbon Deep}"], "explode", "layer-{Accessory}", "action", "Choose Show, Hide"),
        (["{Carbon Deep}"], "hide", "layer-{Laces}", "target", "Choose a layer or an option"),
        (["{Carbon Deep}"], "hide", "option-{Laces White}", "target", "Choose a layer or an"),
        (["{Carbon Deep}"], "hide", "shelf-1", "target", "Choose a layer or an option"),
        (["{Carbon Deep}"], "disable", "layer-{Accessory}", "target", "Enable and Disable apply"),
    ],
)
def test_bad_rules_are_a_plain_422_and_write_nothing(
    shop: Shop,
    client: TestClient[Litestar],
    when: list[str],
    action: str,
    target: str,
    field: str,
    message: str,
) -> None:
    sign_in(shop, client)
    names = {**shop.ids(BIKE), "Laces": shop.ids(SNEAKER)["Laces"]}
    names["Laces White"] = shop.option_id(SNEAKER, "Laces", "White")
    fill = {k.replace(" ", "_"): v for k, v in names.items()}

    def filled(text: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: str(fill[m.group(1).replace(" ", "_")]), text)

    before = shop.snapshot()
    version_before = version(shop, BIKE)
    refused = post_rule(
        client, shop.product_id(BIKE), [filled(w) for w in when], action, filled(target)
    )
    assert refused.status_code == 422
    assert message in field_errors(refused.text)[field]
    assert shop.snapshot() == before
    assert version(shop, BIKE) == version_before


def test_a_rule_loop_is_refused_with_a_clear_message(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    ids = shop.ids(BIKE)
    product = shop.product_id(BIKE)
    before = shop.snapshot()
    # The demo already has Wheels changing Handlebar; Handlebar changing Wheels closes a loop.
    loop = post_rule(
        client, product, [ids["Flat Bar, Silver"]], "disable", f"option-{ids['Road Classic']}"
    )
    assert loop.status_code == 422
    assert (
        "This rule would make a loop: Wheels changes Handlebar changes Wheels. A layer cannot "
        "change, through rules, the layers its own options depend on."
    ) in loop.text
    same_layer = post_rule(client, product, [ids["Road Classic"]], "hide", f"layer-{ids['Wheels']}")
    assert same_layer.status_code == 422
    assert "its options are on Wheels, the layer it changes" in same_layer.text
    assert shop.snapshot() == before


def test_a_rule_that_leaves_a_required_layer_empty_is_refused(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Gravel Tan already hides the Drop Bar; disabling the Flat Bar with it too would leave
    Handlebar (required) with nothing to choose."""
    sign_in(shop, client)
    ids = shop.ids(BIKE)
    before = shop.snapshot()
    refused = post_rule(
        client,
        shop.product_id(BIKE),
        [ids["Gravel Tan"]],
        "disable",
        f"option-{ids['Flat Bar, Silver']}",
    )
    assert refused.status_code == 422
    assert (
        "With Wheels · Gravel Tan, Frame · Racing Red, Handlebar is required but every one of "
        "its options would be hidden or disabled, so a shopper could not finish the build."
    ) in " ".join(refused.text.split())
    assert shop.snapshot() == before


def test_rule_edits_need_a_signed_in_merchant_a_csrf_token_and_this_products_rule(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    bike, sneaker = shop.product_id(BIKE), shop.product_id(SNEAKER)
    rules_before = shop.count("product_rule"), shop.count("product_rule_option")
    anonymous = post_form(
        client,
        f"/admin/products/{bike}/rules",
        {"when": ids["Carbon Deep"], "action": "hide", "target": f"layer-{ids['Accessory']}"},
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/admin/login")

    sign_in(shop, client)
    no_token = post_form(
        client,
        f"/admin/products/{bike}/rules",
        {"when": ids["Carbon Deep"], "action": "hide", "target": f"layer-{ids['Accessory']}"},
        token=False,
    )
    assert no_token.status_code == 403
    demo_rule = int(shop.scalar("SELECT min(id) FROM product_rule"))
    for path in (
        f"/admin/products/{sneaker}/rules/{demo_rule}/delete",  # the bike's rule
        f"/admin/products/{bike}/rules/99999999/delete",
        f"/admin/products/{bike}/rules/abc/delete",
        f"/admin/products/99999999/rules/{demo_rule}/delete",
    ):
        assert post_form(client, path).status_code == 404, path
    assert (shop.count("product_rule"), shop.count("product_rule_option")) == rules_before


# The storefront -------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_a_hidden_option_is_left_out_and_a_shared_link_gets_the_nearest_build(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    ids = shop.ids(BIKE)
    query = (
        f"layer-{ids['Wheels']}={ids['Gravel Tan']}"
        f"&layer-{ids['Handlebar']}={ids['Drop Bar, Black Tape']}"
    )
    path = f"/products/{BIKE}/configuration" if htmx else f"/products/{BIKE}"
    response = client.get(f"{path}?{query}", headers=HX if htmx else None)

    assert response.status_code == 200
    assert radio(response.text, ids["Drop Bar, Black Tape"]) is None
    flat = radio(response.text, ids["Flat Bar, Silver"])
    assert flat is not None and "checked" in flat
    assert changed_notices(response.text) == [
        "Changed: Handlebar: Drop Bar, Black Tape is not offered with Wheels · Gravel Tan, so "
        "Flat Bar, Silver is chosen instead."
    ]
    button = re.search(r'<button id="add-to-cart".*?>', response.text, re.S)
    assert button is not None and "disabled" not in button.group(0)
    if htmx:
        pushed = response.headers["HX-Push-Url"]
        assert f"layer-{ids['Handlebar']}={ids['Flat Bar, Silver']}" in pushed

    # With the other wheels, the Drop Bar is offered again.
    other = client.get(f"/products/{BIKE}?layer-{ids['Wheels']}={ids['Road Classic']}")
    assert radio(other.text, ids["Drop Bar, Black Tape"]) is not None
    assert not changed_notices(other.text)


def test_the_bottle_cage_is_only_offered_with_two_frames(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    cage = ids["Bottle Cage"]
    for frame in ("Racing Red", "Midnight Blue"):
        page = client.get(f"/products/{BIKE}?layer-{ids['Frame']}={ids[frame]}")
        assert radio(page.text, cage) is not None, frame
    green = client.get(
        f"/products/{BIKE}?layer-{ids['Frame']}={ids['Forest Green']}"
        f"&layer-{ids['Accessory']}={cage}"
    )
    assert radio(green.text, cage) is None
    none = re.search(rf'id="choice-{ids["Accessory"]}-none"[^>]*>', green.text)
    assert none is not None
    assert "checked" in none.group(0)
    assert changed_notices(green.text) == [
        "Changed: Accessory: Bottle Cage is only offered with Frame · Racing Red or Frame · "
        "Midnight Blue, so it was taken off."
    ]


def test_update_preview_without_javascript_applies_the_rules(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    form = {
        "product": BIKE,
        "quantity": 1,
        f"layer-{ids['Wheels']}": ids["Gravel Tan"],
        f"layer-{ids['Handlebar']}": ids["Drop Bar, Black Tape"],
    }
    redirected = post_form(client, f"/products/{BIKE}/configure", form)
    assert redirected.status_code == 303
    page = client.get(redirected.headers["location"])
    assert radio(page.text, ids["Drop Bar, Black Tape"]) is None
    assert "Flat Bar, Silver is chosen instead." in " ".join(changed_notices(page.text))


def test_the_cached_fragment_follows_a_new_rule(shop: Shop, client: TestClient[Litestar]) -> None:
    ids = shop.ids(BIKE)
    path = f"/products/{BIKE}/configuration?layer-{ids['Wheels']}={ids['Carbon Deep']}"
    first = client.get(path, headers=HX)
    assert f'id="layer-{ids["Accessory"]}"' in first.text

    with new_session(shop.engine) as session:
        catalog_admin.add_rule(
            session,
            shop.product_id(BIKE),
            {
                "when": [str(ids["Carbon Deep"])],
                "action": "hide",
                "target": f"layer-{ids['Accessory']}",
            },
        )

    again = client.get(path, headers=HX)
    assert f'id="layer-{ids["Accessory"]}"' not in again.text


# The server enforces them -----------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_crafted_add_to_cart_with_a_hidden_option_is_refused(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    ids = shop.ids(BIKE)
    before = shop.snapshot()
    hidden = add_to_cart(
        client,
        BIKE,
        {ids["Wheels"]: ids["Gravel Tan"], ids["Handlebar"]: ids["Drop Bar, Black Tape"]},
        1,
        htmx=htmx,
    )
    assert hidden.status_code == 409
    assert "Handlebar: Drop Bar, Black Tape is not offered with Wheels · Gravel Tan." in " ".join(
        hidden.text.split()
    )
    cage = add_to_cart(
        client,
        BIKE,
        {ids["Frame"]: ids["Forest Green"], ids["Accessory"]: ids["Bottle Cage"]},
        1,
        htmx=htmx,
    )
    assert cage.status_code == 409
    assert (
        "Accessory: Bottle Cage is only offered with Frame · Racing Red or Frame · Midnight Blue."
        in " ".join(cage.text.split())
    )
    assert shop.snapshot() == before
    # What the rules allow is bought as usual.
    allowed = add_to_cart(
        client, BIKE, {ids["Wheels"]: ids["Gravel Tan"], ids["Handlebar"]: ids["Flat Bar, Silver"]}
    )
    assert allowed.status_code == 303


def test_a_line_the_rules_no_longer_offer_cannot_grow_or_be_checked_out(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    added = add_to_cart(
        client, BIKE, {ids["Wheels"]: ids["Carbon Deep"], ids["Accessory"]: ids["Brass Bell"]}
    )
    assert added.status_code == 303
    with new_session(shop.engine) as session:
        catalog_admin.add_rule(
            session,
            shop.product_id(BIKE),
            {
                "when": [str(ids["Carbon Deep"])],
                "action": "hide",
                "target": f"layer-{ids['Accessory']}",
            },
        )

    cart = client.get("/cart")
    assert "Accessory is not offered with Wheels · Carbon Deep." in " ".join(cart.text.split())
    (line,) = line_ids(cart.text)
    before = shop.snapshot()
    raised = post_form(client, f"/cart/lines/{line}", {"quantity": 2})
    assert raised.status_code == 409
    assert "Accessory is not offered with Wheels · Carbon Deep." in " ".join(raised.text.split())
    checkout = post_form(client, "/checkout", CUSTOMER)
    assert checkout.status_code == 303
    assert checkout.headers["location"] == "/cart?checkout=attention"
    assert shop.count("customer_order") == 0
    assert shop.snapshot() == before
    # Lowering or removing it is always possible.
    removed = post_form(client, f"/cart/lines/{line}/remove")
    assert removed.status_code == 303


def test_deleting_the_only_option_of_a_rule_deletes_the_rule(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    ids = shop.ids(BIKE)
    product = shop.product_id(BIKE)
    before = shop.count("product_rule")
    deleted = post_form(client, f"/admin/products/{product}/options/{ids['Gravel Tan']}/delete")
    assert deleted.status_code == 303
    assert shop.count("product_rule") == before - 1
    # The rule's target going deletes it too.
    deleted = post_form(client, f"/admin/products/{product}/options/{ids['Bottle Cage']}/delete")
    assert deleted.status_code == 303
    assert shop.count("product_rule") == before - 2
