"""The merchant's views: adding, renaming and deleting them, an option's image per view, and
the live preview switching view."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import SVG, Shop, post_form, sign_in

SNEAKER = "court-sneaker"


def test_a_merchant_adds_a_view_gives_an_option_an_image_for_it_and_shoppers_see_it(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    sign_in(shop, client)
    pid = shop.product_id(SNEAKER)
    version = shop.scalar("SELECT version FROM product WHERE id = :p", p=pid)

    added = post_form(client, f"/admin/products/{pid}/views", {"name": "Back"})
    assert added.status_code == 303
    view = int(shop.scalar("SELECT id FROM product_view WHERE product_id = :p", p=pid))
    assert shop.scalar("SELECT version FROM product WHERE id = :p", p=pid) > version
    post_form(client, f"/admin/products/{pid}/views/main", {"name": "Side"})

    page = client.get(f"/products/{SNEAKER}")
    assert re.findall(r'class="view-tab"[^>]*>\s*<img[^>]*>\s*<span>([^<]+)', page.text) == [
        "Side",
        "Back",
    ]

    option = shop.option_id(SNEAKER, "Upper", "Navy Suede")
    uploaded = post_form(
        client,
        f"/admin/products/{pid}/options/{option}/views/{view}/image",
        files={"image": ("back.svg", SVG, "image/svg+xml")},
    )
    assert uploaded.status_code == 303
    ids = shop.ids(SNEAKER)
    back = client.get(
        f"/products/{SNEAKER}", params={f"layer-{ids['Upper']}": option, "view": view}
    )
    preview = re.search(r'id="preview".*?</div>', back.text, re.S)
    assert preview
    assert preview.group(0).count("<img") == 1  # only the option with a Back image

    removed = post_form(
        client, f"/admin/products/{pid}/options/{option}/views/{view}/image", {"remove": "1"}
    )
    assert removed.status_code == 303
    assert shop.count("option_view_image") == int(
        shop.scalar("SELECT count(*) FROM option_view_image WHERE view_id != :v", v=view)
    )

    deleted = post_form(client, f"/admin/products/{pid}/views/{view}/delete")
    assert deleted.status_code == 303
    assert 'class="view-tab"' not in client.get(f"/products/{SNEAKER}").text


def test_the_live_preview_switches_view(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    pid = shop.product_id("aero-road-bike")
    view = int(shop.scalar("SELECT id FROM product_view WHERE name = 'Cockpit'"))

    side = client.get(f"/admin/products/{pid}")
    cockpit = client.get(
        f"/admin/products/{pid}/panel/details",
        params={"view": view},
        headers={"HX-Request": "true"},
    )

    assert 'aria-label="Preview views"' in side.text
    assert "Cockpit view" in cockpit.text
    assert 'id="editor-stage"' in cockpit.text and 'hx-swap-oob="true"' in cockpit.text
    side_images = re.findall(r'id="admin-preview".*?</div>', side.text, re.S)[0]
    cockpit_images = re.findall(r'id="admin-preview".*?</div>', cockpit.text, re.S)[0]
    assert side_images != cockpit_images


def test_bad_view_requests_change_nothing(shop: Shop, client: TestClient[Litestar]) -> None:
    sign_in(shop, client)
    pid = shop.product_id(SNEAKER)
    other = int(shop.scalar("SELECT id FROM product_view WHERE name = 'Cockpit'"))
    option = shop.option_id(SNEAKER, "Upper", "Navy Suede")
    before = shop.snapshot()

    assert post_form(client, f"/admin/products/{pid}/views", {"name": ""}).status_code == 422
    assert post_form(client, f"/admin/products/{pid}/views/{other}/delete").status_code == 404
    assert post_form(client, f"/admin/products/{pid}/views/x/delete").status_code == 404
    no_file = post_form(client, f"/admin/products/{pid}/options/{option}/views/{other}/image", {})
    assert no_file.status_code == 422
    bad = post_form(
        client,
        f"/admin/products/{pid}/options/{option}/views/{other}/image",
        files={"image": ("x.png", b"not an image", "image/png")},
    )
    assert bad.status_code == 422
    # The bike's view is not the sneaker's: 404 once the image is valid.
    wrong = post_form(
        client,
        f"/admin/products/{pid}/options/{option}/views/{other}/image",
        files={"image": ("back.svg", SVG, "image/svg+xml")},
    )
    assert wrong.status_code == 404
    assert shop.snapshot() == before
    assert shop.count("product_view") == 1
