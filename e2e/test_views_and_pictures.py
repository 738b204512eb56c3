"""Views, the composed picture of a build, and the finished storefront, in a real browser."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, ViewportSize, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.helpers import screenshot
from e2e.pages import Admin, Cart, Configurator

PHONE: ViewportSize = {"width": 390, "height": 844}


def choices(url: str) -> dict[str, str]:
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k.startswith("layer-")}


def expect_drawn(page: Page, selector: str) -> None:
    """The picture loaded (the browser decoded it: it has a width of its own)."""
    image = page.locator(selector).first
    expect(image).to_be_visible()
    page.wait_for_function(
        "s => { const i = document.querySelector(s);"
        " return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
    )


def test_switching_views_keeps_the_build_and_the_view_follows_option_changes(page: Page) -> None:
    shop = Configurator.open(page, "aero-road-bike")
    views = page.get_by_role("navigation", name="Views")
    side_preview = shop.picture_sources()[0]

    views.get_by_role("link", name="Cockpit").click()

    expect(page).to_have_url(re.compile(r"view=\d+"))
    expect(views.get_by_role("link", name="Cockpit")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("img", name=re.compile(r"Cockpit view"))).to_be_visible()
    assert shop.picture_sources()[0] != side_preview

    # An option change keeps the view, and the address says both.
    shop.option("Forest Green").check()
    expect(page).to_have_url(re.compile(r"view=\d+"))
    forest = shop.option("Forest Green").get_attribute("value")
    expect(page).to_have_url(re.compile(rf"layer-\d+={forest}"))
    expect(views.get_by_role("link", name="Cockpit")).to_have_attribute("aria-current", "true")
    screenshot(page, "configurator-views.png")

    views.get_by_role("link", name="Side").click()
    expect(page).not_to_have_url(re.compile(r"view="))
    expect(shop.option("Forest Green")).to_be_checked()


def test_the_cart_and_the_order_show_the_picture_of_the_exact_build(page: Page) -> None:
    shop = Configurator.open(page, "aero-road-bike")
    shop.option("Midnight Blue").check()
    shop.option("White Race").check()
    # The address says the build once both changes are answered.
    for name in ("Midnight Blue", "White Race"):
        expect(page).to_have_url(re.compile(re.escape(shop.choice_query(name))))
    build = choices(page.url)
    cart_link = shop.cart_link
    before = cart_link.inner_text()

    page.get_by_role("button", name="Add to cart").click()
    expect(cart_link).not_to_have_text(before)
    expect(cart_link).to_contain_text(re.compile(r"Cart \d+"))
    shop.open_cart_after_adding("Added to your cart.")

    thumb = page.locator(".cart-line img.build-thumb").last
    expect_drawn(page, ".cart-line img.build-thumb")
    src = thumb.get_attribute("src") or ""
    assert "/build.webp?" in src
    assert all(choices(src)[k] == v for k, v in build.items())

    checkout = Cart(page).checkout()
    checkout.fill(email="views@example.com")
    checkout.place_order_and_confirm()

    expect_drawn(page, ".cart-line img.build-thumb")
    # The order's picture is drawn from the images the build had at checkout.
    ordered = page.locator(".cart-line img.build-thumb").last.get_attribute("src") or ""
    assert "/pictures/build.webp?images=" in ordered


def test_adding_keeps_the_shopper_on_the_product_and_the_cart_link_counts(page: Page) -> None:
    shop = Configurator.open(page, "aero-road-bike")
    cart_link = shop.cart_link
    expect(cart_link).to_have_text("Cart")
    page.evaluate("window.__marker = 1")

    shop.add_to_cart()
    expect(shop.added).to_have_text("Added to your cart. View cart")
    expect(cart_link).to_have_accessible_name("Cart 1 item")
    expect(page).to_have_url(re.compile(r"/products/aero-road-bike"))
    page.mouse.wheel(0, -10_000)  # back up to the header, where the count is
    expect(cart_link).to_be_in_viewport()
    screenshot(page, "configurator-added.png")

    shop.add_to_cart()
    expect(cart_link).to_have_accessible_name("Cart 2 items")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"
    # Choosing another option takes the confirmation away; the count stays.
    shop.choose("Frame", "Forest Green")
    expect(shop.added).to_have_count(0)
    expect(cart_link).to_have_accessible_name("Cart 2 items")

    shop.add_to_cart()
    cart = shop.open_cart_after_adding("Added to your cart.")
    expect(cart.lines).to_have_count(2)
    expect(cart_link).to_have_accessible_name("Cart 3 items")


def test_on_a_phone_what_an_add_says_shows_above_the_buy_bar(
    new_context: CreateContextCallback,
) -> None:
    """Among the options on a phone, the confirmation is in view (not under the form, off
    screen) and the sticky buy bar does not cover it."""
    page = new_context(viewport=PHONE).new_page()
    shop = Configurator.open(page, "aero-road-bike")
    shop.layer("Saddle").scroll_into_view_if_needed()
    shop.add_to_cart()
    expect(shop.added).to_be_in_viewport()
    added, button = shop.added.bounding_box(), shop.add_button.bounding_box()
    assert added and button and added["y"] + added["height"] <= button["y"]
    screenshot(page, "configurator-added-phone.png", full_page=False)


def test_adding_without_javascript_opens_the_cart_with_its_count(plain_page: Page) -> None:
    shop = Configurator.open(plain_page, "aero-road-bike", javascript=False)
    shop.add_to_cart_and_open_cart()
    expect(shop.cart_link).to_have_accessible_name("Cart 1 item")
    plain_page.go_back()
    shop.add_to_cart_and_open_cart()
    expect(shop.cart_link).to_have_accessible_name("Cart 2 items")


def test_a_shared_link_opens_with_the_picture_of_its_build(page: Page) -> None:
    Configurator.open(page, "aero-road-bike").option("Gravel Tan").check()
    expect(page).to_have_url(re.compile(r"layer-"))
    shared = page.url

    page.goto(shared)

    og_image = page.locator('meta[property="og:image"]').get_attribute("content") or ""
    assert og_image.startswith("http")
    assert "/build.png?" in og_image
    assert choices(og_image) == choices(shared)
    response = page.request.get(og_image)
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"


def test_home_cards_show_each_default_build(page: Page) -> None:
    page.goto("/")
    expect(page.locator(".product-card img.card-build")).to_have_count(2)
    expect_drawn(page, ".product-card img.card-build")
    expect(page.get_by_text("from $1,279.00")).to_be_visible()
    screenshot(page, "home.png")


def test_on_a_phone_the_price_and_add_to_cart_stay_in_view(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    shop = Configurator.open(page, "aero-road-bike")
    add = shop.add_button

    page.get_by_role("group", name="Saddle").scroll_into_view_if_needed()

    expect(add).to_be_in_viewport()
    expect(shop.total).to_be_in_viewport()
    screenshot(page, "configurator-phone.png", full_page=False)


def test_the_admin_s_live_preview_switches_view(page: Page) -> None:
    editor = Admin.sign_in(page).product("Aero Road Bike")
    stage = editor.preview
    views = page.get_by_role("navigation", name="Preview views")
    _, (side, *_) = editor.preview_state()

    views.get_by_role("link", name="Cockpit").click()

    expect(page).to_have_url(re.compile(r"view=\d+"))
    expect(stage.get_by_role("img", name=re.compile(r"Cockpit view"))).to_be_visible()
    expect(views.get_by_role("link", name="Cockpit")).to_have_attribute("aria-current", "true")
    assert editor.preview_state()[1][0] != side
