"""Layer stock as CSV: what an export writes, and what an import would change.

Pure: the options as they are (plain values) and the file's bytes in, a plan out. The plan
lists, row by row, each change (old -> new), the rows that change nothing and every error with
its row number, column and reason; the service applies it only when it has no error at all.

Columns (a missing column leaves that setting as it is):

    sku, product, layer, option, track_inventory (Y/N), quantity,
    backorders (use_global / no / allow / notify), stock_status (in_stock / out_of_stock),
    out_of_stock_threshold, only_x_left_threshold, notify_below, restock_timeframe

An empty threshold or backorders cell means "Use global setting"; an empty restock timeframe
promises nothing. Lightspeed's `Stock_Track` (Y/N) stands for track_inventory and
`Stock_Disable_Sold_Out` for backorders (N: backorders allowed, Y: not). Rows are matched by
SKU, or by product + layer + option when the SKU cell is empty. The status of a tracked option
is derived from its quantity, so the export writes the derived one and an import ignores it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from configurator.core.availability import (
    AvailabilityCode,
    Backorders,
    OptionStock,
    StockSettings,
    StockStatus,
    option_availability,
)

MAX_CSV_BYTES = 4_000_000
"""About 40,000 rows of a typical export."""
MAX_QUANTITY = 1_000_000
THRESHOLD_RANGE = (-1_000_000, 1_000_000)
MAX_TIMEFRAME = 80

COLUMNS = (
    "sku",
    "product",
    "layer",
    "option",
    "track_inventory",
    "quantity",
    "backorders",
    "stock_status",
    "out_of_stock_threshold",
    "only_x_left_threshold",
    "notify_below",
    "restock_timeframe",
)
ALIASES = {"stock_track": "track_inventory", "stock_disable_sold_out": "backorders"}
"""Lightspeed's column names (compared without case), and the column each stands for."""
THRESHOLDS = ("out_of_stock_threshold", "only_x_left_threshold", "notify_below")
USE_GLOBAL = "use_global"


@dataclass(frozen=True, slots=True)
class StockRow:
    """One option's stock settings as the CSV holds them (None: "Use global setting")."""

    option_id: int
    sku: str
    product: str
    layer: str
    option: str
    track_inventory: bool
    quantity: int
    backorders: Backorders | None
    stock_status: StockStatus
    out_of_stock_threshold: int | None
    only_x_left_threshold: int | None
    notify_below: int | None
    restock_timeframe: str | None
    settings: StockSettings = field(default_factory=lambda: StockSettings(True))
    """The product's Global Settings (what inherited values and derived statuses come from)."""
    stock_management: bool = True
    """The option's own Enable Stock Management (not a CSV column; a status derives from it)."""

    @property
    def label(self) -> str:
        return f"{self.product} · {self.layer} · {self.option}"

    def option_stock(self) -> OptionStock:
        return OptionStock(
            enabled=self.stock_management,
            status=self.stock_status,
            track_inventory=self.track_inventory,
            quantity=self.quantity,
            backorders=self.backorders,
            out_of_stock_threshold=self.out_of_stock_threshold,
            only_x_left_threshold=self.only_x_left_threshold,
            notify_below=self.notify_below,
        )


def derived_status(row: StockRow) -> StockStatus:
    """The Stock Status a tracked option's quantity gives it (Out of Stock when nothing is on
    hand, whether or not it can be backordered); an untracked option keeps its own."""
    if not row.track_inventory:
        return row.stock_status
    stock = replace(row.option_stock(), enabled=True)
    settings = replace(row.settings, stock_management=True)
    code = option_availability(settings, stock).code
    return StockStatus.IN_STOCK if code is AvailabilityCode.IN_STOCK else StockStatus.OUT_OF_STOCK


def settle_status(before: StockRow, after: StockRow, status_given: bool) -> StockRow:
    """The Stock Status to store: a tracked option's is derived from its quantity; one whose
    tracking is turned off keeps the status its quantity gave it (not a status stored before
    it was tracked, which would be stuck), unless a new one is given."""
    if after.track_inventory:
        return replace(after, stock_status=derived_status(after))
    if before.track_inventory and not status_given:
        return replace(after, stock_status=derived_status(before))
    return after


def _yes_no(value: bool) -> str:
    return "Y" if value else "N"


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def cell_values(row: StockRow) -> dict[str, str]:
    """A row as the export writes it."""
    return {
        "sku": row.sku,
        "product": row.product,
        "layer": row.layer,
        "option": row.option,
        "track_inventory": _yes_no(row.track_inventory),
        "quantity": str(row.quantity),
        "backorders": row.backorders.value if row.backorders else USE_GLOBAL,
        "stock_status": derived_status(row).value,
        "out_of_stock_threshold": _number(row.out_of_stock_threshold),
        "only_x_left_threshold": _number(row.only_x_left_threshold),
        "notify_below": _number(row.notify_below),
        "restock_timeframe": row.restock_timeframe or "",
    }


def export_csv(rows: Iterable[StockRow]) -> str:
    """The CSV text of an export: a header row, then one row per option (CRLF line ends, as
    spreadsheets write them). Encode it as UTF-8 with a byte-order mark so that a spreadsheet
    opening it reads accents and symbols correctly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(cell_values(row))
    return out.getvalue()


def export_bytes(rows: Iterable[StockRow]) -> bytes:
    return export_csv(rows).encode("utf-8-sig")


# Import --------------------------------------------------------------------------------


class FileRefused(ValueError):
    """The file as a whole cannot be read as a stock CSV; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    """The row number as a spreadsheet shows it (the header is row 1)."""
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class RowChange:
    row: int
    before: StockRow
    after: StockRow
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What importing a file would do. Apply it only when `errors` is empty."""

    rows: int
    changes: tuple[RowChange, ...]
    unchanged: tuple[tuple[int, str], ...]
    """(row number, option label) of rows that match an option and change nothing."""
    errors: tuple[RowError, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes) -> str:
    """The file's text, or FileRefused with what to do about it."""
    if len(data) > MAX_CSV_BYTES:
        raise FileRefused(
            f"The file is {len(data) / 1_000_000:.1f} MB; the limit is "
            f"{MAX_CSV_BYTES // 1_000_000} MB. Split it into smaller files."
        )
    if not data.strip():
        raise FileRefused("The file is empty. Export a CSV first to see the columns.")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused(
            "This is a spreadsheet workbook, not a CSV file. In your spreadsheet choose "
            'Save As > "CSV UTF-8" and upload that file.'
        )
    if b"\x00" in data[:4096]:
        raise FileRefused(
            "This is not a CSV file (it holds binary data). Upload the CSV that an export "
            "gives, or save your sheet as CSV UTF-8."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text (line {line} cannot be read). In your spreadsheet "
            'choose Save As > "CSV UTF-8" and upload that file.'
        ) from None


def _header(names: Sequence[str]) -> tuple[dict[str, int], dict[str, str], tuple[str, ...]]:
    """Column -> index, column -> its name as the file spells it, and the names ignored."""
    index: dict[str, int] = {}
    spelled: dict[str, str] = {}
    ignored: list[str] = []
    for position, raw in enumerate(names):
        name = raw.strip().lower()
        column = ALIASES.get(name, name)
        if column not in COLUMNS:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if column in index:
            raise FileRefused(
                f'The column "{column}" appears twice (or with its Lightspeed name too); '
                "keep one of them."
            )
        index[column] = position
        spelled[column] = raw.strip()
    if "sku" not in index and not {"product", "layer", "option"} <= index.keys():
        raise FileRefused(
            "The first row must name the columns, with sku, or product, layer and option, to "
            "say which option each row is for. Export a CSV to see them."
        )
    if len(index) == sum(1 for c in ("sku", "product", "layer", "option") if c in index):
        raise FileRefused(
            "The file has no stock column to import (track_inventory, quantity, backorders, "
            "stock_status, thresholds or restock_timeframe)."
        )
    return index, spelled, tuple(ignored)


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()).casefold() for p in parts)


class _Cells:
    """One row's cells by column, and its errors."""

    def __init__(
        self,
        number: int,
        cells: Sequence[str],
        index: Mapping[str, int],
        spelled: Mapping[str, str],
    ) -> None:
        self.number = number
        self.cells = cells
        self.index = index
        self.spelled = spelled
        self.errors: list[RowError] = []

    def has(self, column: str) -> bool:
        return column in self.index

    def text(self, column: str) -> str:
        position = self.index.get(column)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def is_alias(self, column: str) -> bool:
        return self.spelled.get(column, column).lower() in ALIASES

    def error(self, column: str, message: str) -> None:
        """An error in a column, named as the file spells it (Stock_Track, ...)."""
        self.errors.append(RowError(self.number, self.spelled.get(column, column), message))


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def _whole(cells: _Cells, column: str, low: int, high: int, *, blank: str) -> int | None:
    text = cells.text(column)
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        cells.error(column, f'Must be a whole number{blank}, not "{_shown(text)}".')
        return None
    value = int(text)
    if not low <= value <= high:
        cells.error(column, f"Must be between {low:,} and {high:,}, not {value:,}.")
        return None
    return value


_KEEP = object()
"""A parser's answer when the cell leaves the setting as it is (empty, or in error)."""


def _y_or_n(cells: _Cells, column: str) -> bool | object:
    raw = cells.text(column)
    flag = raw.upper()
    if flag in {"Y", "YES"}:
        return True
    if flag in {"N", "NO"}:
        return False
    if raw:
        cells.error(column, f'Write Y or N, not "{_shown(raw)}".')
    return _KEEP


def _quantity(cells: _Cells, column: str) -> int | object | None:
    if not cells.text(column):
        return _KEEP
    value = _whole(cells, column, -MAX_QUANTITY, MAX_QUANTITY, blank="")
    return _KEEP if value is None else value


def _backorders(cells: _Cells, column: str) -> Backorders | object | None:
    raw = cells.text(column)
    if cells.is_alias(column):  # Stock_Disable_Sold_Out: Y means sold out stops sales
        flag = _y_or_n(cells, column)
        if flag is _KEEP:
            return _KEEP
        return Backorders.NO if flag else Backorders.ALLOW
    if not raw or raw.lower() == USE_GLOBAL:
        return None
    try:
        return Backorders(raw.lower())
    except ValueError:
        cells.error(column, f'Write use_global, no, allow or notify, not "{_shown(raw)}".')
        return _KEEP


def _stock_status(cells: _Cells, column: str) -> StockStatus | object:
    raw = cells.text(column)
    if not raw:
        return _KEEP
    try:
        return StockStatus("_".join(raw.lower().split()))
    except ValueError:
        cells.error(column, f'Write in_stock or out_of_stock, not "{_shown(raw)}".')
        return _KEEP


def _threshold(cells: _Cells, column: str) -> int | object | None:
    if not cells.text(column):
        return None
    low, high = THRESHOLD_RANGE
    value = _whole(
        cells,
        column,
        0 if column == "only_x_left_threshold" else low,
        high,
        blank=", or empty to use the global setting",
    )
    return _KEEP if value is None else value


def _timeframe(cells: _Cells, column: str) -> str | object | None:
    timeframe = " ".join(cells.text(column).split())
    if len(timeframe) > MAX_TIMEFRAME:
        cells.error(column, f"Must be at most {MAX_TIMEFRAME} characters.")
        return _KEEP
    if not timeframe.isprintable():
        cells.error(column, "Contains characters that cannot be shown.")
        return _KEEP
    return timeframe or None


_PARSERS = {
    "track_inventory": _y_or_n,
    "quantity": _quantity,
    "backorders": _backorders,
    "stock_status": _stock_status,
    **dict.fromkeys(THRESHOLDS, _threshold),
    "restock_timeframe": _timeframe,
}


def _changed(cells: _Cells, current: StockRow) -> StockRow:
    """The option as this row would leave it (cells in error leave their setting as it is)."""
    values: dict[str, object] = {}
    for column, parse in _PARSERS.items():
        if cells.has(column):
            value = parse(cells, column)
            if value is not _KEEP:
                values[column] = value
    after = replace(current, **values)  # type: ignore[arg-type]
    after = settle_status(current, after, "stock_status" in values)
    backorders = after.backorders or after.settings.backorders
    if (
        "quantity" in values
        and after.quantity < 0
        and after.quantity != current.quantity
        and not backorders.allowed
    ):
        cells.error(
            "quantity",
            f"{after.quantity} is below zero, but this option's backorders are off "
            f'("{backorders.label}"); allow backorders or write 0 or more.',
        )
    return after


def _field_changes(before: StockRow, after: StockRow) -> tuple[FieldChange, ...]:
    old, new = cell_values(before), cell_values(after)
    return tuple(
        FieldChange(column, old[column], new[column])
        for column in COLUMNS[4:]
        if old[column] != new[column]
    )


class _Matcher:
    """Finds the option a row is for, and notes rows that name one twice."""

    def __init__(self, current: Sequence[StockRow]) -> None:
        self.by_sku: dict[str, list[StockRow]] = {}
        self.by_name: dict[tuple[str, ...], StockRow] = {}
        for row in current:
            if row.sku:
                self.by_sku.setdefault(row.sku.casefold(), []).append(row)
            self.by_name[_key(row.product, row.layer, row.option)] = row
        self.seen_skus: dict[str, int] = {}
        self.seen_options: dict[int, int] = {}

    def by_sku_cell(self, cells: _Cells, sku: str) -> StockRow | None:
        earlier = self.seen_skus.setdefault(sku.casefold(), cells.number)
        matches = self.by_sku.get(sku.casefold(), [])
        if earlier != cells.number:
            cells.error("sku", f'SKU "{_shown(sku)}" is already on row {earlier}.')
        elif not matches:
            cells.error("sku", f'Unknown SKU "{_shown(sku)}": no option has it.')
        elif len(matches) > 1:
            cells.error(
                "sku",
                f'SKU "{_shown(sku)}" belongs to {len(matches)} options; leave the sku '
                "empty and name the product, layer and option instead.",
            )
        else:
            return matches[0]
        return None

    def by_names(self, cells: _Cells) -> StockRow | None:
        names = (cells.text("product"), cells.text("layer"), cells.text("option"))
        if not all(names):
            cells.error("sku", "Give the option's SKU, or its product, layer and option names.")
            return None
        found = self.by_name.get(_key(*names))
        if found is None:
            cells.error(
                "option",
                f'No option "{_shown(names[2])}" in layer "{_shown(names[1])}" of '
                f'"{_shown(names[0])}".',
            )
        return found

    def match(self, cells: _Cells) -> StockRow | None:
        sku = cells.text("sku")
        target = self.by_sku_cell(cells, sku) if sku else self.by_names(cells)
        if target is not None:
            earlier = self.seen_options.setdefault(target.option_id, cells.number)
            if earlier != cells.number:
                cells.error("sku", f"Row {earlier} is for the same option ({target.label}).")
                return None
        return target


def _records(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]] | RowError]]:
    """The header, then each row with its number (or the error that stops the reading)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileRefused(f"The first row cannot be read as CSV: {exc}.") from None

    def rows() -> Iterator[tuple[int, list[str]] | RowError]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RowError(number + 1, "", f"Not valid CSV: {exc}.")
                return
            number += 1
            yield number, cells

    return header, rows()


PROGRESS_EVERY = 500
"""Rows between two calls of an import's `progress`."""

Progress = Callable[[int, int], None]
"""Told (rows done, rows in all) every PROGRESS_EVERY rows and at the end."""


def rows_in(data: bytes) -> int:
    """How many rows follow the header: what a check of `data` will go through. Raises
    FileRefused, as `plan_import` would, when the file cannot be read at all."""
    header, records = _records(decode(data))
    _header(header)
    return sum(1 for _record in records)


def plan_import(
    data: bytes, current: Sequence[StockRow], progress: Progress | None = None
) -> ImportPlan:
    """What importing `data` would change in the options `current`; FileRefused when the file
    cannot be read at all. `progress`, if given, is told how far the check is."""
    header, reader = _records(decode(data))
    index, spelled, ignored = _header(header)
    records = list(reader) if progress else reader
    total = len(records) if isinstance(records, list) else 0
    matcher = _Matcher(current)
    changes: list[RowChange] = []
    unchanged: list[tuple[int, str]] = []
    errors: list[RowError] = []
    rows = 0
    for done, record in enumerate(records):
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
        if isinstance(record, RowError):
            errors.append(record)
            break
        number, cell_list = record
        rows = number - 1
        if not any(cell.strip() for cell in cell_list):
            continue
        cells = _Cells(number, cell_list, index, spelled)
        target = matcher.match(cells)
        if target is not None:
            after = _changed(cells, target)
            found = _field_changes(target, after)
            if cells.errors:
                pass
            elif found:
                changes.append(RowChange(number, target, after, found))
            else:
                unchanged.append((number, target.label))
        errors.extend(cells.errors)
    if progress:
        progress(total, total)
    return ImportPlan(
        rows=rows,
        changes=tuple(changes),
        unchanged=tuple(unchanged),
        errors=tuple(errors),
        ignored_columns=ignored,
    )


# Bulk edit -----------------------------------------------------------------------------

BULK_FIELDS = (
    "stock_management",
    "track_inventory",
    "stock_status",
    "backorders",
    *THRESHOLDS,
    "restock_timeframe",
)


@dataclass(frozen=True, slots=True)
class BulkEdit:
    """What to set on every selected option: only the settings in `values` change (None in
    them means "Use global setting" or no timeframe), and the quantity moves by
    `quantity_change` (written as movements)."""

    values: Mapping[str, object]
    quantity_change: int = 0

    @property
    def empty(self) -> bool:
        return not self.values and not self.quantity_change


def _switch(form: Mapping[str, str], name: str, errors: dict[str, str]) -> bool | object:
    choice = str(form.get(name, "")).strip()
    if choice in {"on", "off"}:
        return choice == "on"
    if choice:
        errors[name] = "Choose on, off, or leave as is."
    return _KEEP


def _choice(
    form: Mapping[str, str], name: str, kind: type[StrEnum], errors: dict[str, str]
) -> object:
    value = str(form.get(name, "")).strip()
    if not value:
        return _KEEP
    if value == USE_GLOBAL and kind is Backorders:
        return None
    try:
        return kind(value)
    except ValueError:
        errors[name] = "Choose one of the settings offered."
        return _KEEP


def _bulk_threshold(form: Mapping[str, str], name: str, errors: dict[str, str]) -> object:
    text = str(form.get(name, "")).strip()
    if not text:
        return _KEEP
    if text.lower() in {"global", USE_GLOBAL}:
        return None
    low, high = THRESHOLD_RANGE
    minimum = 0 if name == "only_x_left_threshold" else low
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        errors[name] = 'Write a whole number, or "global" to use the global setting.'
    elif not minimum <= int(text) <= high:
        errors[name] = f"Must be between {minimum:,} and {high:,}."
    else:
        return int(text)
    return _KEEP


def _bulk_timeframe(form: Mapping[str, str], errors: dict[str, str]) -> object:
    if str(form.get("clear_restock_timeframe", "")) in {"on", "1"}:
        return None
    timeframe = " ".join(str(form.get("restock_timeframe", "")).split())
    if len(timeframe) > MAX_TIMEFRAME or not timeframe.isprintable():
        errors["restock_timeframe"] = f"At most {MAX_TIMEFRAME} characters that can be shown."
        return _KEEP
    return timeframe or _KEEP


def _quantity_change(form: Mapping[str, str], errors: dict[str, str]) -> int:
    text = str(form.get("quantity_change", "")).strip().replace(" ", "")
    if not text:
        return 0
    digits = text.removeprefix("+").removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 7:
        errors["quantity_change"] = "Write a whole number to add, or -5 to subtract 5."
        return 0
    return int(text)


def parse_bulk_edit(form: Mapping[str, str]) -> tuple[BulkEdit, dict[str, str]]:
    """A bulk edit from the Inventory page's form (an empty field leaves a setting as it is),
    and the errors field by field."""
    errors: dict[str, str] = {}
    found: dict[str, object] = {
        "stock_management": _switch(form, "stock_management", errors),
        "track_inventory": _switch(form, "track_inventory", errors),
        "stock_status": _choice(form, "stock_status", StockStatus, errors),
        "backorders": _choice(form, "backorders", Backorders, errors),
        **{name: _bulk_threshold(form, name, errors) for name in THRESHOLDS},
        "restock_timeframe": _bulk_timeframe(form, errors),
    }
    values = {name: value for name, value in found.items() if value is not _KEEP}
    return BulkEdit(values, _quantity_change(form, errors)), errors


def _bulk_cells(row: StockRow) -> dict[str, str]:
    cells = cell_values(row)
    cells["stock_management"] = _yes_no(row.stock_management)
    return cells


@dataclass(frozen=True, slots=True)
class BulkPlan:
    changes: tuple[RowChange, ...]
    differing: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    """For each setting the edit sets: the values the selected options have now, and how
    many have each (the confirmation says which values differ)."""
    errors: tuple[str, ...]
    selected: int


def plan_bulk_edit(rows: Sequence[StockRow], edit: BulkEdit) -> BulkPlan:
    changes: list[RowChange] = []
    errors: list[str] = []
    columns = [name for name in BULK_FIELDS if name in edit.values]
    if edit.quantity_change:
        columns.append("quantity")
    counts: dict[str, dict[str, int]] = {name: {} for name in columns}
    for number, row in enumerate(rows, start=1):
        before = _bulk_cells(row)
        for name in columns:
            counts[name][before[name]] = counts[name].get(before[name], 0) + 1
        after = replace(row, **edit.values)  # type: ignore[arg-type]
        if edit.quantity_change:
            after = replace(after, quantity=row.quantity + edit.quantity_change)
            backorders = after.backorders or after.settings.backorders
            if after.quantity < 0 and edit.quantity_change < 0 and not backorders.allowed:
                errors.append(
                    f"{row.label}: subtracting {-edit.quantity_change} leaves {after.quantity}, "
                    "but its backorders are off."
                )
            elif abs(after.quantity) > MAX_QUANTITY:
                errors.append(f"{row.label}: the quantity would pass {MAX_QUANTITY:,}.")
        after = settle_status(row, after, "stock_status" in edit.values)
        new = _bulk_cells(after)
        found = tuple(
            FieldChange(name, before[name], new[name])
            for name in ("stock_management", *COLUMNS[4:])
            if before[name] != new[name]
        )
        if found:
            changes.append(RowChange(number, row, after, found))
    differing = tuple(
        (name, tuple(sorted(counts[name].items(), key=lambda item: (-item[1], item[0]))))
        for name in columns
    )
    return BulkPlan(tuple(changes), differing, tuple(errors), len(rows))
