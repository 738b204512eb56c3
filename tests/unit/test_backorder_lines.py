"""Issue #8: what a quantity change does to the in-stock and back ordered lines, what the
question counts, and what the merchant is told when an option cannot be ordered."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.availability import (
    AddOutcome,
    Backorders,
    OptionStock,
    QuantityChange,
    StockSettings,
    StockStatus,
    decide_add,
    keep_selling_hint,
    option_availability,
    plan_quantity_change,
)

NO, NOTIFY = Backorders.NO, Backorders.ALLOW_AND_NOTIFY
OUT = OptionStock(enabled=True, status=StockStatus.OUT_OF_STOCK)


# How a raised line divides -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "requested", "in_stock", "answer", "expected"),
    [
        # Issue #8: 2 on the in-stock line, 2 in stock, raised to 4; Yes sends 2 on.
        (2, 4, 2, True, QuantityChange(2, 2)),
        # No: the line keeps what is in stock.
        (2, 4, 2, False, QuantityChange(2, 0)),
        (1, 4, 3, False, QuantityChange(3, 0)),
        (1, 4, 3, True, QuantityChange(3, 1)),
        # Nothing in stock: Yes moves everything to the back ordered line, No changes nothing.
        (2, 4, 0, True, QuantityChange(0, 4)),
        (2, 4, 0, False, QuantityChange(2, 0)),
        # Stock fell below the line since it was added: No never shrinks the line.
        (3, 5, 1, False, QuantityChange(3, 0)),
        (3, 5, 1, True, QuantityChange(1, 4)),
        # Nothing was asked (or all of it is in stock): the line simply takes the quantity.
        (2, 4, 2, None, QuantityChange(4, 0)),
        (2, 4, 9, True, QuantityChange(4, 0)),
    ],
)
def test_a_raised_line_keeps_the_in_stock_and_back_ordered_lines_apart(
    current: int, requested: int, in_stock: int, answer: bool | None, expected: QuantityChange
) -> None:
    assert plan_quantity_change(current, requested, in_stock, back_order_rest=answer) == expected


@given(
    st.integers(1, 99),
    st.integers(1, 99),
    st.integers(-5, 120),
    st.sampled_from([True, False, None]),
)
def test_a_plan_never_loses_or_invents_units(
    current: int, extra: int, in_stock: int, answer: bool | None
) -> None:
    requested = min(99, current + extra)
    plan = plan_quantity_change(current, requested, in_stock, back_order_rest=answer)
    assert plan.line_quantity >= 0 and plan.to_back_ordered_line >= 0
    assert plan.line_quantity + plan.to_back_ordered_line <= requested
    if answer is not False:
        assert plan.line_quantity + plan.to_back_ordered_line == requested
    if plan.to_back_ordered_line:
        assert plan.line_quantity <= max(0, in_stock)


# The question counts what ordinary lines leave in stock ------------------------------------------


def test_back_ordered_lines_leave_the_stock_to_the_in_stock_line() -> None:
    rules = StockSettings(True, NOTIFY, allow_custom_backordering=True)
    parts = [
        option_availability(rules, OptionStock(enabled=True, track_inventory=True, quantity=2))
    ]

    # 3 more sit on the back ordered line; the in-stock line (2) is raised to 4.
    decision = decide_add(rules, parts, 4, taken=[3], in_stock_taken=[0])

    assert decision.outcome is AddOutcome.ASK
    assert (decision.split.in_stock, decision.split.backordered) == (2, 2)
    # Without the distinction the back ordered units would seem to hold the stock.
    assert decide_add(rules, parts, 4, taken=[3]).split.in_stock == 0


# What the merchant is told -----------------------------------------------------------------------


def test_an_inheriting_option_on_backorder_needs_no_hint() -> None:
    assert keep_selling_hint(StockSettings(True, NOTIFY), OUT) == ""


def test_an_own_no_backorders_names_the_option_setting_not_global_settings() -> None:
    hint = keep_selling_hint(StockSettings(True, NOTIFY), replace(OUT, backorders=NO))
    assert 'own Backorders setting is "No backorders"' in hint
    assert '"Use global setting"' in hint
    assert "Allow backorders in Global Settings" not in hint


def test_no_backorders_anywhere_points_to_global_settings() -> None:
    hint = keep_selling_hint(StockSettings(True, NO), OUT)
    assert hint.startswith("Allow backorders in Global Settings")
    own = keep_selling_hint(StockSettings(True, NO), replace(OUT, backorders=NO))
    assert own == "Allow backorders for this option (its Backorders setting) to keep selling it."


def test_an_orderable_option_needs_no_hint() -> None:
    assert keep_selling_hint(StockSettings(True, NO), replace(OUT, enabled=False)) == ""
