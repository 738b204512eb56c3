"""The admin's Inventory page: every option of every product in one table, CSV export and
import (a dry run first, then "Apply these changes", each a background job with a progress
bar: `services.import_jobs`), and the stored-status repair."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from configurator.core.configuration import parse_id
from configurator.core.stock_csv import BULK_FIELDS, MAX_CSV_BYTES, parse_bulk_edit
from configurator.services import import_jobs, inventory
from configurator.web.admin import _username, require_admin
from configurator.web.common import (
    DB,
    PRIVATE,
    FormData,
    UploadForm,
    get,
    is_htmx,
    render,
    see_other,
)

UPLOAD_LIMIT = MAX_CSV_BYTES * 2
"""The request: a file somewhat over the limit still gets the message that says so."""
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
            "job": None,
            "refusal": "",
            "file_error": "",
            "filename": "",
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

    def _job(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        job: import_jobs.JobView,
        *,
        fragment: str = "admin/_import_job.html",
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        refusal: str = "",
    ) -> Template:
        """The import's page: its progress while it runs (a full page refreshes itself without
        JavaScript; htmx polls the fragment), then the check's review or the summary. A check
        with row errors answers 422. The htmx answer of an applied import also brings the
        options table, out of band, with the new values."""
        if status_code is None:
            failed_check = job.status == import_jobs.CHECKED and job.plan and not job.plan.ok
            status_code = 422 if failed_check else 200
        if not is_htmx(request):
            return self._page(
                request,
                db,
                inventory.InventoryQuery(),
                status_code=status_code,
                job=job,
                refusal=refusal,
            )
        context: dict[str, Any] = {
            "job": job,
            "refusal": refusal,
            "oob_table": job.status == import_jobs.APPLIED,
        }
        if context["oob_table"]:
            query = inventory.InventoryQuery()
            context |= {
                "page": inventory.inventory_page(db, query),
                "query": query,
                "filters": inventory.FILTERS,
                "sorts": inventory.SORTS,
                "bulk_errors": {},
            }
        return render(
            request,
            "admin/inventory.html",
            fragment,
            context,
            status_code=status_code,
            headers=headers,
        )

    def _view(self, request: Request[Any, Any, Any], db: DB, job_id: str) -> import_jobs.JobView:
        try:
            return import_jobs.job_view(db, job_id, owner=_username(request))
        except import_jobs.JobNotFound:
            raise NotFoundException("We could not find that import.") from None

    @post("/import", sync_to_thread=True, request_max_body_size=UPLOAD_LIMIT)
    def check_import(
        self, request: Request[Any, Any, Any], db: DB, data: UploadForm
    ) -> Template | Redirect:
        """Start the check (the dry run) of the file in the background and show its progress:
        what the file would change, before anything is written."""
        found = _file_from(data)
        if found is None:
            return self._page(
                request, db, inventory.InventoryQuery(), status_code=422, file_error=NO_FILE
            )
        content, filename = found
        try:
            job_id = import_jobs.start_check(
                db, owner=_username(request), filename=filename, content=content
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
        import_jobs.submit(request.app.state.engine, job_id)
        address = f"/admin/inventory/import/{job_id}"
        if not is_htmx(request):
            return see_other(address)
        return self._job(
            request,
            db,
            self._view(request, db, job_id),
            fragment="admin/_import_result.html",
            headers={"HX-Push-Url": address},
        )

    @get("/import/{job_id:str}", sync_to_thread=True)
    def import_job(
        self, request: Request[Any, Any, Any], db: DB, job_id: FromPath[str]
    ) -> Template:
        """The import's progress, then its result (polled by htmx every 500 ms)."""
        return self._job(request, db, self._view(request, db, job_id))

    @post("/import/{job_id:str}/apply", sync_to_thread=True)
    def apply_import(
        self, request: Request[Any, Any, Any], db: DB, job_id: FromPath[str]
    ) -> Template | Redirect:
        """Apply the checked file in the background (checked again: all or nothing)."""
        self._view(request, db, job_id)  # 404 unless it is this merchant's
        try:
            import_jobs.start_apply(db, job_id, owner=_username(request))
        except import_jobs.ApplyRefused as exc:
            return self._job(
                request, db, self._view(request, db, job_id), status_code=409, refusal=str(exc)
            )
        import_jobs.submit(request.app.state.engine, job_id)
        if not is_htmx(request):
            return see_other(f"/admin/inventory/import/{job_id}")
        return self._job(request, db, self._view(request, db, job_id))

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
