"""The composed picture of a build over HTTP: what it is, how it is cached, where it is used."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image as PILImage
from PIL import ImageChops
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from configurator.core.composition import recorded_picture_signature
from configurator.services import composer
from configurator.services.composer import PICTURE_SETTING
from configurator.store.db import alembic_config
from configurator.web import storefront
from tests.integration.conftest import CUSTOMER, Shop, add_to_cart, post_form, sign_in

BIKE = "aero-road-bike"
BUILD = f"/products/{BIKE}/build.webp"
RECORDED = "/pictures/build.webp"


def picture(data: bytes) -> PILImage.Image:
    return PILImage.open(BytesIO(data))


def redness(data: bytes) -> int:
    """How much redder than green the reddest pixel is."""
    red, green, _ = picture(data).convert("RGB").split()
    _, most = ImageChops.subtract(red, green).getextrema()
    assert isinstance(most, int)
    return most


def recorded_images(url: str) -> list[str]:
    """The image ids a recorded picture's address stacks, bottom first."""
    return dict(parse_qsl(urlsplit(url).query))["images"].split("-")


def image_sources(html: str, css_class: str) -> list[str]:
    found = re.findall(rf'<img class="{css_class}" src="([^"]+)"', html)
    return [unescape(src) for src in found]


def choices_of(url: str) -> dict[str, str]:
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k.startswith("layer-")}


@pytest.mark.parametrize("size", [160, 480, 960])
def test_a_build_is_one_webp_at_each_offered_width(client: TestClient[Litestar], size: int) -> None:
    response = client.get(BUILD, params={"size": size})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    image = picture(response.content)
    assert image.format == "WEBP"
    assert image.size == (size, size * 3 // 4)


def test_the_png_for_link_previews(client: TestClient[Litestar]) -> None:
    response = client.get(f"/products/{BIKE}/build.png", params={"size": 960})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert picture(response.content).size == (960, 720)


def test_different_builds_look_different_and_each_is_drawn_from_its_options(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    red = {f"layer-{ids['Frame']}": ids["Racing Red"], "size": 160}
    green = {f"layer-{ids['Frame']}": ids["Forest Green"], "size": 160}

    first = client.get(BUILD, params=red)
    second = client.get(BUILD, params=green)

    assert first.headers["etag"] != second.headers["etag"]
    assert first.content != second.content
    # The frames differ in colour: the reddest pixels of the red build are redder.
    assert redness(first.content) > redness(second.content)


def test_a_picture_is_cached_for_a_year_under_its_versioned_address_and_revalidates(
    client: TestClient[Litestar],
) -> None:
    page = client.get(f"/products/{BIKE}")
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', page.text)
    assert og_image
    url = unescape(og_image.group(1))

    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = response.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_an_address_without_the_current_version_is_cached_briefly(
    client: TestClient[Litestar],
) -> None:
    response = client.get(BUILD, params={"size": 160, "v": "stale"})

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize(
    "params",
    [
        {"size": "100"},
        {"size": "480px"},
        {"size": "99999999999999999999"},
        {"view": "12345"},
        {"view": "front"},
        {"layer-999999": "1"},
        {"layer-abc": "1"},
    ],
)
def test_bad_requests_are_a_plain_400(
    shop: Shop, client: TestClient[Litestar], params: dict[str, str]
) -> None:
    response = client.get(BUILD, params=params)

    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]


def test_an_option_of_another_layer_is_a_plain_400(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    response = client.get(BUILD, params={f"layer-{ids['Frame']}": ids["Carbon Deep"]})

    assert response.status_code == 400
    assert "not one of the Frame options" in response.text


def test_unknown_and_draft_products_have_no_picture(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    assert client.get("/products/no-such-bike/build.webp").status_code == 404
    shop.execute("UPDATE product SET published = false WHERE slug = :s", s=BIKE)
    assert client.get(BUILD).status_code == 404


def test_the_cart_and_checkout_show_the_picture_of_the_exact_build(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    choices = {ids["Frame"]: ids["Forest Green"], ids["Saddle"]: ids["White Race"]}
    add_to_cart(client, BIKE, choices)

    cart = client.get("/cart")
    checkout = client.get("/checkout")

    for html in (cart.text, checkout.text):
        (src,) = image_sources(html, "build-thumb")
        assert src.startswith(BUILD)
        assert choices_of(src)[f"layer-{ids['Frame']}"] == str(ids["Forest Green"])
        assert choices_of(src)[f"layer-{ids['Saddle']}"] == str(ids["White Race"])
        assert client.get(src).headers["content-type"] == "image/webp"


def test_the_order_pages_show_the_picture_of_the_build_ordered(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Frame"]: ids["Midnight Blue"]})
    client.get("/checkout")
    placed = post_form(client, "/checkout", {**CUSTOMER, "checkout_key": "k" * 24})
    order_url = placed.headers["location"]

    confirmation = client.get(order_url)
    (src,) = image_sources(confirmation.text, "build-thumb")
    blue = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=ids["Midnight Blue"])
    assert src.startswith(RECORDED)
    assert str(blue) in recorded_images(src)
    assert client.get(src).status_code == 200

    sign_in(shop, client)
    number = re.search(r"Order <strong>([^<]+)</strong>", confirmation.text)
    assert number
    admin = client.get(f"/admin/orders/{number.group(1)}")
    assert image_sources(admin.text, "build-thumb") == [src]


def place_order(client: TestClient[Litestar], slug: str, choices: dict[int, int]) -> str:
    """Add a build, check out; the order's page address."""
    add_to_cart(client, slug, choices)
    client.get("/checkout")
    placed = post_form(client, "/checkout", {**CUSTOMER, "checkout_key": "k" * 24})
    assert placed.status_code == 303
    return str(placed.headers["location"])


GREEN = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600">'
    b'<rect width="800" height="600" fill="#00ff00"/></svg>'
)


def test_an_order_s_picture_stays_as_ordered_when_the_catalog_changes(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    order_url = place_order(client, BIKE, {ids["Frame"]: ids["Midnight Blue"]})
    (ordered,) = image_sources(client.get(order_url).text, "build-thumb")
    before = client.get(ordered)
    assert before.status_code == 200
    assert before.headers["cache-control"] == "public, max-age=31536000, immutable"
    storefront = {"size": 160, f"layer-{ids['Frame']}": ids["Midnight Blue"]}
    build_before = client.get(BUILD, params=storefront)
    old_image = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=ids["Midnight Blue"])

    # The merchant gives the frame a new image: the storefront's build changes...
    sign_in(shop, client)
    bike = shop.product_id(BIKE)
    saved = post_form(
        client,
        f"/admin/products/{bike}/options/{ids['Midnight Blue']}",
        {"name": "Midnight Blue", "stock_status": "in_stock"},
        files={"image": ("green.svg", GREEN, "image/svg+xml")},
    )
    assert saved.status_code == 303
    build_after = client.get(BUILD, params=storefront)
    assert build_after.headers["etag"] != build_before.headers["etag"]
    assert build_after.content != build_before.content

    # ...the order's page, the admin's and the picture stay as ordered.
    number = shop.scalar("SELECT number FROM customer_order")
    for page in (order_url, f"/admin/orders/{number}"):
        assert image_sources(client.get(page).text, "build-thumb") == [ordered]
    after = client.get(ordered)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.content == before.content
    assert client.get(ordered, headers={"If-None-Match": before.headers["etag"]}).status_code == 304

    # The option deleted: the order still shows it, drawn from the image it had.
    deleted = post_form(client, f"/admin/products/{bike}/options/{ids['Midnight Blue']}/delete")
    assert deleted.status_code == 303
    assert shop.scalar("SELECT count(*) FROM option WHERE id = :i", i=ids["Midnight Blue"]) == 0
    assert image_sources(client.get(order_url).text, "build-thumb") == [ordered]
    assert client.get(ordered).content == before.content

    # The image an order shows cannot be deleted from storage.
    with pytest.raises(IntegrityError):
        shop.execute("DELETE FROM image WHERE id = :i", i=old_image)
    assert client.get(ordered).status_code == 200


def test_migration_0021_gives_older_orders_the_images_their_options_have(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    order_url = place_order(client, BIKE, {ids["Frame"]: ids["Midnight Blue"]})
    (ordered,) = image_sources(client.get(order_url).text, "build-thumb")
    shop.engine.dispose()
    config = alembic_config(shop.engine.url.render_as_string(hide_password=False))

    command.downgrade(config, "0020")  # an order placed before 0021 recorded no images
    shop.execute("DELETE FROM option WHERE id = :i", i=ids["Classic Black"])  # ordered
    command.upgrade(config, "head")

    with shop.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT order_line_option.option_name, order_line_option.image_id,"
                " option.image_id FROM order_line_option"
                " LEFT JOIN option ON option.id = order_line_option.option_id"
            )
        ).all()
    assert len(rows) == 5  # backdrop, wheels, frame, saddle, handlebar
    for name, recorded, now in rows:
        assert recorded == now, name  # as the catalog has it at upgrade time
        assert (recorded is None) == (name == "Classic Black")
    (after,) = image_sources(client.get(order_url).text, "build-thumb")
    assert after != ordered  # drawn without the saddle deleted before the upgrade
    assert client.get(after).status_code == 200


def picture_key(shop: Shop) -> bytes:
    """The shop's secret it signs recorded pictures' addresses with."""
    value = shop.scalar("SELECT value FROM app_setting WHERE key = :k", k=PICTURE_SETTING)
    return str(value).encode()


def test_a_recorded_picture_refuses_bad_addresses(shop: Shop, client: TestClient[Litestar]) -> None:
    for query in ("", "?images=", "?images=1-x", "?images=" + "-".join(["1"] * 65)):
        assert client.get(RECORDED + query).status_code == 400
    assert client.get(RECORDED, params={"images": "1", "size": "161"}).status_code == 400
    # Signed by the shop, but the image is not stored: not found.
    unknown = {
        "images": "99999",
        "size": "480",
        "sig": recorded_picture_signature(picture_key(shop), (99999,), 480, "webp"),
    }
    assert client.get(RECORDED, params=unknown).status_code == 404


class Counted:
    """Counts the calls to one of the route's helpers, and makes them."""

    def __init__(self, real: Callable[..., object]) -> None:
        self.real, self.calls = real, 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.real(*args, **kwargs)


def test_only_the_addresses_the_shop_signed_are_drawn(
    shop: Shop, client: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = shop.ids(BIKE)
    order_url = place_order(client, BIKE, {ids["Frame"]: ids["Midnight Blue"]})
    (ordered,) = image_sources(client.get(order_url).text, "build-thumb")
    assert image_sources(client.get(order_url).text, "build-thumb") == [ordered]  # stable
    params = dict(parse_qsl(urlsplit(ordered).query))
    assert params["sig"]

    # The shop's own address draws the build, the very picture the storefront draws of it.
    signed = client.get(ordered)
    assert signed.status_code == 200
    assert signed.headers["cache-control"] == "public, max-age=31536000, immutable"
    build = client.get(BUILD, params={f"layer-{ids['Frame']}": ids["Midnight Blue"], "size": 160})
    assert signed.headers["etag"] == build.headers["etag"]
    assert signed.content == build.content

    composed, looked_up = Counted(composer.compose), Counted(composer.stored_images)
    monkeypatch.setattr(storefront, "compose", composed)  # what the route calls
    monkeypatch.setattr(storefront, "stored_images", looked_up)
    images = params["images"].split("-")
    others = [
        {**params, "images": "-".join(reversed(images))},  # the same images, another order
        {**params, "images": "-".join(images[:-1])},  # one left out
        {**params, "images": "-".join([*images, images[0]])},  # one more
        {**params, "size": "960"},  # bigger
        {k: v for k, v in params.items() if k != "sig"},  # unsigned
        {**params, "sig": "0" * len(params["sig"])},  # signed by someone else
        {**params, "sig": params["sig"][:-1]},
        {**params, "sig": "é"},
    ]
    for query in others:
        refused = client.get(RECORDED, params=query)
        assert refused.status_code == 403, query
        assert "text/html" in refused.headers["content-type"]
    # The same address as PNG is another picture: signed for WebP only.
    assert client.get(ordered.replace(RECORDED, "/pictures/build.png")).status_code == 403
    assert (composed.calls, looked_up.calls) == (0, 0)  # nothing read, nothing drawn

    # With another secret (another shop), the same address is refused too.
    shop.execute("UPDATE app_setting SET value = 'other' WHERE key = :k", k=PICTURE_SETTING)
    assert client.get(ordered).status_code == 403
    assert composed.calls == 0


def test_home_cards_show_the_default_build_and_the_from_price(
    client: TestClient[Litestar],
) -> None:
    home = client.get("/")

    sources = image_sources(home.text, "card-build")
    assert len(sources) == 2
    assert all("/build.webp?" in src and "size=480" in src for src in sources)
    assert "from $1,279.00" in home.text
    for src in sources:
        assert client.get(src).status_code == 200


def test_a_shared_link_names_the_picture_of_its_build(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids = shop.ids(BIKE)
    page = client.get(f"/products/{BIKE}", params={f"layer-{ids['Frame']}": ids["Forest Green"]})

    found = re.search(r'<meta property="og:image" content="([^"]+)"', page.text)
    assert found
    og_image = unescape(found.group(1))
    assert og_image.startswith("http://testserver.local/products/aero-road-bike/build.png?")
    assert choices_of(og_image)[f"layer-{ids['Frame']}"] == str(ids["Forest Green"])
    assert "size=960" in og_image


def test_each_option_shows_a_swatch_of_what_its_image_paints(
    client: TestClient[Litestar],
) -> None:
    page = client.get(f"/products/{BIKE}")
    sources = [unescape(s) for s in re.findall(r'class="option-swatch" src="([^"]+)"', page.text)]
    assert len(sources) >= 10

    response = client.get(sources[0])

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert picture(response.content).size == (96, 72)
    assert client.get("/media/999999/swatch.webp").status_code == 404
    assert client.get("/media/x/swatch.webp").status_code == 404


def cart_link(html: str) -> str:
    found = re.search(r'<a href="/cart" id="cart-link".*?</a>', html, re.S)
    assert found, "no Cart link"
    return re.sub(r"<[^>]+>", "", found.group(0))


def test_the_header_s_cart_link_counts_the_items(shop: Shop, client: TestClient[Litestar]) -> None:
    assert cart_link(client.get("/").text) == "Cart"
    add_to_cart(client, BIKE, quantity=2)

    assert cart_link(client.get("/").text) == "Cart 2 items"
    assert cart_link(client.get(f"/products/{BIKE}").text) == "Cart 2 items"

    cart = client.get("/cart")
    (line,) = re.findall(r'id="line-(\d+)"', cart.text)
    changed = post_form(client, f"/cart/lines/{line}", {"quantity": 3}, htmx=True)
    assert 'id="cart-link" class="cart-link" hx-swap-oob="true"' in changed.text
    assert cart_link(changed.text) == "Cart 3 items"


def test_an_htmx_add_keeps_the_shopper_on_the_product_and_counts_in_place(
    client: TestClient[Litestar],
) -> None:
    added = add_to_cart(client, BIKE, htmx=True)

    assert added.status_code == 200
    assert "HX-Redirect" not in added.headers
    assert 'role="status">Added to your cart. <a href="/cart">View cart</a>' in added.text
    assert 'id="cart-link" class="cart-link" hx-swap-oob="true"' in added.text
    assert cart_link(added.text) == "Cart 1 item"
    assert cart_link(add_to_cart(client, BIKE, htmx=True).text) == "Cart 2 items"
    # Without JavaScript the form still goes to the cart page, which says it.
    plain = add_to_cart(client, BIKE)
    assert plain.status_code == 303
    assert plain.headers["location"] == "/cart?added=1"
    assert cart_link(client.get("/cart").text) == "Cart 3 items"


def view_id(shop: Shop, name: str) -> int:
    return int(shop.scalar("SELECT id FROM product_view WHERE name = :n", n=name))


def test_the_bike_has_a_second_view_with_tabs_that_work_without_javascript(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    cockpit = view_id(shop, "Cockpit")
    page = client.get(f"/products/{BIKE}")
    tabs = re.findall(r'<a class="view-tab" href="([^"]+)"', page.text)
    assert len(tabs) == 2
    assert 'aria-current="true"' in page.text.split('class="view-tab"')[1]  # Side is shown

    switched = client.get(unescape(tabs[1]))

    assert switched.status_code == 200
    assert f"view={cockpit}" in unescape(tabs[1])
    assert "Cockpit view" in switched.text  # the preview's description
    current = switched.text.split('class="view-tab"')[2]
    assert 'aria-current="true"' in current
    assert f'name="view" value="{cockpit}" form="configure-form"' in switched.text
    # The preview shows the options' Cockpit images, not their own.
    main_images = set(re.findall(r'id="preview".*?</div>', page.text, re.S)[0].split('src="')[1:])
    view_images = set(
        re.findall(r'id="preview".*?</div>', switched.text, re.S)[0].split('src="')[1:]
    )
    assert main_images.isdisjoint(view_images)


def test_the_view_is_kept_by_the_fragment_and_the_shared_link(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    ids, cockpit = shop.ids(BIKE), view_id(shop, "Cockpit")
    params = {f"layer-{ids['Frame']}": str(ids["Forest Green"]), "view": str(cockpit)}

    fragment = client.get(
        f"/products/{BIKE}/configuration", params=params, headers={"HX-Request": "true"}
    )

    assert fragment.headers["hx-push-url"].endswith(f"view={cockpit}")
    assert 'id="views" class="views" aria-label="Views" hx-swap-oob="true"' in fragment.text
    main = client.get(
        f"/products/{BIKE}/configuration",
        params={**params, "view": ""},
        headers={"HX-Request": "true"},
    )
    assert main.text != fragment.text
    # A view this product does not have shows the main view.
    unknown = client.get(f"/products/{BIKE}", params={**params, "view": "99999"})
    assert unknown.status_code == 200
    assert "Side view" in unknown.text


def test_the_picture_of_a_view_and_an_option_without_an_image_there(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    cockpit = view_id(shop, "Cockpit")
    main = client.get(BUILD, params={"size": 160})
    view = client.get(BUILD, params={"size": 160, "view": cockpit})
    assert view.status_code == 200
    assert view.headers["etag"] != main.headers["etag"]

    # Take away every Cockpit image: the view draws nothing (a transparent picture).
    shop.execute("DELETE FROM option_view_image WHERE view_id = :v", v=cockpit)
    empty = client.get(BUILD, params={"size": 160, "view": cockpit})
    assert empty.status_code == 200
    assert picture(empty.content).getbbox() is None
