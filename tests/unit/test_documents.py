"""The pick list's backorder message (seed 002's placeholders) and what each document lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.documents import (
    DEFAULT_BACKORDER_MESSAGE,
    PENDING_INVOICE_NOTE,
    PLACEHOLDERS,
    SAMPLE_PICK,
    DocumentKind,
    LineFacts,
    MessageTemplateError,
    OptionFacts,
    OrderFacts,
    PickValues,
    document,
    parse_message,
    render_message,
)

ALL = ", ".join(f"[{name}]" for name in PLACEHOLDERS)
PICK = PickValues(ordered=5, backordered=2, option_name="Carbon Deep", layer_name="Wheels")


def test_seed_002s_message_prints_what_is_in_stock_and_what_is_backordered() -> None:
    assert render_message(parse_message(DEFAULT_BACKORDER_MESSAGE), PICK) == (
        "3 in stock, 2 backordered"
    )


def test_every_placeholder_is_filled_in() -> None:
    text = " ".join(f"[{name}]" for name in PLACEHOLDERS)
    assert render_message(parse_message(text), SAMPLE_PICK) == (
        "3 2 5 Carbon Deep Wheels WHL-CD Aero Road Bike CFG-SAMPLE1 ships in 2-3 weeks"
    )


def test_seed_002s_longer_message_reads_as_written() -> None:
    message = parse_message(
        "[orderItemQtyBackordered] of the items you ordered are on backorder, and we only "
        "have [cataloginventoryItemQty] available right now"
    )
    assert render_message(message, PICK) == (
        "2 of the items you ordered are on backorder, and we only have 3 available right now"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[qty] left", f"Unknown placeholder [qty]. The placeholders are: {ALL}."),
        (
            "[cataloginventoryitemqty] in stock",
            "Unknown placeholder [cataloginventoryitemqty]. Did you mean "
            f"[cataloginventoryItemQty]? The placeholders are: {ALL}.",
        ),
        ("[a] and [b] and [a]", f"Unknown placeholders [a], [b]. The placeholders are: {ALL}."),
        ("[] in stock", f"Unknown placeholder []. The placeholders are: {ALL}."),
        (
            "[sku in stock",
            "Square brackets are only for placeholders, such as [orderItemQtyBackordered]: "
            "close the one that is open, or remove it.",
        ),
        (
            "sku] in stock",
            "Square brackets are only for placeholders, such as [orderItemQtyBackordered]: "
            "close the one that is open, or remove it.",
        ),
        (
            "  \n ",
            "Enter a backorder message, for example: [cataloginventoryItemQty] in stock, "
            "[orderItemQtyBackordered] backordered",
        ),
        ("x" * 201, "The backorder message must be at most 200 characters."),
        (
            "[sku]\x00",
            "The backorder message contains characters that cannot be printed; remove them.",
        ),
    ],
)
def test_a_message_that_cannot_be_used_is_refused_with_the_reason(text: str, error: str) -> None:
    with pytest.raises(MessageTemplateError) as refused:
        parse_message(text)
    assert str(refused.value) == error


def test_line_breaks_and_runs_of_spaces_become_one_space() -> None:
    assert parse_message("  [sku]\n\n waits  ").text == "[sku] waits"


@given(st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=60))
def test_text_without_brackets_prints_as_it_is(text: str) -> None:
    try:
        template = parse_message(text)
    except MessageTemplateError:
        return
    assert render_message(template, PICK) == " ".join(text.split())


ORDER = OrderFacts(
    number="CFG-TEST1",
    placed_at=datetime(2026, 12, 1, 9, 30),
    customer_name="Ada Lovelace",
    email="ada@example.com",
    address=("Ada Lovelace", "12 Analytical Row", "N1 7AA London"),
    subtotal=500_000,
    lines=(
        LineFacts(
            product_name="Aero Road Bike",
            quantity=5,
            quantity_backordered=2,
            unit_price=100_000,
            line_total=500_000,
            options=(
                OptionFacts("Wheels", "Carbon Deep", "WHL-CD", 2, True, "ships in 2-3 weeks"),
                OptionFacts("Frame", "Forest Green", "FR-GRN", 0),
                OptionFacts("Backdrop", "Studio", "", 0, shown_to_customer=False),
            ),
        ),
    ),
)


def test_every_document_shows_qty_ordered_and_qty_backordered_per_line() -> None:
    message = parse_message(DEFAULT_BACKORDER_MESSAGE)
    for kind in DocumentKind:
        doc = document(kind, ORDER, message)
        labels = [column.label for column in doc.columns]
        ordered, backordered = labels.index("Qty Ordered"), labels.index("Qty Backordered")
        assert doc.rows[0].cells[ordered] == "5"
        assert doc.rows[0].cells[backordered] == "2"
        assert doc.filename == f"{kind.value}-CFG-TEST1.pdf"


def test_the_invoice_names_the_promise_and_leaves_out_what_the_customer_did_not_see() -> None:
    doc = document(DocumentKind.INVOICE, ORDER, parse_message(DEFAULT_BACKORDER_MESSAGE))
    assert doc.rows[0].details == (
        "Wheels: Carbon Deep (Available Backorder) - ships in 2-3 weeks",
        "Frame: Forest Green",
    )
    assert doc.totals == (("Subtotal", "$5,000.00"),)


def test_the_pick_list_lists_every_part_with_the_message_under_the_backordered_one() -> None:
    doc = document(DocumentKind.PICK_LIST, ORDER, parse_message("[optionName]: [restockTimeframe]"))
    assert [row.cells[1] for row in doc.rows] == [
        "Wheels: Carbon Deep",
        "Frame: Forest Green",
        "Backdrop: Studio",
    ]
    assert [row.details for row in doc.rows] == [("Carbon Deep: ships in 2-3 weeks",), (), ()]


def test_each_line_carries_its_builds_picture_once() -> None:
    png = b"\x89PNG picture"
    order = replace(ORDER, lines=(replace(ORDER.lines[0], picture=png),))
    message = parse_message(DEFAULT_BACKORDER_MESSAGE)
    assert document(DocumentKind.INVOICE, order, message).rows[0].picture == png
    assert document(DocumentKind.PACKING_SLIP, order, message).rows[0].picture == png
    pick = document(DocumentKind.PICK_LIST, order, message)
    assert [row.picture for row in pick.rows] == [png, None, None]  # on the line's first part
    assert all(row.picture is None for row in document(DocumentKind.INVOICE, ORDER, message).rows)


def test_a_pending_orders_invoice_says_it_is_charged_when_the_items_ship() -> None:
    message = parse_message(DEFAULT_BACKORDER_MESSAGE)
    pending = document(DocumentKind.INVOICE, replace(ORDER, pending=True), message)
    assert pending.title == "Invoice for Pending order CFG-TEST1"
    assert PENDING_INVOICE_NOTE in pending.notes
    assert not any("charged at their normal price" in note for note in pending.notes)
    assert PENDING_INVOICE_NOTE not in document(DocumentKind.INVOICE, ORDER, message).notes
