"""SVG uploads are stored in their cleaned, allowlisted form and served so that nothing in
them can run: the cases of issue #8 end to end, through the admin form and /media."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import Shop, post_form, sign_in
from tests.unit.test_svg_cleaning import ALL_ATTACKS, harm_in

BIKE = "aero-road-bike"
ISSUE_CASES = ["animated link to a phishing page", "image-set in a style sheet", "xml-stylesheet"]


@pytest.mark.parametrize("case", ISSUE_CASES)
def test_an_svg_with_a_trick_is_saved_cleaned_and_served_sandboxed(
    shop: Shop, client: TestClient[Litestar], case: str
) -> None:
    sign_in(shop, client)
    bike = shop.product_id(BIKE)
    carbon = shop.ids(BIKE)["Carbon Deep"]

    saved = post_form(
        client,
        f"/admin/products/{bike}/options/{carbon}",
        {
            "name": "Carbon Deep",
            "sku": "WH-CARBON",
            "price_delta": "450",
            "stock_status": "in_stock",
        },
        files={"image": ("wheels.svg", ALL_ATTACKS[case], "image/svg+xml")},
    )

    assert saved.status_code == 303
    image_id = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=carbon)
    served = client.get(f"/media/{image_id}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert harm_in(served.content) == []
    assert b'fill="#c0ffee"' in served.content  # the drawing itself is kept
    policy = [part.strip() for part in served.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy


def test_demo_images_are_served_sandboxed(shop: Shop, client: TestClient[Litestar]) -> None:
    image_id = shop.scalar("SELECT min(id) FROM image")
    served = client.get(f"/media/{image_id}")
    assert served.status_code == 200
    policy = [part.strip() for part in served.headers["content-security-policy"].split(";")]
    assert policy == ["default-src 'none'", "style-src 'unsafe-inline'", "sandbox"]
    assert served.headers["x-content-type-options"] == "nosniff"
