"""Emails: written into the outbox with the event, delivered to a real SMTP server (aiosmtpd on
127.0.0.1), retried with backoff when it refuses or is down, never in a checkout's way; listed
on the admin's Emails page; "Notify me when back in stock" with double opt-in."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from configurator import cli
from configurator.core.mails import BACK_IN_STOCK_ASKED, MAX_ATTEMPTS
from configurator.services import mail
from configurator.settings import Settings
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import CustomerOrder, OutboxMail, utcnow
from configurator.web.app import create_app
from tests.integration.conftest import (
    CUSTOMER,
    NO_FILE,
    Shop,
    add_to_cart,
    csrf,
    post_form,
    sign_in,
)
from tests.integration.test_stock import option_form

BIKE = "aero-road-bike"
SNEAKER = "court-sneaker"
FROM = "Layerworks <shop@example.com>"

Client = TestClient[Litestar]

X = "\N{MULTIPLICATION SIGN}"


class Inbox:
    """An aiosmtpd handler: keeps what it is sent; `refuse` answers 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return "451 4.3.2 Please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server on 127.0.0.1 (a free port), and its SMTP_URL."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def place_order(client: Client) -> str:
    response = post_form(client, "/checkout", CUSTOMER)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def outbox(shop: Shop) -> list[OutboxMail]:
    with new_session(shop.engine) as session:
        return list(session.exec(select(OutboxMail).order_by(OutboxMail.id)))  # type: ignore[arg-type]


def kinds(shop: Shop) -> list[str]:
    return [row.kind for row in outbox(shop)]


def backordered_bike(shop: Shop, client: Client) -> None:
    """A bike on Carbon Deep wheels (Out of Stock, backordered), which ships in 2-3 weeks."""
    ids = shop.ids(BIKE)
    shop.execute(
        "UPDATE option SET restock_timeframe = 'ships in 2-3 weeks' WHERE id = :i",
        i=ids["Carbon Deep"],
    )
    response = add_to_cart(client, BIKE, {ids["Wheels"]: ids["Carbon Deep"]}, 1)
    assert response.status_code == 303, response.text
    add_to_cart(client, SNEAKER, {}, 2)


def test_an_order_mails_the_customer_and_the_merchant(
    shop: Shop, client: Client, smtp: tuple[Inbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MERCHANT_EMAIL", "owner@example.com")
    monkeypatch.setenv("SHOP_URL", "https://shop.example.com")
    inbox, url = smtp
    backordered_bike(shop, client)
    location = place_order(client)

    result = mail.send_pending(shop.engine, url, FROM)

    assert result == mail.SendResult(sent=2)
    [customer] = inbox.to("ada@example.com")
    assert customer["Subject"].startswith("Your order CFG-")
    assert customer["From"] == FROM
    assert customer.get_content_type() == "text/plain"
    text = body(customer)
    assert "Part of this order ships now; the rest ships once restocked." in text
    assert f"Court Sneaker {X} 2" in text
    assert f"Aero Road Bike {X} 1, waiting for Wheels: Carbon Deep (ships in 2-3 weeks)" in text
    assert f"https://shop.example.com{location}" in text
    [merchant] = inbox.to("owner@example.com")
    assert merchant["Subject"].startswith("New order CFG-")
    assert "Ship part of this order now and hold the rest" in body(merchant)
    assert {row.status for row in outbox(shop)} == {mail.SENT}
    # Sent once: another pass finds nothing due.
    assert mail.send_pending(shop.engine, url, FROM) == mail.SendResult()
    assert len(inbox.messages) == 2


def test_a_refusing_or_absent_server_is_tried_again_with_growing_delays(
    shop: Shop, client: Client, smtp: tuple[Inbox, str]
) -> None:
    inbox, url = smtp
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    inbox.refuse = True

    started = utcnow()
    assert mail.send_pending(shop.engine, url, FROM) == mail.SendResult(retrying=2)

    rows = outbox(shop)
    assert [row.attempts for row in rows] == [1, 1]
    assert all(row.status == mail.WAITING for row in rows)
    assert all("451" in row.last_error for row in rows)
    for row in rows:
        wait = row.next_attempt_at.replace(tzinfo=started.tzinfo) - started
        assert timedelta(seconds=29) < wait < timedelta(seconds=40)
    # Not due yet: nothing is tried before its delay is over.
    inbox.refuse = False
    assert mail.send_pending(shop.engine, url, FROM) == mail.SendResult()
    # The server goes away: the second failure waits twice as long.
    down = f"smtp://127.0.0.1:{free_port()}"
    later = utcnow() + timedelta(seconds=31)
    assert mail.send_pending(shop.engine, down, FROM, now=later) == mail.SendResult(retrying=2)
    rows = outbox(shop)
    assert [row.attempts for row in rows] == [2, 2]
    for row in rows:
        wait = row.next_attempt_at.replace(tzinfo=started.tzinfo) - utcnow()
        assert timedelta(seconds=55) < wait < timedelta(seconds=70)
    # Back up, and the delay over: both arrive, once.
    much_later = utcnow() + timedelta(minutes=2)
    assert mail.send_pending(shop.engine, url, FROM, now=much_later) == mail.SendResult(sent=2)
    assert len(inbox.messages) == 2
    assert [row.status for row in outbox(shop)] == [mail.SENT, mail.SENT]


def test_a_mail_that_never_goes_is_marked_failed_after_its_last_attempt(
    shop: Shop, client: Client, smtp: tuple[Inbox, str]
) -> None:
    inbox, url = smtp
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    shop.execute("UPDATE outbox_mail SET attempts = :n", n=MAX_ATTEMPTS - 1)
    inbox.refuse = True

    assert mail.send_pending(shop.engine, url, FROM) == mail.SendResult(failed=2)

    assert [(row.status, row.attempts) for row in outbox(shop)] == [(mail.FAILED, MAX_ATTEMPTS)] * 2
    sign_in(shop, client)
    page = client.get("/admin/emails").text
    assert page.count(f"Failed</span> after {MAX_ATTEMPTS} attempts") == 2


def serving_app(shop: Shop, smtp_url: str) -> Litestar:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url="unused",
        admin_password=None,
        secure_cookies=False,
        prune_interval_minutes=0,
        smtp_url=smtp_url,
        mail_from=FROM,
        mail_poll_seconds=1,
    )
    return create_app(settings, shop.engine)


def wait_for(condition: Any, timeout: float = 20) -> None:
    """Wait for the sender thread (it polls every second) to have done something."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_checkout_succeeds_while_the_mail_server_is_down(shop: Shop) -> None:
    down = f"smtp://127.0.0.1:{free_port()}"
    with TestClient(serving_app(shop, down)) as client:
        assert client.app.state.mail_sender.running
        add_to_cart(client, SNEAKER, {}, 1)
        location = place_order(client)
        assert client.get(location).status_code == 200
        wait_for(lambda: all(row.attempts >= 1 for row in outbox(shop)))
    rows = outbox(shop)
    assert [row.kind for row in rows] == ["order_confirmation", "new_order"]
    assert all(row.status == mail.WAITING and row.last_error for row in rows)
    assert shop.count("customer_order") == 1


def test_the_server_sends_mails_while_it_serves(shop: Shop, smtp: tuple[Inbox, str]) -> None:
    inbox, url = smtp
    with TestClient(serving_app(shop, url)) as client:
        add_to_cart(client, SNEAKER, {}, 1)
        place_order(client)
        wait_for(lambda: len(inbox.messages) == 2)
        assert len(inbox.to("ada@example.com")) == 1
    assert [row.status for row in outbox(shop)] == [mail.SENT, mail.SENT]


def test_without_smtp_url_the_emails_page_lists_what_would_have_gone_out(
    shop: Shop, client: Client
) -> None:
    assert not shop.app.state.mail_sender.running  # nothing to send to
    backordered_bike(shop, client)
    place_order(client)
    number = str(shop.scalar("SELECT number FROM customer_order"))
    sign_in(shop, client)

    response = client.get("/admin/emails")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert '<a href="/admin/emails">Emails</a>' in page
    assert "<code>SMTP_URL</code> is not set" in page
    assert f"Your order {number}" in page
    assert f"New order {number} from Ada Lovelace" in page
    assert page.count("Waiting</span>") == 2
    assert "waiting for Wheels: Carbon Deep (ships in 2-3 weeks)" in page


def test_the_emails_page_needs_a_signed_in_merchant(client: Client) -> None:
    response = client.get("/admin/emails", follow_redirects=False)
    assert response.status_code in {302, 303}
    assert "/admin/login" in response.headers["location"]


def test_merchant_typed_text_stays_text_on_the_emails_page(shop: Shop, client: Client) -> None:
    shop.execute("UPDATE product SET name = '<script>alert(1)</script>' WHERE slug = :s", s=SNEAKER)
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    sign_in(shop, client)
    page = client.get("/admin/emails").text
    assert "<script>alert(1)</script>" not in page
    assert f"&lt;script&gt;alert(1)&lt;/script&gt; {X} 1" in page


def test_cancelling_an_order_mails_the_customer(shop: Shop, client: Client) -> None:
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    number = str(shop.scalar("SELECT number FROM customer_order"))
    sign_in(shop, client)
    response = post_form(client, f"/admin/orders/{number}/cancel", {"confirm": "yes"})
    assert response.status_code == 303
    cancelled = outbox(shop)[-1]
    assert cancelled.kind == "order_cancelled"
    assert cancelled.subject == f"Your order {number} was cancelled"
    assert cancelled.to_address == "ada@example.com"


# The low-stock alert: once per crossing ---------------------------------------------------------


def buy_gravel_wheels(shop: Shop, client: Client, units: int) -> None:
    ids = shop.ids(BIKE)
    response = add_to_cart(client, BIKE, {ids["Wheels"]: ids["Gravel Tan"]}, units)
    assert response.status_code == 303, response.text
    place_order(client)


def low_stock_alerts(shop: Shop) -> list[OutboxMail]:
    return [row for row in outbox(shop) if row.kind == "low_stock"]


def save_option(client: Client, shop: Shop, slug: str, option_id: int, **changes: str) -> None:
    response = post_form(
        client,
        f"/admin/products/{shop.product_id(slug)}/options/{option_id}",
        option_form(shop, option_id, **changes),
        files=NO_FILE,
    )
    assert response.status_code == 303, response.text


def test_the_low_stock_alert_comes_once_per_crossing(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MERCHANT_EMAIL", "owner@example.com")
    gravel = shop.ids(BIKE)["Gravel Tan"]
    shop.execute("UPDATE option SET quantity = 6 WHERE id = :i", i=gravel)  # Notify below: 3

    buy_gravel_wheels(shop, client, 2)  # 4 left: above
    assert low_stock_alerts(shop) == []
    buy_gravel_wheels(shop, client, 1)  # 3 left: crossed
    [alert] = low_stock_alerts(shop)
    assert alert.to_address == "owner@example.com"
    assert alert.subject == "Low stock: Aero Road Bike, Wheels: Gravel Tan"
    assert "is down to 3 on hand" in alert.body
    buy_gravel_wheels(shop, client, 1)  # 2 left: still below, no second alert
    assert len(low_stock_alerts(shop)) == 1

    sign_in(shop, client)
    save_option(client, shop, BIKE, gravel, quantity="10")  # restocked: above again
    assert len(low_stock_alerts(shop)) == 1
    buy_gravel_wheels(shop, client, 7)  # 3 left: crossed again
    assert len(low_stock_alerts(shop)) == 2


# Notify me when back in stock ------------------------------------------------------------------


def neon(shop: Shop) -> int:
    return shop.ids(SNEAKER)["Neon Yellow"]


def ask(client: Client, shop: Shop, **data: object) -> Any:
    form = {"option": neon(shop), "email": "bo@example.com", **data}
    return post_form(client, f"/products/{SNEAKER}/back-in-stock", form)


def confirmation_link(shop: Shop) -> str:
    [confirm] = [row for row in outbox(shop) if row.kind == "back_in_stock_confirm"]
    found = re.search(r"http://[^/\s]+(/back-in-stock/\S+)", confirm.body)
    assert found, confirm.body
    return found.group(1)


def test_the_product_page_offers_to_email_when_a_sold_out_option_is_back(
    client: Client,
) -> None:
    page = client.get(f"/products/{SNEAKER}").text
    assert 'action="/products/court-sneaker/back-in-stock"' in page
    assert '<label for="back-in-stock-email">Your email</label>' in page
    assert ">Laces: Neon Yellow</option>" in page
    # Options that can be ordered (on backorder included) are not offered.
    assert 'id="back-in-stock"' not in client.get(f"/products/{BIKE}").text


def test_back_in_stock_is_double_opt_in_and_mailed_once_on_restock(
    shop: Shop, client: Client
) -> None:
    response = ask(client, shop)
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/products/{SNEAKER}?back_in_stock=asked#back-in-stock"
    )
    assert "open its link to confirm" in client.get(response.headers["location"]).text
    assert kinds(shop) == ["back_in_stock_confirm"]
    # Asking again (or in capitals) writes and sends nothing more.
    assert ask(client, shop, email="BO@example.com").status_code == 303
    assert shop.count("back_in_stock_request") == 1
    assert kinds(shop) == ["back_in_stock_confirm"]

    # Not confirmed yet: a restock mails nobody.
    sign_in(shop, client)
    save_option(client, shop, SNEAKER, neon(shop), stock_status="in_stock")
    assert kinds(shop) == ["back_in_stock_confirm"]
    save_option(client, shop, SNEAKER, neon(shop), stock_status="out_of_stock")

    link = confirmation_link(shop)
    page = client.get(link).text
    assert "Confirm that we may email bo@example.com" in page
    assert post_form(client, link, {}, token=False).status_code == 403
    confirmed = post_form(client, link, {})
    assert confirmed.status_code == 200
    assert "Confirmed: we will email bo@example.com once" in confirmed.text
    assert kinds(shop) == ["back_in_stock_confirm"]

    save_option(client, shop, SNEAKER, neon(shop), stock_status="in_stock")
    assert kinds(shop) == ["back_in_stock_confirm", "back_in_stock"]
    back = outbox(shop)[-1]
    assert back.to_address == "bo@example.com"
    assert back.subject == "Back in stock: Neon Yellow"
    assert "/products/court-sneaker" in back.body
    # Saved again, out and in again: mailed once only.
    save_option(client, shop, SNEAKER, neon(shop), stock_status="in_stock")
    save_option(client, shop, SNEAKER, neon(shop), stock_status="out_of_stock")
    save_option(client, shop, SNEAKER, neon(shop), stock_status="in_stock")
    assert kinds(shop).count("back_in_stock") == 1


def test_a_tracked_option_raised_above_zero_mails_those_waiting(shop: Shop, client: Client) -> None:
    ids = shop.ids(BIKE)
    honey = ids["Honey Leather"]
    shop.execute("UPDATE option SET quantity = 0 WHERE id = :i", i=honey)
    response = post_form(
        client,
        f"/products/{BIKE}/back-in-stock",
        {"option": honey, "email": "cy@example.com"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.strip() == BACK_IN_STOCK_ASKED  # for the section's live region
    assert "vary" in response.headers
    link = confirmation_link(shop)
    assert post_form(client, link, {}).status_code == 200

    sign_in(shop, client)
    save_option(client, shop, BIKE, honey, quantity="4")

    assert kinds(shop) == ["back_in_stock_confirm", "back_in_stock"]
    assert outbox(shop)[-1].subject == "Back in stock: Honey Leather"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"email": "not-an-address"}, 422),
        ({"email": ""}, 422),
        ({"option": "999999"}, 400),
        ({"option": "x"}, 400),
        ({"option": "white"}, 400),  # an option in stock (replaced by its id below)
    ],
)
def test_bad_back_in_stock_requests_are_refused_and_write_nothing(
    shop: Shop, client: Client, data: dict[str, str], status: int
) -> None:
    if data.get("option") == "white":
        data = {"option": str(shop.ids(SNEAKER)["White"])}
    before = shop.snapshot()
    response = ask(client, shop, **data)
    assert response.status_code == status
    assert shop.count("back_in_stock_request") == 0
    assert shop.count("outbox_mail") == 0
    assert shop.snapshot() == before


def test_a_back_in_stock_request_needs_the_csrf_token(shop: Shop, client: Client) -> None:
    csrf(client)
    response = post_form(
        client,
        f"/products/{SNEAKER}/back-in-stock",
        {"option": neon(shop), "email": "bo@example.com"},
        token=False,
    )
    assert response.status_code == 403
    assert shop.count("back_in_stock_request") == 0


def test_an_unknown_confirmation_link_is_not_found(client: Client) -> None:
    assert client.get("/back-in-stock/nope").status_code == 404
    assert post_form(client, "/back-in-stock/nope", {}).status_code == 404


def test_a_draft_product_takes_no_requests(shop: Shop, client: Client) -> None:
    shop.execute("UPDATE product SET published = false WHERE slug = :s", s=SNEAKER)
    response = ask(client, shop)
    assert response.status_code == 404
    assert shop.count("back_in_stock_request") == 0


def test_htmx_refusals_come_back_as_a_notice(shop: Shop, client: Client) -> None:
    response = post_form(
        client,
        f"/products/{SNEAKER}/back-in-stock",
        {"option": neon(shop), "email": "nope"},
        htmx=True,
    )
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#flash"
    assert "Enter an email address like name@example.com." in response.text


def test_the_send_pending_command(
    shop: Shop,
    client: Client,
    smtp: tuple[Inbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inbox, url = smtp
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    monkeypatch.setenv("DATABASE_URL", shop.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SMTP_URL", raising=False)

    assert cli.main(["mail", "send-pending"]) == 1
    assert "SMTP_URL is not set: nothing sent; 2 mail(s) wait" in capsys.readouterr().err

    monkeypatch.setenv("SMTP_URL", url)
    assert cli.main(["mail", "send-pending"]) == 0
    assert "Sent 2 mail(s)" in capsys.readouterr().out
    assert len(inbox.messages) == 2


def test_ready_to_ship_and_shipped_mails_for_the_fulfilment_actions(
    shop: Shop, client: Client
) -> None:
    backordered_bike(shop, client)
    place_order(client)
    with new_session(shop.engine) as session, unit_of_work(session, write=True):
        order = session.exec(select(CustomerOrder)).one()
        mail.enqueue_ready_to_ship(session, order)
        mail.enqueue_shipped(session, order, tracking="1Z999AA10123456784")
        number = order.number

    ready, shipped = outbox(shop)[-2:]
    assert (ready.kind, ready.to_address) == ("ready_to_ship", "ada@example.com")
    assert ready.subject == f"Your order {number} is ready to ship"
    assert f"Aero Road Bike {X} 1" in ready.body and f"Court Sneaker {X} 2" in ready.body
    assert shipped.subject == f"Your order {number} has shipped"
    assert "Tracking reference: 1Z999AA10123456784" in shipped.body
    assert {ready.order_number, shipped.order_number} == {number}


def test_a_mail_that_cannot_be_written_fails_alone(
    shop: Shop, client: Client, smtp: tuple[Inbox, str]
) -> None:
    inbox, url = smtp
    add_to_cart(client, SNEAKER, {}, 1)
    place_order(client)
    shop.execute(
        "UPDATE outbox_mail SET to_address = :a WHERE kind = 'new_order'",
        a="owner@example.com\nBcc: someone@example.com",
    )

    assert mail.send_pending(shop.engine, url, FROM) == mail.SendResult(sent=1, failed=1)

    failed = [row for row in outbox(shop) if row.status == mail.FAILED]
    assert [row.kind for row in failed] == ["new_order"]
    assert "ValueError" in failed[0].last_error
    assert [str(m["To"]) for m in inbox.messages] == ["ada@example.com"]


def test_the_confirmation_links_each_lines_build_picture(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_URL", "https://shop.example.com")
    backordered_bike(shop, client)
    place_order(client)

    [confirmation] = [row for row in outbox(shop) if row.kind == "order_confirmation"]
    text = confirmation.body
    assert "Pictures of your builds:" in text
    links = re.findall(r"  - (Aero Road Bike|Court Sneaker): (\S+)", text)
    assert [name for name, _ in links] == ["Aero Road Bike", "Court Sneaker"]
    bike = links[0][1]
    assert bike.startswith("https://shop.example.com/pictures/build.png?images=")
    ids = shop.ids(BIKE)
    wheels = shop.scalar("SELECT image_id FROM option WHERE id = :i", i=ids["Carbon Deep"])
    assert str(wheels) in bike.split("images=")[1].split("&")[0].split("-")  # the build ordered
    for _name, link in links:
        picture = client.get(link.removeprefix("https://shop.example.com"))
        assert picture.status_code == 200
        assert picture.headers["content-type"] == "image/png"
    # The merchant's "new order" mail is unchanged.
    [new_order] = [row for row in outbox(shop) if row.kind == "new_order"]
    assert "build.png" not in new_order.body


def test_a_later_mail_says_the_timeframe_recorded_at_checkout(shop: Shop, client: Client) -> None:
    """The merchant changes Carbon Deep's timeframe after the order: a confirmation written
    again later (both the customer's and the merchant's) still says the one promised at
    checkout, as the order's pages and documents do."""
    backordered_bike(shop, client)
    place_order(client)
    shop.execute(
        "UPDATE option SET restock_timeframe = 'ships in 6 weeks' WHERE id = :i",
        i=shop.ids(BIKE)["Carbon Deep"],
    )
    with new_session(shop.engine) as session, unit_of_work(session, write=True):
        order = session.exec(select(CustomerOrder)).one()
        mail.enqueue_order_placed(session, order)

    customer, merchant = outbox(shop)[-2:]
    assert (customer.kind, merchant.kind) == ("order_confirmation", "new_order")
    for row in (customer, merchant):
        assert "waiting for Wheels: Carbon Deep (ships in 2-3 weeks)" in row.body
        assert "6 weeks" not in row.body
