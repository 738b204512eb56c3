"""What the shop's mails say, when a failed one is tried again, and what SMTP_URL may be."""

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from configurator.core.fulfilment import LineSnapshot
from configurator.core.mails import (
    MAX_ATTEMPTS,
    BackInStockFacts,
    LowStockFacts,
    MailKind,
    OrderFacts,
    SmtpTarget,
    back_in_stock,
    back_in_stock_choices,
    back_in_stock_confirmation,
    backordered_option,
    clean_email,
    low_stock,
    new_order,
    one_line,
    order_cancelled,
    order_confirmation,
    parse_smtp_url,
    ready_to_ship,
    retry_delay,
    shipped,
)
from tests.unit.specs import bike

X = "\N{MULTIPLICATION SIGN}"


def order(*lines: LineSnapshot, name: str = "Ada Lovelace") -> OrderFacts:
    return OrderFacts(
        number="CFG-ABCD2345",
        customer_name=name,
        email="ada@example.com",
        url="http://shop.test/orders/tok",
        lines=lines,
        subtotal="€2,150.00",
    )


SPLIT = LineSnapshot(
    "Aero Road Bike",
    5,
    3,
    (backordered_option("Wheels", "Carbon Deep", "ships in 2-3 weeks"),),
)


def test_the_confirmation_names_what_ships_now_and_what_is_backordered_with_its_timeframe() -> None:
    mail = order_confirmation(order(SPLIT, LineSnapshot("Court Sneaker", 1, 1)))
    assert mail.kind is MailKind.ORDER_CONFIRMATION
    assert mail.to == "ada@example.com"
    assert mail.subject == "Your order CFG-ABCD2345"
    assert "Part of this order ships now; the rest ships once restocked." in mail.body
    assert f"Ships now:\n  - Aero Road Bike {X} 3\n  - Court Sneaker {X} 1" in mail.body
    assert (
        f"Ships once restocked:\n  - Aero Road Bike {X} 2, waiting for Wheels: Carbon Deep "
        "(ships in 2-3 weeks)" in mail.body
    )
    assert "http://shop.test/orders/tok" in mail.body
    assert "Subtotal: €2,150.00." in mail.body


def test_no_timeframe_promises_nothing() -> None:
    assert backordered_option("Wheels", "Carbon Deep", None) == "Wheels: Carbon Deep"
    assert backordered_option("Wheels", "Carbon Deep", "  ") == "Wheels: Carbon Deep"


def test_a_silent_backorder_is_named_to_the_merchant_only() -> None:
    silent = LineSnapshot("Aero Road Bike", 2, 0, (), silent=True)
    customer = order_confirmation(order(silent))
    assert "Carbon" not in customer.body
    assert "We will ship your order as soon as it is ready." in customer.body
    told = LineSnapshot("Aero Road Bike", 2, 0, ("Wheels: Carbon Deep",))
    merchant = new_order(order(told), "shop@example.com", "http://shop.test/admin/orders/X")
    assert merchant.to == "shop@example.com"
    assert merchant.subject == "New order CFG-ABCD2345 from Ada Lovelace"
    assert "Nothing can ship yet: hold the whole order until it is restocked." in merchant.body
    assert f"Hold until restocked:\n  - Aero Road Bike {X} 2, waiting for Wheels: Carbon Deep" in (
        merchant.body
    )


def test_typed_text_stays_plain_and_cannot_add_a_header() -> None:
    mail = new_order(
        order(SPLIT, name="Eve\r\nBcc: victim@example.com <b>x</b>"),
        "shop@example.com",
        "http://shop.test/admin/orders/X",
    )
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject == "New order CFG-ABCD2345 from Eve Bcc: victim@example.com <b>x</b>"
    assert "Eve Bcc: victim@example.com <b>x</b>" in mail.body  # text, not markup
    assert one_line("a\tb\x00c\u2028d") == "a b c d"


def test_cancelled_ready_and_shipped_mails() -> None:
    facts = order(SPLIT)
    cancelled = order_cancelled(facts)
    assert cancelled.subject == "Your order CFG-ABCD2345 was cancelled"
    assert "Nothing from it will ship." in cancelled.body
    ready = ready_to_ship(facts)
    assert ready.kind is MailKind.READY_TO_SHIP
    assert "is now in stock" in ready.body and f"Aero Road Bike {X} 5" in ready.body
    sent = shipped(facts, tracking="1Z999\nX-Evil: 1")
    assert "Tracking reference: 1Z999 X-Evil: 1" in sent.body
    assert "We shipped your order CFG-ABCD2345." in sent.body
    part = shipped(facts, items=[f"Aero Road Bike {X} 3"])
    assert f"We shipped:\n  - Aero Road Bike {X} 3" in part.body
    assert "Tracking" not in part.body


def test_low_stock_alert() -> None:
    facts = LowStockFacts(
        "Aero Road Bike", "Saddle", "Honey Leather", "SAD-HON", 2, 3, "http://shop.test/a"
    )
    mail = low_stock(facts, "shop@example.com")
    assert mail.subject == "Low stock: Aero Road Bike, Saddle: Honey Leather"
    assert "(SKU SAD-HON) is down to 2 on hand" in mail.body
    assert "at 3 or below (Notify for Quantity Below)" in mail.body


def test_back_in_stock_mails() -> None:
    facts = BackInStockFacts(
        "bo@example.com", "Court Sneaker", "Laces", "Neon Yellow", "http://shop.test/b/tok"
    )
    confirm = back_in_stock_confirmation(facts)
    assert confirm.to == "bo@example.com"
    assert "To confirm, open this link: http://shop.test/b/tok" in confirm.body
    assert "Court Sneaker with Laces: Neon Yellow" in confirm.body
    back = back_in_stock(facts)
    assert back.subject == "Back in stock: Neon Yellow"


def test_only_options_that_cannot_be_ordered_are_offered() -> None:
    assert back_in_stock_choices(bike(backorder=True)) == ()  # out of stock, but backordered
    assert back_in_stock_choices(bike(backorder=False)) == ((12, "Wheels: Option 12"),)
    assert back_in_stock_choices(bike(backorder=False, stock_management=False)) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  bo@example.com ", "bo@example.com"),
        ("bo@example", None),
        ("bo example.com", None),
        ("", None),
        ("<a@b.c>", None),
        ("a@b.c\n", "a@b.c"),
        ("a\x00@b.c", None),
        ("x" * 250 + "@b.cc", None),
    ],
)
def test_clean_email(text: str, expected: str | None) -> None:
    assert clean_email(text) == expected


def test_retries_back_off_doubling_up_to_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert all(a <= b for a, b in pairwise(delays))
    assert retry_delay(30) == timedelta(hours=1)
    assert retry_delay(3, first=timedelta(seconds=1)) == timedelta(seconds=4)


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525, False)
    assert parse_smtp_url("smtps://mail.example.com") == SmtpTarget("mail.example.com", 465, True)
    assert parse_smtp_url("smtp://shop%40x.com:p%3Ass@mail.example.com") == SmtpTarget(
        "mail.example.com", 25, False, "shop@x.com", "p:ss"
    )
    for bad in ("http://mail.example.com", "smtp://", "mail.example.com:25", "smtp://h:port"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def test_the_confirmation_and_the_new_order_mail_name_the_pending_order() -> None:
    """Charge on restock: one mail for the pair, naming the Pending order and its amount."""
    waiting = LineSnapshot(
        "Aero Road Bike", 2, 0, (backordered_option("Wheels", "Carbon Deep", None),)
    )
    pending = replace(
        order(waiting),
        number="CFG-PEND2345",
        url="http://shop.test/orders/pending-tok",
        subtotal="€3,498.00",
        is_pending=True,
    )
    main = replace(order(LineSnapshot("Court Sneaker", 1, 1)), pending=pending)

    body = order_confirmation(main).body
    assert "Thank you for your order CFG-ABCD2345. Subtotal: €2,150.00." in body
    assert (
        "Backordered items are charged when they ship, not now: they are in your Pending order "
        "CFG-PEND2345 (€3,498.00; no shipping and no discounts are added to it)." in body
    )
    assert f"  - Aero Road Bike {X} 2" in body
    assert "Your Pending order: http://shop.test/orders/pending-tok" in body

    merchant = new_order(main, "shop@example.com", "http://a/CFG-ABCD2345", "http://a/CFG-PEND2345")
    assert (
        "The backordered items are in Pending order CFG-PEND2345 (€3,498.00): charge it when "
        "they ship (no shipping, no discounts). http://a/CFG-PEND2345" in merchant.body
    )


def test_a_checkout_that_is_all_backordered_confirms_a_pending_order_charging_nothing() -> None:
    waiting = LineSnapshot("Aero Road Bike", 1, 0, ("Wheels: Carbon Deep",))
    alone = replace(order(waiting), is_pending=True, subtotal="€1,749.00")

    body = order_confirmation(alone).body
    assert (
        "Everything in it is backordered, so nothing is charged now: it is a Pending order of "
        "€1,749.00, charged when the items ship" in body
    )
    assert "Subtotal:" not in body
    merchant = new_order(alone, "shop@example.com", "http://a/CFG-ABCD2345")
    assert merchant.subject == "New Pending order CFG-ABCD2345 from Ada Lovelace"
    assert "Charge it when the items ship." in merchant.body


def test_a_pending_order_ready_to_ship_says_it_is_charged_now() -> None:
    waiting = LineSnapshot("Aero Road Bike", 1, 1)
    body = ready_to_ship(replace(order(waiting), is_pending=True)).body
    assert "It is a Pending order: its €2,150.00 is charged as it ships." in body
    assert "Pending" not in ready_to_ship(order(waiting)).body
