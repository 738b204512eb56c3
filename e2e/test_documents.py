"""The merchant sets the pick list's backorder message in Documents (a bad placeholder is
refused, a good one saved, the preview showing a real order's numbers), then downloads the
order's pick list as a PDF whose text shows Qty Backordered and the message."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.helpers import screenshot
from e2e.pages import Admin
from e2e.pages.forms import place_order


def test_the_pick_list_message_is_checked_saved_and_printed(fresh_page: Page) -> None:
    page = fresh_page
    # Two bikes with the backordered Carbon Deep wheels, ordered by the shop's forms.
    number = place_order(page, "aero-road-bike", {"Wheels": "Carbon Deep"}, 2).number
    admin = Admin.sign_in(page)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()
    preview = page.get_by_role("status").filter(has_text="Preview, with")
    expect(preview).to_contain_text(f"Preview, with order {number} (Wheels: Carbon Deep):")
    expect(preview).to_contain_text("0 in stock, 2 backordered")

    message = page.get_by_role("textbox", name="Backorder message")
    message.fill("[cataloginventoryItemQty] in stock, [qtyBackordered] backordered")
    expect(preview).to_contain_text("Unknown placeholder [qtyBackordered].")
    page.get_by_role("button", name="Save message").click()
    error = "Unknown placeholder [qtyBackordered]. Did you mean [orderItemQtyBackordered]?"
    expect(message).to_have_accessible_description(re.compile(re.escape(error)))
    expect(message).to_have_attribute("aria-invalid", "true")

    message.fill("[orderItemQtyBackordered] of [optionName] to follow ([restockTimeframe])")
    expect(preview).to_contain_text("2 of Carbon Deep to follow ()")
    message.fill("[orderItemQtyBackordered] of [optionName] to follow")
    expect(preview).to_contain_text("2 of Carbon Deep to follow")
    page.get_by_role("button", name="Save message").click()
    expect(page.get_by_text("Backorder message saved.")).to_be_visible()
    expect(message).not_to_have_accessible_description(re.compile(re.escape(error)))
    expect(page.get_by_text(error)).to_have_count(0)
    screenshot(page, "documents-settings.png")

    page.goto(f"/admin/orders/{number}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF pick list").click()
    download = download_info.value
    assert download.suggested_filename == f"pick-list-{number}.pdf"
    path = download.path()
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Qty Ordered" in text and "Qty Backordered" in text
    assert "2 of Carbon Deep to follow" in text

    page.get_by_role("link", name="Print view of the pick list").click()
    expect(page.get_by_role("heading", name=f"Pick list for order {number}")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Wheels: Carbon Deep")
    expect(row).to_contain_text("2 of Carbon Deep to follow")
    table = page.get_by_role("table").filter(has=row)
    expect(admin.cell(table, "Wheels: Carbon Deep", "Qty Backordered")).to_have_text("2")
