"""Stock CSV: the export's columns, and what an import plans, with no database."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.core.availability import Backorders, StockSettings, StockStatus
from configurator.core.stock_csv import (
    COLUMNS,
    MAX_CSV_BYTES,
    FieldChange,
    FileRefused,
    StockRow,
    export_bytes,
    export_csv,
    parse_bulk_edit,
    plan_bulk_edit,
    plan_import,
)

HEADER = ",".join(COLUMNS)


def row(option_id: int = 1, **kw: object) -> StockRow:
    values: dict[str, object] = {
        "option_id": option_id,
        "sku": f"SKU-{option_id}",
        "product": "Bike",
        "layer": "Frame",
        "option": f"Option {option_id}",
        "track_inventory": True,
        "quantity": 5,
        "backorders": None,
        "stock_status": StockStatus.IN_STOCK,
        "out_of_stock_threshold": None,
        "only_x_left_threshold": None,
        "notify_below": None,
        "restock_timeframe": None,
        "settings": StockSettings(True, Backorders.NO),
    }
    values.update(kw)
    return StockRow(**values)  # type: ignore[arg-type]


def csv_of(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_export_has_the_header_and_empty_cells_for_inherited_settings() -> None:
    text = export_csv([row(restock_timeframe="ships in 2-3 weeks", notify_below=2)])
    header, line = text.splitlines()
    assert header == HEADER
    assert line == "SKU-1,Bike,Frame,Option 1,Y,5,use_global,in_stock,,,2,ships in 2-3 weeks"
    assert export_bytes([row()]).startswith(b"\xef\xbb\xbf")


def test_the_export_imported_unchanged_changes_nothing() -> None:
    rows = [row(1), row(2, track_inventory=False, stock_status=StockStatus.OUT_OF_STOCK)]
    plan = plan_import(export_bytes(rows), rows)
    assert plan.ok and not plan.changes
    assert [number for number, _label in plan.unchanged] == [2, 3]


def test_changes_are_listed_old_to_new() -> None:
    plan = plan_import(csv_of("sku,quantity,backorders", "SKU-1,8,allow"), [row()])
    assert plan.ok
    (change,) = plan.changes
    assert change.changes == (
        FieldChange("quantity", "5", "8"),
        FieldChange("backorders", "use_global", "allow"),
    )


def test_lightspeed_aliases() -> None:
    plan = plan_import(csv_of("SKU,Stock_Track,Stock_Disable_Sold_Out", "SKU-1,N,N"), [row()])
    assert plan.ok
    after = plan.changes[0].after
    assert not after.track_inventory and after.backorders is Backorders.ALLOW
    plan = plan_import(csv_of("sku,Stock_Disable_Sold_Out", "SKU-1,Y"), [row()])
    assert plan.changes[0].after.backorders is Backorders.NO


@pytest.mark.parametrize(
    ("lines", "column", "message"),
    [
        (("sku,quantity", "NOPE,3"), "sku", 'Unknown SKU "NOPE": no option has it.'),
        (("sku,track_inventory", "SKU-1,maybe"), "track_inventory", 'Write Y or N, not "maybe".'),
        (("sku,Stock_Track", "SKU-1,maybe"), "Stock_Track", 'Write Y or N, not "maybe".'),
        (
            ("sku,quantity", "SKU-1,-2"),
            "quantity",
            '-2 is below zero, but this option\'s backorders are off ("No backorders"); '
            "allow backorders or write 0 or more.",
        ),
        (
            ("sku,notify_below", "SKU-1,1.5"),
            "notify_below",
            'Must be a whole number, or empty to use the global setting, not "1.5".',
        ),
        (("sku,quantity", "SKU-1,4", "SKU-1,5"), "sku", 'SKU "SKU-1" is already on row 2.'),
        (
            ("sku,backorders", "SKU-1,sometimes"),
            "backorders",
            'Write use_global, no, allow or notify, not "sometimes".',
        ),
    ],
)
def test_row_errors_name_the_row_and_the_column(
    lines: tuple[str, ...], column: str, message: str
) -> None:
    plan = plan_import(csv_of(*lines), [row()])
    assert not plan.ok
    error = plan.errors[-1]
    assert (error.row, error.column, error.message) == (len(lines), column, message)


def test_negative_quantity_allowed_with_backorders() -> None:
    plan = plan_import(csv_of("sku,quantity,backorders", "SKU-1,-2,allow"), [row()])
    assert plan.ok and plan.changes[0].after.quantity == -2


def test_rows_match_by_names_when_the_sku_is_empty() -> None:
    plan = plan_import(
        csv_of("sku,product,layer,option,quantity", ",bike,Frame,option 1,9"), [row()]
    )
    assert plan.ok and plan.changes[0].after.quantity == 9


def test_a_tracked_status_is_derived_not_imported() -> None:
    plan = plan_import(csv_of("sku,stock_status", "SKU-1,out_of_stock"), [row()])
    assert plan.ok and not plan.changes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest", "spreadsheet workbook"),
        (b"sku,quantity\n\xff\xfe,1\n", "not UTF-8"),
        (b"a\x00b", "not a CSV file"),
        (b"  ", "empty"),
        (b"name,price\nx,1\n", "must name the columns"),
        (b"x" * (MAX_CSV_BYTES + 1), "the limit is 4 MB"),
    ],
)
def test_files_that_cannot_be_read(data: bytes, message: str) -> None:
    with pytest.raises(FileRefused, match=message):
        plan_import(data, [row()])


text_cells = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp")), max_size=20
    )
    .map(lambda t: " ".join(t.split()))
    .filter(str.isprintable)
)


Values = tuple[
    str, bool, int, Backorders | None, StockStatus, int | None, int | None, int | None, str
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            text_cells,
            st.booleans(),
            st.integers(0, 1_000_000),
            st.sampled_from([None, *Backorders]),
            st.sampled_from(list(StockStatus)),
            st.none() | st.integers(-1000, 1000),
            st.none() | st.integers(0, 1000),
            st.none() | st.integers(-1000, 1000),
            text_cells,
        ),
        max_size=8,
    )
)
def test_round_trip_changes_nothing(values: list[Values]) -> None:
    rows = [
        replace(
            row(index),
            option=f"O{index} {name}",
            sku=f"S{index}",
            track_inventory=tracked,
            quantity=quantity,
            backorders=backorders,
            stock_status=status,
            out_of_stock_threshold=threshold,
            only_x_left_threshold=only_left,
            notify_below=notify,
            restock_timeframe=timeframe or None,
        )
        for index, (
            name,
            tracked,
            quantity,
            backorders,
            status,
            threshold,
            only_left,
            notify,
            timeframe,
        ) in enumerate(values, start=1)
    ]
    plan = plan_import(export_bytes(rows), rows)
    assert plan.ok, plan.errors
    assert not plan.changes


def test_bulk_edit_form_leaves_empty_fields_alone() -> None:
    edit, errors = parse_bulk_edit(
        {"backorders": "use_global", "notify_below": "global", "quantity_change": "-2"}
    )
    assert not errors
    assert edit.values == {"backorders": None, "notify_below": None}
    assert edit.quantity_change == -2
    _edit, errors = parse_bulk_edit({"track_inventory": "maybe", "only_x_left_threshold": "-1"})
    assert set(errors) == {"track_inventory", "only_x_left_threshold"}


def test_bulk_plan_counts_changes_and_says_which_values_differ() -> None:
    rows = [row(1, backorders=Backorders.NO), row(2), row(3, backorders=Backorders.ALLOW)]
    edit, _errors = parse_bulk_edit({"backorders": "allow", "quantity_change": "1"})
    plan = plan_bulk_edit(rows, edit)
    assert not plan.errors and plan.selected == 3 and len(plan.changes) == 3
    assert dict(plan.differing)["backorders"] == (("allow", 1), ("no", 1), ("use_global", 1))
    assert all(c.after.quantity == 6 for c in plan.changes)


def test_bulk_subtraction_below_zero_needs_backorders() -> None:
    edit, _errors = parse_bulk_edit({"quantity_change": "-9"})
    plan = plan_bulk_edit([row(1), row(2, backorders=Backorders.ALLOW)], edit)
    assert plan.errors == (
        "Bike · Frame · Option 1: subtracting 9 leaves -4, but its backorders are off.",
    )


def test_turning_tracking_off_keeps_the_status_the_quantity_gave() -> None:
    sold_out = row(quantity=0, stock_status=StockStatus.IN_STOCK)  # a stale stored status
    plan = plan_import(csv_of("sku,track_inventory", "SKU-1,N"), [sold_out])
    after = plan.changes[0].after
    assert not after.track_inventory and after.stock_status is StockStatus.OUT_OF_STOCK
    edit, _errors = parse_bulk_edit({"track_inventory": "off"})
    (change,) = plan_bulk_edit([sold_out], edit).changes
    assert change.after.stock_status is StockStatus.OUT_OF_STOCK
    plan = plan_import(csv_of("sku,track_inventory,stock_status", "SKU-1,N,in_stock"), [sold_out])
    assert plan.changes[0].after.stock_status is StockStatus.IN_STOCK
