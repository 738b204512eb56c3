"""Editing a published product: a delete (or a layer made required) that would leave shoppers
nothing to build is refused with what would break; stock never blocks an edit; a layer just
added is an edit in progress, and the storefront says plainly the product cannot be ordered.
And a draft's preview offers no Add to cart."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import (
    HX,
    Shop,
    add_to_cart,
    notices,
    post_form,
    sign_in,
)

SNEAKER = "court-sneaker"
ADD_BUTTON = re.compile(r'<button id="add-to-cart".*?</button>', re.S)


def add_button(html: str) -> str:
    match = ADD_BUTTON.search(html)
    assert match, "no Add to cart button"
    return " ".join(match.group(0).split())


def layer_id(shop: Shop, name: str) -> int:
    return shop.ids(SNEAKER)[name]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_deleting_the_last_option_of_a_required_layer_of_a_published_product_is_refused(
    shop: Shop, client: TestClient[Litestar], htmx: bool
) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    studio = shop.option_id(SNEAKER, "Backdrop", "Studio")
    before = shop.snapshot()

    refused = post_form(client, f"/admin/products/{product}/options/{studio}/delete", htmx=htmx)

    assert refused.status_code == 409
    message = " ".join(notices(refused.text))
    assert "Nothing was changed." in message
    assert "This would leave Backdrop, a required layer, with no options" in message
    assert (
        "Unpublish Court Sneaker first, or add another option to Backdrop: a published product "
        "needs an option on every required layer."
    ) in message
    # The option's panel, as it was, so the merchant can act on it.
    assert "Option: Studio" in refused.text
    if htmx:
        assert refused.text.lstrip().startswith('<div id="editor"')
    assert shop.snapshot() == before
    client.cookies.clear()
    page = client.get(f"/products/{SNEAKER}")
    assert page.status_code == 200
    assert "Add to cart" in add_button(page.text)


def test_stock_never_blocks_a_delete_only_the_last_option_does(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    """Laces keeps only Neon Yellow (Out of Stock, no backorders): allowed, as running out is
    not structure; deleting Neon Yellow too is refused."""
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    for name in ("White", "Black"):
        option = shop.option_id(SNEAKER, "Laces", name)
        deleted = post_form(client, f"/admin/products/{product}/options/{option}/delete")
        assert deleted.status_code == 303

    neon = shop.option_id(SNEAKER, "Laces", "Neon Yellow")
    before = shop.snapshot()
    refused = post_form(client, f"/admin/products/{product}/options/{neon}/delete", htmx=True)
    assert refused.status_code == 409
    assert (
        "Unpublish Court Sneaker first, or add another option to Laces: a published product "
        "needs an option on every required layer."
    ) in " ".join(notices(refused.text))
    assert shop.snapshot() == before


def test_deleting_layers_keeps_a_published_product_buildable_until_the_last_one(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    for name in ("Backdrop", "Sole", "Upper"):
        deleted = post_form(
            client, f"/admin/products/{product}/layers/{layer_id(shop, name)}/delete"
        )
        assert deleted.status_code == 303
        assert "Layer deleted." in client.get(deleted.headers["location"]).text

    laces = layer_id(shop, "Laces")
    before = shop.snapshot()
    for htmx in (False, True):
        refused = post_form(client, f"/admin/products/{product}/layers/{laces}/delete", htmx=htmx)
        assert refused.status_code == 409
        message = " ".join(notices(refused.text))
        assert "This would leave Court Sneaker with no layers" in message
        assert "Unpublish Court Sneaker first, or add another layer" in message
        assert shop.snapshot() == before

    # What is left still sells.
    client.cookies.clear()
    page = client.get(f"/products/{SNEAKER}")
    assert "In stock, ready to build." in page.text
    assert "Add to cart" in add_button(page.text)
    assert add_to_cart(client, SNEAKER, {}, 1).status_code == 303


def test_a_draft_takes_any_delete(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    assert post_form(client, f"/admin/products/{product}/unpublish").status_code == 303
    studio = shop.option_id(SNEAKER, "Backdrop", "Studio")
    deleted = post_form(client, f"/admin/products/{product}/options/{studio}/delete")
    assert deleted.status_code == 303
    assert shop.scalar("SELECT count(*) FROM option WHERE id = :i", i=studio) == 0


def test_a_layer_added_to_a_published_product_is_allowed_and_the_shop_says_it_cannot_be_ordered(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    added = post_form(
        client, f"/admin/products/{product}/layers", {"name": "Tongue", "required": "on"}
    )
    assert added.status_code == 303
    editor = client.get(added.headers["location"]).text
    assert "Shoppers can see it but cannot order it until Tongue has an option." in editor

    client.cookies.clear()
    page = client.get(f"/products/{SNEAKER}")
    assert page.status_code == 200
    assert "In stock, ready to build." not in page.text
    assert "This product cannot be ordered yet: Tongue has no options." in notices(page.text)
    button = add_button(page.text)
    assert "disabled" in button and "Cannot be ordered" in button
    fragment = client.get(f"/products/{SNEAKER}/configuration", headers=HX)
    assert "This product cannot be ordered yet: Tongue has no options." in notices(fragment.text)
    assert "In stock, ready to build." not in fragment.text
    before = shop.snapshot()
    assert add_to_cart(client, SNEAKER, {}, 1).status_code == 409
    assert shop.snapshot() == before


def test_making_an_empty_layer_required_on_a_published_product_is_refused(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    added = post_form(client, f"/admin/products/{product}/layers", {"name": "Charm"})
    assert added.status_code == 303
    charm = layer_id_by_name(shop, "Charm")

    refused = post_form(
        client,
        f"/admin/products/{product}/layers/{charm}",
        {"name": "Charm", "required": "on", "default_option_id": ""},
        htmx=True,
    )
    assert refused.status_code == 409
    assert (
        "Unpublish Court Sneaker first, or add an option to Charm: a published product needs "
        "an option on every required layer."
    ) in " ".join(notices(refused.text))
    assert shop.scalar("SELECT required FROM layer WHERE id = :i", i=charm) in (0, False)


def layer_id_by_name(shop: Shop, name: str) -> int:
    """A layer without options (`Shop.ids` lists only layers that have some)."""
    return int(shop.scalar("SELECT id FROM layer WHERE name = :n", n=name))


def test_a_draft_preview_offers_no_add_to_cart(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    product = shop.product_id(SNEAKER)
    assert post_form(client, f"/admin/products/{product}/unpublish").status_code == 303

    page = client.get(f"/products/{SNEAKER}")
    assert page.status_code == 200
    fragment = client.get(f"/products/{SNEAKER}/configuration", headers=HX)
    assert fragment.status_code == 200
    for html in (page.text, fragment.text):
        button = add_button(html)
        assert 'disabled aria-disabled="true"' in button
        assert "Publish to sell it" in button
        assert "Add to cart" not in button
