"""Order documents from the admin order page (invoice, packing slip, pick list: a PDF each and
a page to print), every one with Qty Ordered and Qty Backordered per line, and the pick list's
backorder message that the merchant edits in Documents, with its live preview."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pypdf import PdfReader

from configurator.core.documents import (
    DEFAULT_BACKORDER_MESSAGE,
    PLACEHOLDERS,
    DocumentKind,
    LineFacts,
    OrderFacts,
    document,
    parse_message,
)
from configurator.web import pdf
from tests.integration.conftest import HX, Shop, add_to_cart, field_errors, post_form, sign_in
from tests.integration.test_order_status import place_order, text_of
from tests.integration.test_restock_timeframe import save_timeframe

BIKE = "aero-road-bike"
KINDS = ("invoice", "packing-slip", "pick-list")
ALL_PLACEHOLDERS = ", ".join(f"[{name}]" for name in PLACEHOLDERS)

Client = TestClient[Litestar]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def backordered_order(shop: Shop, client: Client) -> str:
    """An order of 5 bikes with Gravel Tan wheels, 3 of them in stock: 2 backordered."""
    ids = shop.ids(BIKE)
    shop.execute(
        "UPDATE option SET quantity = 3, backorders = 'notify' WHERE id = :i", i=ids["Gravel Tan"]
    )
    assert add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, 5).status_code == 303
    _location, number = place_order(client, shop)
    sign_in(shop, client)
    return number


@pytest.mark.parametrize("kind", KINDS)
def test_each_document_downloads_as_a_pdf_with_qty_backordered(
    shop: Shop, client: Client, kind: str
) -> None:
    number = backordered_order(shop, client)

    response = client.get(f"/admin/orders/{number}/documents/{kind}.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{kind}-{number}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Qty Ordered" in text and "Qty Backordered" in text
    assert number in text and "Aero Road Bike" in text and "Ada Lovelace" in text
    if kind == "pick-list":
        assert "Wheels: Gravel Tan" in text
        assert "3 in stock, 2 backordered" in text
    else:
        assert "Wheels: Gravel Tan" in text and "(Available Backorder)" in text


@pytest.mark.parametrize("kind", KINDS)
def test_each_document_has_a_print_view(shop: Shop, client: Client, kind: str) -> None:
    number = backordered_order(shop, client)

    response = client.get(f"/admin/orders/{number}/documents/{kind}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = text_of(response.text)
    assert "Qty Ordered" in page and "Qty Backordered" in page
    cells = re.findall(r'data-label="Qty Backordered">(\d+)<', response.text)
    assert "2" in cells
    assert f'href="/admin/orders/{number}/documents/{kind}.pdf"' in response.text


def test_the_order_page_links_its_documents(shop: Shop, client: Client) -> None:
    number = backordered_order(shop, client)
    page = client.get(f"/admin/orders/{number}").text
    for kind in KINDS:
        assert f'href="/admin/orders/{number}/documents/{kind}.pdf"' in page
        assert f'href="/admin/orders/{number}/documents/{kind}"' in page


def test_the_documents_print_the_promised_timeframe_and_escape_merchant_text(
    shop: Shop, client: Client
) -> None:
    save_timeframe(shop, client, "<i>ships</i> in 2-3 weeks")
    shop.execute("UPDATE option SET name = 'Carbon <Deep>' WHERE name = 'Carbon Deep'")
    ids = shop.ids(BIKE)
    add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon <Deep>"]}, 1)
    _location, number = place_order(client, shop)

    view = client.get(f"/admin/orders/{number}/documents/invoice").text
    assert (
        "Carbon &lt;Deep&gt; (Available Backorder) - &lt;i&gt;ships&lt;/i&gt; in 2-3 weeks" in view
    )
    assert "<i>ships</i>" not in view
    text = pdf_text(client.get(f"/admin/orders/{number}/documents/invoice.pdf").content)
    assert "Carbon <Deep> (Available Backorder) - <i>ships</i> in 2-3 weeks" in text


def test_an_unknown_order_or_document_is_a_plain_404(shop: Shop, client: Client) -> None:
    number = backordered_order(shop, client)
    for path in (
        "/admin/orders/CFG-NOSUCH1/documents/invoice.pdf",
        "/admin/orders/CFG-NOSUCH1/documents/pick-list",
        f"/admin/orders/{number}/documents/receipt.pdf",
        f"/admin/orders/{number}/documents/invoice.docx",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "application/pdf" not in response.headers["content-type"]


def test_documents_and_their_settings_need_a_signed_in_merchant(shop: Shop, client: Client) -> None:
    number = backordered_order(shop, client)
    client.cookies.clear()
    for path in (
        f"/admin/orders/{number}/documents/invoice.pdf",
        f"/admin/orders/{number}/documents/pick-list",
        "/admin/documents",
        "/admin/documents/preview?backorder_message=x",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?")
    before = shop.snapshot(), shop.count("app_setting")
    response = post_form(client, "/admin/documents", {"backorder_message": "[sku] later"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?")
    assert (shop.snapshot(), shop.count("app_setting")) == before
    sign_in(shop, client)
    assert "[sku] later" not in client.get("/admin/documents").text


def test_the_merchant_edits_the_pick_lists_backorder_message(shop: Shop, client: Client) -> None:
    number = backordered_order(shop, client)
    page = client.get("/admin/documents").text
    assert "[cataloginventoryItemQty] in stock, [orderItemQtyBackordered] backordered" in page
    assert f"Preview, with order {number} (Wheels: Gravel Tan):" in text_of(page)
    assert '<p class="preview-text" id="preview-text">3 in stock, 2 backordered</p>' in page

    message = (
        "Pick [cataloginventoryItemQty] of [orderItemQtyOrdered] [optionName];"
        " [orderItemQtyBackordered] follow"
    )
    response = post_form(client, "/admin/documents", {"backorder_message": message})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/documents?saved=1"

    text = pdf_text(client.get(f"/admin/orders/{number}/documents/pick-list.pdf").content)
    assert "Pick 3 of 5 Gravel Tan; 2 follow" in text
    assert (
        "Pick 3 of 5 Gravel Tan; 2 follow"
        in client.get(f"/admin/orders/{number}/documents/pick-list").text
    )


def test_an_unknown_placeholder_is_refused_by_name(shop: Shop, client: Client) -> None:
    sign_in(shop, client)
    before = shop.snapshot()
    response = post_form(
        client,
        "/admin/documents",
        {"backorder_message": "[cataloginventoryItemQty] in stock, [qtyBackordered] backordered"},
    )
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "backorder_message": "Unknown placeholder [qtyBackordered]. Did you mean "
        f"[orderItemQtyBackordered]? The placeholders are: {ALL_PLACEHOLDERS}."
    }
    # What the merchant typed stays in the field, and nothing is saved.
    assert "[qtyBackordered] backordered</textarea>" in response.text
    assert shop.snapshot() == before
    assert "[qtyBackordered]" not in client.get("/admin/documents").text


def test_a_lone_bracket_is_refused(shop: Shop, client: Client) -> None:
    sign_in(shop, client)
    response = post_form(
        client, "/admin/documents", {"backorder_message": "[cataloginventoryItemQty in stock"}
    )
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "backorder_message": "Square brackets are only for placeholders, such as "
        "[orderItemQtyBackordered]: close the one that is open, or remove it."
    }


def test_the_preview_follows_what_is_typed(shop: Shop, client: Client) -> None:
    """Live with htmx (the preview alone), and with the Preview button without JavaScript
    (the whole page, nothing saved); sample numbers while no order has a backorder."""
    sign_in(shop, client)
    response = client.get(
        "/admin/documents/preview",
        params={"backorder_message": "[orderItemQtyBackordered] of [optionName] <later>"},
        headers=HX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("{#") is False
    assert 'id="message-preview"' in response.text and "<main" not in response.text
    assert "Preview, with sample numbers (no open order has a backorder):" in response.text
    assert "2 of Carbon Deep &lt;later&gt;" in response.text

    bad = client.get(
        "/admin/documents/preview", params={"backorder_message": "[nope] left"}, headers=HX
    )
    assert f"Unknown placeholder [nope]. The placeholders are: {ALL_PLACEHOLDERS}." in bad.text

    before = shop.snapshot()
    page = post_form(
        client,
        "/admin/documents",
        {"backorder_message": "[orderItemQtyBackordered] to follow", "action": "preview"},
    )
    assert page.status_code == 200 and "<main" in page.text
    assert '<p class="preview-text" id="preview-text">2 to follow</p>' in page.text
    assert shop.snapshot() == before
    assert "to follow" not in client.get("/admin/documents").text


def test_saving_with_htmx_answers_with_the_settings_section(shop: Shop, client: Client) -> None:
    sign_in(shop, client)
    response = post_form(
        client, "/admin/documents", {"backorder_message": "[sku] waits"}, htmx=True
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="document-settings"')
    assert "Backorder message saved." in response.text
    assert "[sku] waits</textarea>" in client.get("/admin/documents").text


@pytest.mark.parametrize("system_fonts", [True, False])
def test_any_name_prints_with_or_without_the_systems_fonts(
    monkeypatch: pytest.MonkeyPatch, system_fonts: bool
) -> None:
    """DejaVu Sans when Debian has it; otherwise Helvetica, whose Latin-1 the rest is
    replaced to: a customer's name never stops a document."""
    if not system_fonts:
        monkeypatch.setattr(pdf, "FONT_DIRS", ())
    elif pdf.dejavu() is None:
        pytest.skip("Debian's fonts-dejavu-core is not installed")
    order = OrderFacts(
        number="CFG-NAMES1",
        placed_at=datetime(2026, 12, 1, 9, 30),
        customer_name="Zoë Ångström \N{EN DASH} Ωmega 東京",
        email="zoe@example.com",
        address=("Zoë Ångström",),
        subtotal=100,
        lines=(LineFacts("Aero “Road” Bike", 1, 0, 100, 100, ()),),
    )
    message = parse_message(DEFAULT_BACKORDER_MESSAGE)
    text = pdf_text(pdf.render_pdf(document(DocumentKind.INVOICE, order, message)))
    assert "Zoë Ångström" in text
    if system_fonts:
        assert "Zoë Ångström \N{EN DASH} Ωmega" in text
    else:
        assert "Zoë Ångström - ?mega ??" in text and 'Aero "Road" Bike' in text


def test_a_cancelled_order_is_not_previewed(shop: Shop, client: Client) -> None:
    number = backordered_order(shop, client)
    response = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})
    assert response.status_code == 303

    page = text_of(client.get("/admin/documents").text)
    assert "Preview, with sample numbers (no open order has a backorder):" in page
    assert number not in page


def pictures_per_page(content: bytes) -> list[int]:
    return [len(page.images) for page in PdfReader(io.BytesIO(content)).pages]


@pytest.mark.parametrize("kind", KINDS)
def test_each_line_prints_its_builds_picture_as_ordered_even_once_its_product_is_gone(
    shop: Shop, client: Client, kind: str
) -> None:
    assert add_to_cart(client, BIKE).status_code == 303
    assert add_to_cart(client, "court-sneaker").status_code == 303
    _location, number = place_order(client, shop)
    sign_in(shop, client)
    url = f"/admin/orders/{number}/documents/{kind}.pdf"

    both = client.get(url)
    assert both.status_code == 200
    assert pictures_per_page(both.content) == [2]  # the bike's build and the sneaker's
    image = PdfReader(io.BytesIO(both.content)).pages[0].images[0]
    assert image.image is not None and image.image.width == 160

    shop.execute("DELETE FROM product WHERE slug = 'court-sneaker'")
    after = client.get(url)
    assert after.status_code == 200
    assert pictures_per_page(after.content) == [2]  # drawn from the images it was ordered with
    assert "Court Sneaker" in pdf_text(after.content)
