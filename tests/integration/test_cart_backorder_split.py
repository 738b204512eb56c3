"""Issue #8, item 2: raising the in-stock line of a split asks with what is really left in
stock, and after Yes the cart still has seed 001's two lines (in stock / back ordered)."""

from __future__ import annotations

import re

from tests.integration.conftest import Shop, line_ids, post_form, sign_in
from tests.integration.test_stock import (
    BIKE,
    Client,
    add,
    cart_line_html,
    option,
    quantity,
    save_settings,
    saved,
)


def test_raising_the_in_stock_line_asks_with_what_is_really_left_and_keeps_two_lines(
    shop: Shop, client: Client
) -> None:
    """Issue #8: the back ordered line waits for stock, so it does not use up what the
    in-stock line can still take; after Yes the cart still has seed 001's two lines."""
    sign_in(shop, client)
    saved(save_settings(client, shop, allow_custom_backordering="on"))
    green = option(shop, "Frame", "Forest Green")
    assert quantity(shop, green) == 2
    choice = {shop.ids(BIKE)["Frame"]: green}
    assert add(client, choice, 5, answer="yes").status_code == 303

    def rows() -> list[tuple[int, int]]:
        with shop.engine.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT quantity, backorder_line FROM cart_line ORDER BY id"
            ).all()
        return [(int(r[0]), int(r[1])) for r in found]

    assert rows() == [(2, 0), (3, 1)]
    in_stock_line, _back_ordered_line = line_ids(client.get("/cart").text)
    before = shop.snapshot()

    asked = post_form(client, f"/cart/lines/{in_stock_line}", {"quantity": 4}, htmx=True)

    assert asked.status_code == 200
    assert (
        "There are only 2 of Forest Green (Frame) in stock, and you have added 4, "
        "do you want to back order the other 2?"
    ) in asked.text
    assert "There are no Forest Green" not in asked.text
    assert shop.snapshot() == before
    state = re.search(r'name="cart_state" value="([0-9a-f]+)"', asked.text)
    assert state

    answered = post_form(
        client,
        f"/cart/lines/{in_stock_line}",
        {"quantity": 4, "backorder_answer": "yes", "cart_state": state.group(1)},
    )

    assert answered.status_code == 303
    assert rows() == [(2, 0), (5, 1)]
    cart = client.get("/cart").text
    first, second = (cart_line_html(cart, line) for line in line_ids(cart))
    assert "back ordered" not in first
    assert 'value="2"' in first
    assert '<span class="backorder-label">back ordered</span>' in second
    assert 'value="5"' in second

    # Raising it once more asks again, counting the 2 in stock, and still keeps two lines.
    asked_again = post_form(client, f"/cart/lines/{in_stock_line}", {"quantity": 3}, htmx=True)
    assert (
        "There are only 2 of Forest Green (Frame) in stock, and you have added 3, "
        "do you want to back order the other 1?"
    ) in asked_again.text
    state = re.search(r'name="cart_state" value="([0-9a-f]+)"', asked_again.text)
    assert state
    post_form(
        client,
        f"/cart/lines/{in_stock_line}",
        {"quantity": 3, "backorder_answer": "no", "cart_state": state.group(1)},
    )
    assert rows() == [(2, 0), (5, 1)]
