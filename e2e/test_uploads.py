"""A merchant uploads an SVG with a hidden, animated link (issue #8). The upload is saved, the
drawing shows, and a visitor who opens the image on its own and clicks it stays where they are.
On a product of the flow's own."""

from __future__ import annotations

import re

from playwright.sync_api import FilePayload, Route, expect

from e2e.conftest import OwnProducts
from e2e.pages import Admin

PHISHING_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    b' viewBox="0 0 800 600" width="800" height="600">'
    b'<a><set attributeName="xlink:href" to="https://evil.example/phish"/>'
    b'<rect width="800" height="600" fill="#c0ffee"/></a></svg>'
)


def test_an_svg_with_an_animated_link_cannot_send_a_visitor_away(
    admin: Admin, own_products: OwnProducts
) -> None:
    page = admin.page
    phished: list[str] = []

    def phishing_site(route: Route) -> None:
        phished.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Phished</h1>")

    page.context.route(re.compile(r"^https?://evil\.example/"), phishing_site)
    editor = own_products.new(admin, "Bike")
    editor.add_layer("Wheels")
    editor.add_option("Wheels", "Carbon Deep")
    right_panel = editor.option("Carbon Deep", "Wheels").panel

    right_panel.get_by_label(re.compile(r"^Image")).set_input_files(
        files=[FilePayload(name="wheels.svg", mimeType="image/svg+xml", buffer=PHISHING_SVG)]
    )
    right_panel.get_by_role("button", name="Save option").click()
    expect(right_panel.get_by_role("status")).to_contain_text("Option saved.")
    thumbnail = right_panel.get_by_role("img", name="Current image of Carbon Deep")
    expect(thumbnail).to_be_visible()
    image_url = thumbnail.get_attribute("src")
    assert image_url

    # The image opened on its own: it shows, and clicking it goes nowhere.
    response = page.goto(image_url)
    assert response is not None and response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    # An SVG shape has neither role nor label: this is the one place a flow names an element.
    drawing = page.locator("rect")
    expect(drawing).to_be_visible()
    drawing.click()
    page.wait_for_load_state("networkidle")

    assert phished == []
    expect(page).to_have_url(re.compile(re.escape(image_url.split("?")[0])))
    expect(page.get_by_role("heading", name="Phished")).to_have_count(0)
