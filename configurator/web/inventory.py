"""The admin's Inventory page: every option of every product in one table, CSV export and
import (a dry run first, then "Apply these changes"), and the stored-status repair."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Template

from configurator.core.configuration import parse_id
from configurator.core.stock_csv import BULK_FIELDS, MAX_CSV_BYTES, parse_bulk_edit
from configurator.services import inventory
from configurator.web.admin import _username, require_admin
from configurator.web.common import DB, PRIVATE, FormData, UploadForm, get, render

UPLOAD_LIMIT = MAX_CSV_BYTES * 2
"""The request: the file, or the file again as base64 in the "Apply these changes" form."""
NO_FILE = "Choose a CSV file to import."


def _query(product: str, show: str, sort: str, order: str, page: str) -> inventory.InventoryQuery:
    return inventory.InventoryQuery(
        product=parse_id(product) if product else None,
        filter=show if show in inventory.FILTERS else "",
        sort=sort if sort in inventory.SORTS else "product",
        descending=order == "desc",
        page=parse_id(page) or 1 if page else 1,
    )


BULK_LABELS = {
    "stock_management": "Enable Stock Management",
    "track_inventory": "Track inventory",
    "quantity": "Quantity",
    "backorders": "Backorders",
    "stock_status": "Stock Status",
    "out_of_stock_threshold": "Out-of-Stock Threshold",
    "only_x_left_threshold": '"Only X left" threshold',
    "notify_below": "Notify for Quantity Below",
    "restock_timeframe": "Restock timeframe",
}
_BULK_KEYS = (
    *BULK_FIELDS,
    "clear_restock_timeframe",
    "quantity_change",
)


def _selected(data: dict[str, Any]) -> list[int]:
    """The option ids checked, or every one the filter matched ("select all matching")."""
    if data.get("ids"):
        raw = str(data.get("ids", "")).split(",")
    elif data.get("scope") == "matching":
        raw = str(data.get("matching", "")).split(",")
    else:
        chosen = data.get("option", [])
        raw = chosen if isinstance(chosen, list) else [chosen]
    ids = (parse_id(str(value).strip()) for value in raw[:100_000])
    return sorted({value for value in ids if value is not None})


def _bulk_form(form: dict[str, str], ids: list[int]) -> dict[str, str]:
    """What the confirmation posts again (the same edit, the same options)."""
    kept = {key: form[key] for key in _BULK_KEYS if form.get(key)}
    kept["ids"] = ",".join(str(i) for i in ids)
    return kept


def _file_from(data: dict[str, Any]) -> tuple[bytes, str] | None:
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = upload.file.read(MAX_CSV_BYTES + 1)
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    return content, name if name.isprintable() else "upload.csv"


class InventoryController(Controller):
    path = "/admin/inventory"
    guards = [require_admin]
    cache_control = PRIVATE

    def _page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        query: inventory.InventoryQuery,
        *,
        status_code: int = 200,
        fragment: str | None = "admin/_import_result.html",
        **extra: Any,
    ) -> Template:
        page = inventory.inventory_page(db, query)
        context: dict[str, Any] = {
            "page": page,
            "query": query,
            "filters": inventory.FILTERS,
            "sorts": inventory.SORTS,
            "plan": None,
            "file_error": "",
            "filename": "",
            "content": "",
            "applied": None,
            "repairs": None,
            "repaired": None,
            "bulk_errors": {},
            "bulk_plan": None,
            "bulk_form": {},
            "bulk_applied": False,
            "bulk_labels": BULK_LABELS,
            **extra,
        }
        return render(request, "admin/inventory.html", fragment, context, status_code=status_code)

    @get("/", sync_to_thread=True)
    def inventory(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: FromQuery[str] = "",
        show: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        order: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        query = _query(product, show, sort, order, page)
        return self._page(request, db, query, fragment="admin/_inventory_table.html")

    @get("/export.csv", sync_to_thread=True)
    def export(self, db: DB) -> Response[bytes]:
        data = inventory.export_csv(db)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        return Response(
            content=data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="layer-stock-{stamp}.csv"'},
        )

    def _import(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        content: bytes | None,
        filename: str,
        *,
        apply: bool,
    ) -> Template:
        if content is None:
            return self._page(
                request,
                db,
                inventory.InventoryQuery(),
                status_code=422,
                file_error=NO_FILE,
            )
        try:
            plan = inventory.import_csv(
                db, content, filename, apply=apply, username=_username(request)
            )
        except inventory.FileRefused as exc:
            return self._page(
                request,
                db,
                inventory.InventoryQuery(),
                status_code=422,
                file_error=str(exc),
                filename=filename,
            )
        except inventory.ImportRefused as exc:
            plan = exc.plan
        return self._page(
            request,
            db,
            inventory.InventoryQuery(),
            status_code=200 if plan.ok else 422,
            plan=plan,
            filename=filename,
            content=base64.b64encode(content).decode("ascii") if not apply else "",
            applied=plan if apply and plan.ok else None,
        )

    @post("/import", sync_to_thread=True, request_max_body_size=UPLOAD_LIMIT)
    def check_import(self, request: Request[Any, Any, Any], db: DB, data: UploadForm) -> Template:
        """The dry run: what the file would change, before anything is written."""
        found = _file_from(data)
        content, filename = found if found else (None, "")
        return self._import(request, db, content, filename, apply=False)

    @post("/import/apply", sync_to_thread=True, request_max_body_size=UPLOAD_LIMIT)
    def apply_import(self, request: Request[Any, Any, Any], db: DB, data: UploadForm) -> Template:
        """Apply the file the dry run showed (checked again: all or nothing)."""
        filename = str(data.get("filename", ""))[:120]
        try:
            content: bytes | None = base64.b64decode(str(data.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            content = None
        if not content:
            content = None
        return self._import(request, db, content, filename, apply=True)

    @post("/bulk", sync_to_thread=True)
    def bulk(self, request: Request[Any, Any, Any], db: DB, data: FormData) -> Template:
        """Review first (how many options change, which values differ among them), then
        apply with `confirm=1`: one transaction for the whole edit."""
        form = {k: v for k, v in data.items() if isinstance(v, str)}
        ids = _selected(data)
        edit, errors = parse_bulk_edit(form)
        if not ids:
            errors["option"] = "Select at least one option (or all matching the filter)."
        elif edit.empty and not errors:
            errors["bulk"] = "Choose at least one setting to change."
        if errors:
            return self._page(
                request, db, inventory.InventoryQuery(), status_code=422, bulk_errors=errors
            )
        apply = form.get("confirm") == "1"
        try:
            plan = inventory.bulk_edit(db, ids, edit, apply=apply, username=_username(request))
        except inventory.BulkRefused as exc:
            return self._page(
                request,
                db,
                inventory.InventoryQuery(),
                status_code=409,
                bulk_plan=exc.plan,
                bulk_form=_bulk_form(form, ids),
            )
        return self._page(
            request,
            db,
            inventory.InventoryQuery(),
            bulk_plan=plan,
            bulk_form=_bulk_form(form, ids),
            bulk_applied=apply,
        )

    @get("/repair", sync_to_thread=True)
    def repair_preview(self, request: Request[Any, Any, Any], db: DB) -> Template:
        """What Repair would change, before it does."""
        return self._page(
            request, db, inventory.InventoryQuery(), repairs=inventory.stored_disagreements(db)
        )

    @post("/repair", sync_to_thread=True)
    def repair(self, request: Request[Any, Any, Any], db: DB) -> Template:
        fixed = inventory.repair(db, username=_username(request))
        return self._page(request, db, inventory.InventoryQuery(), repaired=fixed)
