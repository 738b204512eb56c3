"""Stock in bulk: CSV export and import of every option's stock settings, and the stored
statuses and flags that disagree with the rules (`configurator stock check` / `repair`).

An import is planned by `core.stock_csv` (pure) and applied in one unit of work: a file with
one bad row writes nothing. Quantities go through `stock.set_quantities` (the many-option form
of `stock.set_quantity`), so each change is a stock movement (reason "import", the file's name
as its note) and follows whatever a restock does, a chunk of rows at a time (`apply_changes`);
every other setting is written on the option itself, which moves its product's version
(`store.cache`), so the catalog caches follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from configurator.core.availability import (
    INHERITABLE_SETTINGS,
    effective_stock,
    is_low_stock,
    option_availability,
)
from configurator.core.stock_csv import (
    BulkEdit,
    BulkPlan,
    FileRefused,
    ImportPlan,
    RowChange,
    StockRow,
    derived_status,
    export_bytes,
    plan_bulk_edit,
    plan_import,
)
from configurator.services import stock
from configurator.services.catalog import (
    parse_backorders,
    parse_stock_status,
    stock_settings,
)
from configurator.store.db import IDS_PER_STATEMENT, unit_of_work
from configurator.store.models import Layer, Option, Product

__all__ = ["BulkEdit", "FileRefused", "ImportPlan", "ImportRefused"]


def stock_row(option: Option, layer: Layer, product: Product) -> StockRow:
    assert option.id is not None
    return StockRow(
        option_id=option.id,
        sku=option.sku,
        product=product.name,
        layer=layer.name,
        option=option.name,
        track_inventory=option.track_inventory,
        quantity=option.quantity,
        backorders=parse_backorders(option.backorders),
        stock_status=parse_stock_status(option.stock_status),
        out_of_stock_threshold=option.out_of_stock_threshold,
        only_x_left_threshold=option.only_x_left_threshold,
        notify_below=option.notify_below,
        restock_timeframe=option.restock_timeframe,
        settings=stock_settings(product),
        stock_management=option.stock_management,
    )


def _options_in_admin_order(session: Session) -> Sequence[tuple[Option, Layer, Product]]:
    """Every option of every product with its layer and product, in the order the admin lists
    them (product name, then layer and option positions)."""
    return session.exec(
        select(Option, Layer, Product)
        .join(Layer, col(Layer.id) == col(Option.layer_id))
        .join(Product, col(Product.id) == col(Layer.product_id))
        .order_by(
            col(Product.name),
            col(Product.id),
            col(Layer.position),
            col(Layer.id),
            col(Option.position),
            col(Option.id),
        )
    ).all()


def options_with_rows(session: Session) -> list[tuple[Option, StockRow]]:
    """Every option of every product, in the order the admin lists them, with its CSV row."""
    found = _options_in_admin_order(session)
    return [(option, stock_row(option, layer, product)) for option, layer, product in found]


def export_csv(session: Session) -> bytes:
    """Every option's stock settings as CSV (UTF-8 with a byte-order mark, a header row)."""
    with unit_of_work(session):
        return export_bytes(row for _option, row in options_with_rows(session))


class ImportRefused(ValueError):
    """The file has errors; nothing was written. `plan` lists them."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(f"{len(plan.errors)} error(s); nothing was imported")
        self.plan = plan


def _write_settings(option: Option, after: StockRow) -> None:
    """Leave `option`'s settings as `after` says, with the Stock Status the plan settled
    (`settle_status`); written when the unit of work flushes."""
    values = {
        "track_inventory": after.track_inventory,
        "stock_management": after.stock_management,
        "backorders": after.backorders.value if after.backorders else None,
        "out_of_stock_threshold": after.out_of_stock_threshold,
        "only_x_left_threshold": after.only_x_left_threshold,
        "notify_below": after.notify_below,
        "restock_timeframe": after.restock_timeframe,
        "stock_status": after.stock_status.value,  # settled by the plan (`settle_status`)
    }
    for name, value in values.items():
        if getattr(option, name) != value:
            setattr(option, name, value)


class QuantityMoved(ValueError):
    """An order changed an option's quantity on hand between the read and the write of an
    import or a bulk edit (a checkout committed meanwhile); nothing was written."""

    def __init__(self, label: str, current: int) -> None:
        super().__init__(
            f"An order changed the quantity on hand of {label} meanwhile: it is now {current}."
        )
        self.label = label
        self.current = current


CHUNK = IDS_PER_STATEMENT
"""Rows applied at a time (inside the one transaction)."""


def apply_changes(
    session: Session,
    options: Mapping[int, Option],
    changes: Sequence[RowChange],
    *,
    username: str,
    reason: stock.MovementReason,
    note: str,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Leave each option as its change's `after` row says (inside the caller's unit of work):
    its settings on the option, its quantity through `stock.set_quantities` (movements,
    restock allocation, mails), a chunk of rows at a time so that thousands of rows take a few
    statements per chunk. `progress` is told (changes written, changes) after each chunk.
    Raises QuantityMoved (the caller's unit of work rolls back) when an order changed a
    quantity since it was read."""
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start : start + CHUNK]
        quantities: list[stock.QuantityChange] = []
        for change in chunk:
            option = options[change.after.option_id]
            _write_settings(option, change.after)
            if change.after.quantity != option.quantity:
                quantities.append(stock.QuantityChange(option, change.after.quantity))
        try:
            stock.set_quantities(session, quantities, username=username, reason=reason, note=note)
        except stock.StockChanged as exc:
            labels = {c.after.option_id: c.after.label for c in chunk}
            raise QuantityMoved(labels.get(exc.option_id or 0, "an option"), exc.current) from None
        if progress:
            progress(min(start + CHUNK, len(changes)), len(changes))


def import_csv(
    session: Session,
    data: bytes,
    filename: str,
    *,
    apply: bool,
    username: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Plan the import of `data` (a dry run), or plan and apply it in one transaction.

    `progress` is told (rows checked, rows) during a dry run, and (changes written, changes)
    while applying, every few hundred rows. Raises FileRefused when the file cannot be read
    at all, ImportRefused (nothing written) when `apply` and any row has an error, and
    QuantityMoved (nothing written) when an order changed a quantity meanwhile."""
    with unit_of_work(session, write=apply):
        rows = options_with_rows(session)
        plan = plan_import(data, [row for _option, row in rows], None if apply else progress)
        if not apply:
            return plan
        if plan.errors:
            raise ImportRefused(plan)
        apply_changes(
            session,
            {row.option_id: option for option, row in rows},
            plan.changes,
            username=username,
            reason=stock.MovementReason.IMPORT,
            note=f"file {filename}" if filename else "file",
            progress=progress,
        )
        return plan


# Stored statuses and flags --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDisagreement:
    """A stored value that disagrees with what the rules derive (Magento 1's stuck flags)."""

    option_id: int
    label: str
    sku: str
    column: str
    stored: str
    derived: str

    def describe(self) -> str:
        return (
            f"{self.label} ({self.sku or 'no SKU'}): stored {self.column} "
            f'"{self.stored}", the rules derive "{self.derived}"'
        )


def _disagreements(option: Option, row: StockRow) -> list[StoredDisagreement]:
    found: list[StoredDisagreement] = []

    def add(column: str, stored: str | None, derived: str) -> None:
        found.append(
            StoredDisagreement(row.option_id, row.label, row.sku, column, stored or "", derived)
        )

    # A tracked option's status is derived from its quantity whenever it is read, so what is
    # stored for it is never used (sales do not rewrite it): only an untracked option's own
    # status can be stuck, and only turning tracking off brings a stored one back (which
    # `settle_status` then writes from the quantity).
    status = derived_status(row).value
    if not row.track_inventory and option.stock_status != status:
        add("stock_status", option.stock_status, status)
    read_backorders = row.backorders.value if row.backorders else None
    if option.backorders != read_backorders:
        add("backorders", option.backorders, read_backorders or "")
    return found


def stored_disagreements(session: Session) -> list[StoredDisagreement]:
    """Each option whose stored Stock Status or backorder flag is not what the rules read: a
    value the rules do not know (read as In Stock, or as "Use global setting")."""
    with unit_of_work(session):
        return [
            d for option, row in options_with_rows(session) for d in _disagreements(option, row)
        ]


def repair(session: Session, *, username: str = "") -> list[StoredDisagreement]:
    """Write what the rules derive over every disagreeing stored value, each with an audit
    entry (a stock movement of 0 units, reason "repair"), in one transaction."""
    with unit_of_work(session, write=True):
        fixed: list[StoredDisagreement] = []
        for option, row in options_with_rows(session):
            found = _disagreements(option, row)
            if not found:
                continue
            for item in found:
                setattr(option, item.column, item.derived or None)
            session.add(option)
            stock.record_repair(
                session,
                option,
                "; ".join(f'{d.column} "{d.stored}" -> "{d.derived}"' for d in found),
                username=username,
            )
            fixed.extend(found)
        return fixed


# The Inventory page --------------------------------------------------------------------

PAGE_SIZE = 50
FILTERS = {
    "": "All options",
    "low": "Low stock",
    "out": "Out of stock",
    "backordered": "On backorder",
    "tracked": "Tracked",
    "untracked": "Not tracked",
}
SORTS = {
    "product": "Product",
    "sku": "SKU",
    "quantity": "Quantity",
    "salable": "Salable",
    "status": "Status",
}


@dataclass(frozen=True, slots=True)
class InventoryLine:
    """One option as the Inventory page lists it."""

    row: StockRow
    product_id: int
    salable: int | None
    status: str
    code: str
    low: bool
    managed: bool
    backorders_label: str
    backorders_inherited: bool
    thresholds: tuple[tuple[str, int, bool], ...]
    """(label, effective value, inherited) for each threshold."""


@dataclass(frozen=True, slots=True)
class InventoryQuery:
    product: int | None = None
    filter: str = ""
    sort: str = "product"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class InventoryPage:
    lines: tuple[InventoryLine, ...]
    matching: tuple[int, ...]
    """Every option id the filter matches (for "select all matching")."""
    page: int
    pages: int
    products: tuple[tuple[int, str], ...]


def _line(option: Option, row: StockRow, product_id: int) -> InventoryLine:
    stock_of = row.option_stock()
    availability = option_availability(row.settings, stock_of)
    effective = effective_stock(row.settings, stock_of)
    managed = row.settings.stock_management and row.stock_management
    return InventoryLine(
        row=row,
        product_id=product_id,
        salable=availability.salable if managed and row.track_inventory else None,
        status=availability.code.status_label if managed else "Not managed",
        code=availability.code.value if managed else "",
        low=is_low_stock(row.settings, stock_of),
        managed=managed,
        backorders_label=effective.backorders.label,
        backorders_inherited="backorders" in effective.inherited,
        thresholds=tuple(
            (s.label, int(getattr(effective, s.name)), s.name in effective.inherited)
            for s in INHERITABLE_SETTINGS[1:]
        ),
    )


def _matches(line: InventoryLine, query: InventoryQuery) -> bool:
    if query.product is not None and line.product_id != query.product:
        return False
    return {
        "": True,
        "low": line.low,
        "out": line.code == "unavailable",
        "backordered": line.code == "backorder",
        "tracked": line.row.track_inventory,
        "untracked": not line.row.track_inventory,
    }.get(query.filter, True)


def _sort_key(sort: str) -> object:
    big = 10**12
    keys = {
        "sku": lambda line: (line.row.sku.casefold(), line.row.label.casefold()),
        "quantity": lambda line: (line.row.quantity, line.row.label.casefold()),
        "salable": lambda line: (big if line.salable is None else line.salable, line.row.label),
        "status": lambda line: (line.status, line.row.label.casefold()),
    }
    return keys.get(sort)


def inventory_page(session: Session, query: InventoryQuery) -> InventoryPage:
    """The options the query asks for, one page of them, and every matching id."""
    with unit_of_work(session):
        found = _options_in_admin_order(session)
        products: dict[int, str] = {}
        lines: list[InventoryLine] = []
        for option, layer, product in found:
            assert product.id is not None
            products[product.id] = product.name
            line = _line(option, stock_row(option, layer, product), product.id)
            if _matches(line, query):
                lines.append(line)
    key = _sort_key(query.sort)
    if key is not None:
        lines.sort(key=key, reverse=query.descending)  # type: ignore[arg-type]
    elif query.descending:
        lines.reverse()
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    start = (page - 1) * PAGE_SIZE
    return InventoryPage(
        lines=tuple(lines[start : start + PAGE_SIZE]),
        matching=tuple(line.row.option_id for line in lines),
        page=page,
        pages=pages,
        products=tuple(sorted(products.items(), key=lambda item: item[1].casefold())),
    )


# Bulk edit -----------------------------------------------------------------------------


class BulkRefused(ValueError):
    """The edit cannot be applied to every selected option; nothing was written."""

    def __init__(self, plan: BulkPlan) -> None:
        super().__init__(" ".join(plan.errors))
        self.plan = plan


def bulk_edit(
    session: Session,
    option_ids: Sequence[int],
    edit: BulkEdit,
    *,
    apply: bool,
    username: str = "",
) -> BulkPlan:
    """What the edit changes on the selected options (`apply=False`: the confirmation), or
    the edit itself, all of it in one transaction. Quantities move as stock movements."""
    wanted = set(option_ids)
    with unit_of_work(session, write=apply):
        rows = [(o, r) for o, r in options_with_rows(session) if r.option_id in wanted]
        plan = plan_bulk_edit([row for _option, row in rows], edit)
        if not apply:
            return plan
        if plan.errors:
            raise BulkRefused(plan)
        try:
            apply_changes(
                session,
                {row.option_id: option for option, row in rows},
                plan.changes,
                username=username,
                reason=stock.MovementReason.ADJUSTMENT,
                note="bulk edit",
            )
        except QuantityMoved as moved:
            # Raised out of the unit of work: it rolls back, nothing of the edit is written.
            raise BulkRefused(
                replace(plan, errors=(f"{moved} Check the options again and apply the edit.",))
            ) from None
        return plan
