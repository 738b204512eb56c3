"""Merchant admin: login, products, the configurator editor (Layers panel, right panel,
Global Settings), option images, orders."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, Response, post
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from configurator.core import availability
from configurator.core.configuration import (
    MAIN_VIEW,
    cheapest_price,
    describe_rule,
    parse_id,
    resolve,
    structure_gaps,
)
from configurator.core.documents import (
    DEFAULT_BACKORDER_MESSAGE,
    PLACEHOLDERS,
    DocumentKind,
    MessageTemplateError,
    parse_message,
    render_message,
)
from configurator.core.fulfilment import WAITING, Fulfilment
from configurator.core.images import MAX_IMAGE_BYTES, CheckedImage, ImageError, check_image
from configurator.core.mails import MailKind
from configurator.core.rules import Action
from configurator.services import (
    accounts,
    charging,
    documents,
    fulfilment,
    incoming,
    mail,
    stock,
)
from configurator.services import catalog_admin as edit
from configurator.services.catalog import list_products, load_spec, shop_today
from configurator.services.orders import (
    OrderError,
    OrderView,
    cancel_order,
    order_by_number,
    order_status,
    recent_orders,
)
from configurator.store.db import new_session
from configurator.store.models import Layer, Option, Product
from configurator.web.common import (
    ADMIN_COOKIE,
    DB,
    PRIVATE,
    FormData,
    UploadForm,
    clean_key,
    cookie,
    error_response,
    get,
    is_htmx,
    path_id,
    render,
    see_other,
    served_securely,
)
from configurator.web.pdf import render_pdf

EMAILS_SHOWN = 200
SESSION_MAX_AGE = int(accounts.SESSION_LIFETIME.total_seconds())
Panel = Literal["details", "settings", "layer", "option", "new-layer", "rules"]


class LoginRequired(Exception):
    """The request needs a signed-in merchant."""


def require_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for every admin page: a valid, unexpired session cookie."""
    token = connection.cookies.get(ADMIN_COOKIE)
    with new_session(connection.app.state.engine) as session:
        user = accounts.user_for_session(session, token)
        if user is None:
            raise LoginRequired()
        connection.state.admin_username = user.username


def login_required_handler(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/admin/login?" + urlencode({"next": here if request.method == "GET" else "/admin"})
    if is_htmx(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return see_other(target)


def _safe_next(value: str) -> str:
    """Only a page of the admin itself (no other host, no scheme tricks)."""
    path = value.split("?", 1)[0]
    safe = (
        (path == "/admin" or path.startswith("/admin/"))
        and "//" not in value
        and "\\" not in value
        and len(value) <= 500
        and value.isprintable()
    )
    return value if safe else "/admin"


class LoginController(Controller):
    path = "/admin"
    cache_control = PRIVATE

    @get("/login", sync_to_thread=False)
    def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = "/admin"
    ) -> Template:
        return render(request, "admin/login.html", None, {"next": _safe_next(next), "error": ""})

    @post("/login")
    async def login(
        self, request: Request[Any, Any, Any], db: DB, data: FormData
    ) -> Template | Redirect:
        """Sign-ins take turns on the hashing threads, and the password is checked between two
        short transactions: a flood of them holds neither the database's write lock nor the
        request threads."""
        username = clean_key(str(data.get("username", "")).strip(), 64)
        password = str(data.get("password", ""))[:256]
        target = _safe_next(str(data.get("next", "/admin")))
        address = (request.client.host if request.client else "")[:64]
        user = None
        try:
            if username and password:
                user = await accounts.sign_in_in_turn(db, username, password, address)
        except accounts.LockedOut as exc:
            context = {
                "next": target,
                "error": "Too many failed sign-ins for this account. For your safety, try "
                f"again in {exc.minutes} minutes.",
            }
            return render(request, "admin/login.html", None, context, status_code=429)
        if user is None:
            context = {"next": target, "error": "That username and password do not match."}
            return render(request, "admin/login.html", None, context, status_code=401)
        token = await sync_to_thread(accounts.start_session, db, user)
        secure = served_securely(request)
        return see_other(
            target, cookies=[cookie(ADMIN_COOKIE, token, secure=secure, max_age=SESSION_MAX_AGE)]
        )

    @post("/logout", sync_to_thread=True)
    def logout(self, request: Request[Any, Any, Any], db: DB) -> Redirect:
        accounts.end_session(db, request.cookies.get(ADMIN_COOKIE))
        response = see_other("/admin/login")
        response.delete_cookie(ADMIN_COOKIE)
        return response


def _image_from(data: dict[str, Any]) -> CheckedImage | None:
    upload = data.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = upload.file.read(MAX_IMAGE_BYTES + 1)
    if not content:
        return None
    return check_image(content)


def _username(request: Request[Any, Any, Any]) -> str:
    return str(getattr(request.state, "admin_username", ""))


def _text_fields(data: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


def provide_product(db: DB, product_id: FromPath[str]) -> Product:
    """The product the path names; a malformed id or an unknown product is a plain 404."""
    return edit.get_product(db, path_id(product_id))


def provide_layer(db: DB, product: NamedDependency[Product], layer_id: FromPath[str]) -> Layer:
    """One of the product's layers; another product's layer is a plain 404 too."""
    return edit.get_layer(db, row_id(product), path_id(layer_id))


def provide_option(db: DB, product: NamedDependency[Product], option_id: FromPath[str]) -> Option:
    """One of the product's options; another product's option is a plain 404 too."""
    _layer, option = edit.get_option(db, row_id(product), path_id(option_id))
    return option


def row_id(row: Product | Layer | Option) -> int:
    """The id of a row that was read from the database (so it has one)."""
    assert row.id is not None
    return row.id


EditedProduct = NamedDependency[Product]
"""The product of `/products/{product_id}` (see `provide_product`)."""
EditedLayer = NamedDependency[Layer]
EditedOption = NamedDependency[Option]


class AdminController(Controller):
    path = "/admin"
    guards = [require_admin]
    cache_control = PRIVATE
    dependencies = {
        "product": Provide(provide_product, sync_to_thread=True),
        "layer": Provide(provide_layer, sync_to_thread=True),
        "option": Provide(provide_option, sync_to_thread=True),
    }

    # Dashboard, products ------------------------------------------------------------

    @get("/", sync_to_thread=True)
    def dashboard(
        self, request: Request[Any, Any, Any], db: DB, deleted: FromQuery[str] = ""
    ) -> Template:
        counts = fulfilment.fulfilment_counts(db)
        return render(
            request,
            "admin/dashboard.html",
            None,
            {
                "notice": "Product deleted." if deleted == "1" else "",
                "products": list_products(db),
                "orders": recent_orders(db, limit=8),
                "low_stock": stock.low_stock(db),
                "counts": counts,
                "waiting_orders": fulfilment.waiting_count(counts),
            },
        )

    @get("/products/new", sync_to_thread=False)
    def new_product(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "admin/product_new.html", None, {"values": {}, "errors": {}})

    @post("/products", sync_to_thread=True)
    def create_product(
        self, request: Request[Any, Any, Any], db: DB, data: FormData
    ) -> Template | Redirect:
        form = _text_fields(data)
        try:
            product = edit.create_product(db, form)
        except edit.FormError as exc:
            context = {"values": form, "errors": exc.errors}
            return render(request, "admin/product_new.html", None, context, status_code=422)
        return see_other(f"/admin/products/{product.id}?panel=new-layer&saved=created")

    # The configurator editor --------------------------------------------------------

    def _editor(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        panel: str,
        *,
        item_id: int | None = None,
        saved: str = "",
        notice: str = "",
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
        fragment: str | None = "admin/_editor.html",
        publish_refusal: tuple[str, ...] = (),
        refusal: str = "",
        view: int = MAIN_VIEW,
    ) -> Template:
        product = edit.get_product(db, product_id)
        spec = load_spec(db, product)
        shown_view = spec.view(view) or spec.views[0]
        layer = option = None
        if panel == "layer" and item_id is not None:
            layer = spec.layer(item_id)
            if layer is None:
                raise NotFoundException("No such layer in this product.")
        if panel == "option" and item_id is not None:
            option = spec.option(item_id)
            if option is None:
                raise NotFoundException("No such option in this product.")
            layer = spec.layer(option.layer_id)
        low_stock_ids = {
            o.id
            for la in spec.layers
            for o in la.options
            if availability.is_low_stock(spec.settings, o.stock)
        }
        context = {
            "product": product,
            "spec": spec,
            "low_stock_ids": low_stock_ids,
            "effective": availability.effective_stock(spec.settings, option.stock)
            if option
            else None,
            "keep_selling_hint": availability.keep_selling_hint(spec.settings, option.stock)
            if option
            else "",
            "option_settings": availability.option_settings(spec.settings, option.stock)
            if option
            else (),
            "is_low": bool(option and option.id in low_stock_ids),
            "movements": stock.movements(db, option.id, limit=8) if option else [],
            "waiting_units": fulfilment.option_waiting(db, option.id) if option else 0,
            "preview": resolve(spec, {option.layer_id: option.id} if option else {}),
            "panel": panel,
            "layer": layer,
            "option": option,
            "saved": notice
            or ("" if saved in _PUBLICATION_MESSAGES else _SAVED_MESSAGES.get(saved, "")),
            "publication_notice": _PUBLICATION_MESSAGES.get(saved, ""),
            "publish_refusal": publish_refusal,
            "refusal": refusal,
            "structure_gaps": structure_gaps(spec),
            "errors": errors or {},
            "values": values or {},
            "cheapest": cheapest_price(spec),
            "view": shown_view.id,
            "view_name": shown_view.name,
            "rules": [(rule.id, describe_rule(spec, rule)) for rule in spec.rules],
            "rule_actions": list(Action),
            "charge_policy": charging.charge_policy(db) if panel == "settings" else None,
        }
        return render(request, "admin/editor.html", fragment, context, status_code=status_code)

    @get("/products/{product_id:str}", sync_to_thread=True)
    def editor(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        panel: FromQuery[str] = "details",
        item: FromQuery[str] = "",
        saved: FromQuery[str] = "",
        view: FromQuery[str] = "",
        allocated: FromQuery[str] = "",
        salable: FromQuery[str] = "",
        ready: FromQuery[str] = "",
        mailed: FromQuery[str] = "",
    ) -> Template:
        item_id = path_id(item) if item else None
        if panel not in PANELS:
            panel = "details"
        notice = ""
        if saved in {"received", "back-in-stock"}:
            notice = _restock_notice(
                saved, _count(allocated), _count(salable), _count(ready), _count(mailed)
            )
        elif saved in _DELIVERY_NOTICES:
            notice = _delivery_notice(saved, _count(mailed))
        return self._editor(
            request,
            db,
            row_id(product),
            panel,
            item_id=item_id,
            saved=saved,
            notice=notice,
            fragment=None,
            view=parse_id(view) or MAIN_VIEW,
        )

    @get("/products/{product_id:str}/panel/{panel:str}", sync_to_thread=True)
    def panel(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        panel: FromPath[str],
        item: FromQuery[str] = "",
        view: FromQuery[str] = "",
    ) -> Template:
        """The right panel alone, for htmx (the full editor page otherwise); `view` switches
        the live preview."""
        if panel not in PANELS:
            raise NotFoundException("No such panel.")
        item_id = path_id(item) if item else None
        return self._editor(
            request,
            db,
            row_id(product),
            panel,
            item_id=item_id,
            fragment="admin/_panel_update.html",
            view=parse_id(view) or MAIN_VIEW,
        )

    def _after_save(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        panel: str,
        item_id: int | None,
        saved: str,
    ) -> Template | Redirect:
        query = {"panel": panel}
        if item_id is not None:
            query["item"] = str(item_id)
        if is_htmx(request):
            editor = self._editor(request, db, product_id, panel, item_id=item_id, saved=saved)
            # The address bar shows the panel now open, without a "saved" notice to repeat.
            editor.headers["HX-Replace-Url"] = f"/admin/products/{product_id}?{urlencode(query)}"
            return editor
        query = {
            "panel": panel,
            "saved": saved,
            **({"item": query["item"]} if "item" in query else {}),
        }
        return see_other(f"/admin/products/{product_id}?{urlencode(query)}")

    def _refused(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        panel: str,
        item_id: int | None,
        exc: edit.FormError | ImageError,
        values: dict[str, str],
    ) -> Template:
        errors = exc.errors if isinstance(exc, edit.FormError) else {"image": str(exc)}
        return self._editor(
            request,
            db,
            product_id,
            panel,
            item_id=item_id,
            errors=errors,
            values=values,
            status_code=422,
        )

    def _refused_while_published(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        panel: str,
        item_id: int,
        exc: edit.RefusedWhilePublished,
        values: dict[str, str] | None = None,
    ) -> Template:
        """409: the panel the merchant acted from, as it was, saying why nothing changed."""
        return self._editor(
            request,
            db,
            product_id,
            panel,
            item_id=item_id,
            values=values,
            refusal=str(exc),
            status_code=409,
        )

    @post("/products/{product_id:str}/details", sync_to_thread=True)
    def save_details(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid, form = row_id(product), _text_fields(data)
        try:
            edit.update_product(db, pid, form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "details", None, exc, form)
        return self._after_save(request, db, pid, "details", None, "details")

    @post("/products/{product_id:str}/delete", sync_to_thread=True)
    def delete_product(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid = row_id(product)
        if data.get("confirm") != "yes":
            return self._refused(
                request,
                db,
                pid,
                "details",
                None,
                edit.FormError({"confirm": "Tick the box to confirm, then delete again."}),
                {},
            )
        edit.delete_product(db, pid)
        return see_other("/admin?deleted=1")

    @post("/products/{product_id:str}/publish", sync_to_thread=True)
    def publish(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct
    ) -> Template | Redirect:
        pid = row_id(product)
        try:
            edit.publish_product(db, pid)
        except edit.NotPublishable as exc:
            return self._editor(
                request, db, pid, "details", publish_refusal=exc.missing, status_code=409
            )
        return self._after_save(request, db, pid, "details", None, "published")

    @post("/products/{product_id:str}/unpublish", sync_to_thread=True)
    def unpublish(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct
    ) -> Template | Redirect:
        pid = row_id(product)
        edit.unpublish_product(db, pid)
        return self._after_save(request, db, pid, "details", None, "unpublished")

    @post("/products/{product_id:str}/settings", sync_to_thread=True)
    def save_settings(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid, form = row_id(product), _text_fields(data)
        try:
            edit.update_global_settings(db, pid, form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "settings", None, exc, form)
        return self._after_save(request, db, pid, "settings", None, "settings")

    # Layers -------------------------------------------------------------------------

    @post("/products/{product_id:str}/layers", sync_to_thread=True)
    def add_layer(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid, form = row_id(product), _text_fields(data)
        try:
            layer = edit.add_layer(db, pid, form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "new-layer", None, exc, form)
        return self._after_save(request, db, pid, "layer", layer.id, "layer-added")

    @post("/products/{product_id:str}/layers/{layer_id:str}", sync_to_thread=True)
    def save_layer(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        layer: EditedLayer,
        data: FormData,
    ) -> Template | Redirect:
        pid, lid, form = row_id(product), row_id(layer), _text_fields(data)
        try:
            edit.update_layer(db, pid, lid, form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "layer", lid, exc, form)
        except edit.RefusedWhilePublished as exc:
            return self._refused_while_published(request, db, pid, "layer", lid, exc, form)
        return self._after_save(request, db, pid, "layer", lid, "layer")

    @post("/products/{product_id:str}/layers/{layer_id:str}/move", sync_to_thread=True)
    def move_layer(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        layer: EditedLayer,
        data: FormData,
    ) -> Template | Redirect:
        pid, lid = row_id(product), row_id(layer)
        edit.move_layer(db, pid, lid, "up" if data.get("direction") == "up" else "down")
        return self._after_save(request, db, pid, "layer", lid, "moved")

    @post("/products/{product_id:str}/layers/{layer_id:str}/delete", sync_to_thread=True)
    def delete_layer(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        layer: EditedLayer,
    ) -> Template | Redirect:
        pid, lid = row_id(product), row_id(layer)
        try:
            edit.delete_layer(db, pid, lid)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "layer", lid, exc, {})
        except edit.RefusedWhilePublished as exc:
            return self._refused_while_published(request, db, pid, "layer", lid, exc)
        return self._after_save(request, db, pid, "details", None, "layer-deleted")

    @post("/products/{product_id:str}/layers/{layer_id:str}/options", sync_to_thread=True)
    def add_option(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        layer: EditedLayer,
        data: UploadForm,
    ) -> Template | Redirect:
        pid, lid, form = row_id(product), row_id(layer), _text_fields(data)
        try:
            option = edit.add_option(db, pid, lid, form, _image_from(data))
        except (edit.FormError, ImageError) as exc:
            return self._refused(request, db, pid, "layer", lid, exc, form)
        return self._after_save(request, db, pid, "option", option.id, "option-added")

    # Options (image layers) -----------------------------------------------------------

    @post("/products/{product_id:str}/options/{option_id:str}", sync_to_thread=True)
    def save_option(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        data: UploadForm,
    ) -> Template | Redirect:
        pid, oid, form = row_id(product), row_id(option), _text_fields(data)
        try:
            edit.update_option(db, pid, oid, form, _image_from(data), username=_username(request))
        except (edit.FormError, ImageError) as exc:
            return self._refused(request, db, pid, "option", oid, exc, form)
        return self._after_save(request, db, pid, "option", oid, "option")

    @post(
        "/products/{product_id:str}/options/{option_id:str}/reset/{setting:str}",
        sync_to_thread=True,
    )
    def reset_option_setting(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        setting: FromPath[str],
    ) -> Template | Redirect:
        """ "Reset to global" for one of an option's stock settings."""
        pid, oid = row_id(product), row_id(option)
        edit.reset_option_setting(db, pid, oid, setting)
        if is_htmx(request):
            # Focus goes to the field that now follows the global setting again.
            editor = self._editor(request, db, pid, "option", item_id=oid, saved="reset")
            editor.context["focus"] = setting
            editor.headers["HX-Replace-Url"] = f"/admin/products/{pid}?panel=option&item={oid}"
            return editor
        return self._after_save(request, db, pid, "option", oid, "reset")

    def _after_option_action(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        option_id: int,
        notice: str,
        query: dict[str, object],
    ) -> Template | Redirect:
        """The option's panel after an action on it: with htmx, the editor swapped in with
        `notice` and the address of the option's panel; without, a redirect there carrying
        `query` (what the page says then)."""
        panel = f"/admin/products/{product_id}?panel=option&item={option_id}"
        if is_htmx(request):
            editor = self._editor(
                request, db, product_id, "option", item_id=option_id, notice=notice
            )
            editor.headers["HX-Replace-Url"] = panel
            return editor
        return see_other(f"{panel}&{urlencode(query)}")

    def _after_restock(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        option_id: int,
        kind: str,
        restock: stock.Restock,
    ) -> Template | Redirect:
        counts = (
            restock.allocated_units,
            restock.leftover,
            len(restock.ready_to_ship),
            len(restock.mailed),
        )
        query = dict(zip(("allocated", "salable", "ready", "mailed"), counts, strict=True))
        return self._after_option_action(
            request,
            db,
            product_id,
            option_id,
            _restock_notice(kind, *counts),
            {"saved": kind, **query},
        )

    @post("/products/{product_id:str}/options/{option_id:str}/receive", sync_to_thread=True)
    def receive_stock(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        data: FormData,
    ) -> Template | Redirect:
        """ "Receive stock": the units fill waiting backorders oldest first, the rest is salable."""
        pid, oid, form = row_id(product), row_id(option), _text_fields(data)
        try:
            restock = fulfilment.receive(db, pid, oid, form, username=_username(request))
        except edit.FormError as exc:
            return self._refused(request, db, pid, "option", oid, exc, form)
        except fulfilment.FulfilmentRefused as exc:
            return self._editor(
                request, db, pid, "option", item_id=oid, refusal=str(exc), status_code=409
            )
        return self._after_restock(request, db, pid, oid, "received", restock)

    @post("/products/{product_id:str}/options/{option_id:str}/back-in-stock", sync_to_thread=True)
    def mark_back_in_stock(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
    ) -> Template | Redirect:
        """ "Mark back in stock" (untracked options): every waiting line is released."""
        pid, oid = row_id(product), row_id(option)
        try:
            restock = fulfilment.mark_back_in_stock(db, pid, oid, username=_username(request))
        except fulfilment.FulfilmentRefused as exc:
            return self._editor(
                request, db, pid, "option", item_id=oid, refusal=str(exc), status_code=409
            )
        return self._after_restock(request, db, pid, oid, "back-in-stock", restock)

    # Expected deliveries (incoming stock) ---------------------------------------------

    def _after_delivery(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        option_id: int,
        kind: str,
        result: incoming.Repromised,
    ) -> Template | Redirect:
        mailed = len(result.mailed)
        return self._after_option_action(
            request,
            db,
            product_id,
            option_id,
            _delivery_notice(kind, mailed),
            {"saved": kind, "mailed": mailed},
        )

    def _delivery_refused(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        product_id: int,
        option_id: int,
        exc: Exception,
        values: dict[str, str],
        suffix: str = "",
    ) -> Template:
        """422 for bad input (the field's message beside it), 409 for an untracked option;
        nothing changed either way."""
        if isinstance(exc, edit.FormError):
            errors = {f"{name}{suffix}": message for name, message in exc.errors.items()}
            return self._editor(
                request,
                db,
                product_id,
                "option",
                item_id=option_id,
                errors=errors,
                values={f"{name}{suffix}": value for name, value in values.items()},
                status_code=422,
            )
        return self._editor(
            request, db, product_id, "option", item_id=option_id, refusal=str(exc), status_code=409
        )

    @post("/products/{product_id:str}/options/{option_id:str}/deliveries", sync_to_thread=True)
    def add_delivery(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        data: FormData,
    ) -> Template | Redirect:
        """Record an expected delivery: a date and a quantity."""
        pid, oid, form = row_id(product), row_id(option), _text_fields(data)
        try:
            result = incoming.add_delivery(db, pid, oid, form, username=_username(request))
        except (edit.FormError, incoming.DeliveryRefused) as exc:
            return self._delivery_refused(request, db, pid, oid, exc, form)
        return self._after_delivery(request, db, pid, oid, "delivery-added", result)

    @post(
        "/products/{product_id:str}/options/{option_id:str}/deliveries/{delivery_id:str}",
        sync_to_thread=True,
    )
    def change_delivery(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        delivery_id: FromPath[str],
        data: FormData,
    ) -> Template | Redirect:
        """Change an expected delivery's date or quantity; customers whose items now ship
        later are mailed."""
        pid, oid, did, form = (
            row_id(product),
            row_id(option),
            path_id(delivery_id),
            _text_fields(data),
        )
        try:
            result = incoming.change_delivery(db, pid, oid, did, form)
        except (edit.FormError, incoming.DeliveryRefused) as exc:
            return self._delivery_refused(request, db, pid, oid, exc, form, f"_{did}")
        return self._after_delivery(request, db, pid, oid, "delivery-changed", result)

    @post(
        "/products/{product_id:str}/options/{option_id:str}/deliveries/{delivery_id:str}/cancel",
        sync_to_thread=True,
    )
    def cancel_delivery(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        delivery_id: FromPath[str],
    ) -> Template | Redirect:
        """Cancel an expected delivery; customers whose items now ship later are mailed."""
        pid, oid, did = row_id(product), row_id(option), path_id(delivery_id)
        try:
            result = incoming.cancel_delivery(db, pid, oid, did)
        except incoming.DeliveryRefused as exc:
            return self._delivery_refused(request, db, pid, oid, exc, {})
        return self._after_delivery(request, db, pid, oid, "delivery-cancelled", result)

    @get("/products/{product_id:str}/options/{option_id:str}/movements", sync_to_thread=True)
    def option_movements(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
    ) -> Template:
        oid = row_id(option)
        context = {
            "product": product,
            "layer": db.get(Layer, option.layer_id),
            "option": option,
            "movements": stock.movements(db, oid, limit=1000),
        }
        return render(request, "admin/movements.html", None, context)

    @post("/products/{product_id:str}/options/{option_id:str}/move", sync_to_thread=True)
    def move_option(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        data: FormData,
    ) -> Template | Redirect:
        pid, oid = row_id(product), row_id(option)
        edit.move_option(db, pid, oid, "up" if data.get("direction") == "up" else "down")
        return self._after_save(request, db, pid, "option", oid, "moved")

    @post("/products/{product_id:str}/options/{option_id:str}/default", sync_to_thread=True)
    def make_default(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
    ) -> Template | Redirect:
        pid, oid = row_id(product), row_id(option)
        edit.make_default(db, pid, oid)
        return self._after_save(request, db, pid, "option", oid, "default")

    @post("/products/{product_id:str}/options/{option_id:str}/delete", sync_to_thread=True)
    def delete_option(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
    ) -> Template | Redirect:
        pid, oid, layer_id = row_id(product), row_id(option), option.layer_id
        try:
            edit.delete_option(db, pid, oid)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "option", oid, exc, {})
        except edit.RefusedWhilePublished as exc:
            return self._refused_while_published(request, db, pid, "option", oid, exc)
        return self._after_save(request, db, pid, "layer", layer_id, "option-deleted")

    # Rules (conditional logic) ----------------------------------------------------------

    @post("/products/{product_id:str}/rules", sync_to_thread=True)
    def add_rule(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid = row_id(product)
        try:
            edit.add_rule(db, pid, data)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "rules", None, exc, _text_fields(data))
        return self._after_save(request, db, pid, "rules", None, "rule-added")

    @post("/products/{product_id:str}/rules/{rule_id:str}/delete", sync_to_thread=True)
    def delete_rule(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        rule_id: FromPath[str],
    ) -> Template | Redirect:
        pid = row_id(product)
        edit.delete_rule(db, pid, path_id(rule_id))
        return self._after_save(request, db, pid, "rules", None, "rule-deleted")

    # Views ---------------------------------------------------------------------------

    @post("/products/{product_id:str}/views", sync_to_thread=True)
    def add_view(
        self, request: Request[Any, Any, Any], db: DB, product: EditedProduct, data: FormData
    ) -> Template | Redirect:
        pid, form = row_id(product), _text_fields(data)
        try:
            edit.add_view(db, pid, form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "views", None, exc, form)
        return self._after_save(request, db, pid, "views", None, "views")

    @post("/products/{product_id:str}/views/{view_id:str}", sync_to_thread=True)
    def rename_view(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        view_id: FromPath[str],
        data: FormData,
    ) -> Template | Redirect:
        """Rename a view; `main` is the options' own images."""
        pid, form = row_id(product), _text_fields(data)
        try:
            edit.rename_view(db, pid, None if view_id == "main" else path_id(view_id), form)
        except edit.FormError as exc:
            return self._refused(request, db, pid, "views", None, exc, form)
        return self._after_save(request, db, pid, "views", None, "views")

    @post("/products/{product_id:str}/views/{view_id:str}/delete", sync_to_thread=True)
    def delete_view(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        view_id: FromPath[str],
    ) -> Template | Redirect:
        pid = row_id(product)
        edit.delete_view(db, pid, path_id(view_id))
        return self._after_save(request, db, pid, "views", None, "views")

    @post(
        "/products/{product_id:str}/options/{option_id:str}/views/{view_id:str}/image",
        sync_to_thread=True,
    )
    def save_view_image(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        product: EditedProduct,
        option: EditedOption,
        view_id: FromPath[str],
        data: UploadForm,
    ) -> Template | Redirect:
        """Upload (or with `remove`, take away) an option's image for one of the views."""
        pid, oid, vid = row_id(product), row_id(option), path_id(view_id)
        try:
            image = None if data.get("remove") else _image_from(data)
            if image is None and not data.get("remove"):
                raise ImageError("Choose an image to upload.")
        except ImageError as exc:
            refused = edit.FormError({f"view_image_{vid}": str(exc)})
            return self._refused(request, db, pid, "option", oid, refused, {})
        edit.set_view_image(db, pid, oid, vid, image)
        return self._after_save(request, db, pid, "option", oid, "view-image")

    # Orders ---------------------------------------------------------------------------

    @get("/orders", sync_to_thread=True)
    def orders(
        self, request: Request[Any, Any, Any], db: DB, fulfilment: FromQuery[str] = ""
    ) -> Template:
        shown = _ORDER_FILTERS.get(fulfilment, ())
        context = {
            "orders": recent_orders(db, fulfilment=shown),
            "filter": fulfilment if shown else "",
            "filters": _ORDER_FILTER_LABELS,
        }
        return render(request, "admin/orders.html", None, context)

    @get("/backorders", sync_to_thread=True)
    def backorders(self, request: Request[Any, Any, Any], db: DB) -> Template:
        """The backorder queue: per option, the lines waiting for it, oldest first."""
        queue = fulfilment.backorder_queue(db)
        context = {
            "queue": queue,
            "total_units": sum(option.total for option in queue),
            "total_lines": sum(len(option.lines) for option in queue),
            "today": shop_today(),
        }
        return render(request, "admin/backorders.html", None, context)

    @get("/orders/{number:str}", sync_to_thread=True)
    def order(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        number: FromPath[str],
        saved: FromQuery[str] = "",
    ) -> Template:
        view = order_by_number(db, clean_key(number, 20))
        if view is None:
            raise NotFoundException("No such order.")
        notice = _ORDER_MESSAGES.get(saved, "")
        return render(request, "admin/order.html", None, _order_context(view, notice=notice))

    @post("/orders/{number:str}/ship", sync_to_thread=True)
    def ship_order(
        self, request: Request[Any, Any, Any], db: DB, number: FromPath[str], data: FormData
    ) -> Template | Redirect:
        """Mark what is ready shipped (all of a Ready to ship order, the ready lines of a Partly
        ready one), with an optional tracking reference."""
        key = clean_key(number, 20)
        form = _text_fields(data)
        try:
            fulfilment.ship_order(
                db,
                number=key,
                tracking_reference=form.get("tracking", ""),
                username=_username(request),
            )
        except LookupError:
            raise NotFoundException("No such order.") from None
        except (edit.FormError, fulfilment.FulfilmentRefused) as exc:
            view = order_by_number(db, key)
            if view is None:
                raise NotFoundException("No such order.") from None
            errors = exc.errors if isinstance(exc, edit.FormError) else {}
            status = 422 if errors else 409
            message = "Nothing was shipped: check the tracking reference." if errors else str(exc)
            context = _order_context(view, error=message)
            context.update(errors=errors, values=form)
            return render(
                request, "admin/order.html", "admin/_order.html", context, status_code=status
            )
        if is_htmx(request):
            view = order_by_number(db, key)
            assert view is not None
            context = _order_context(view, notice=_ORDER_MESSAGES["shipped"])
            return render(request, "admin/order.html", "admin/_order.html", context)
        return see_other(f"/admin/orders/{key}?saved=shipped")

    @post("/orders/{number:str}/cancel", sync_to_thread=True)
    def cancel_order(
        self, request: Request[Any, Any, Any], db: DB, number: FromPath[str], data: FormData
    ) -> Template | Redirect:
        if data.get("confirm") != "yes":
            view = order_by_number(db, clean_key(number, 20))
            if view is None:
                raise NotFoundException("No such order.")
            context = _order_context(view, error="Tick the box to confirm, then cancel again.")
            return render(request, "admin/order.html", None, context, status_code=422)
        try:
            cancel_order(db, number=clean_key(number, 20), username=_username(request))
        except LookupError:
            raise NotFoundException("No such order.") from None
        except OrderError as exc:
            view = order_by_number(db, clean_key(number, 20))
            if view is None:
                raise NotFoundException("No such order.") from None
            context = _order_context(view, error=str(exc))
            return render(request, "admin/order.html", None, context, status_code=409)
        return see_other(f"/admin/orders/{clean_key(number, 20)}?saved=cancelled")

    # Emails -----------------------------------------------------------------------------

    @get("/emails", sync_to_thread=True)
    def emails(self, request: Request[Any, Any, Any], db: DB) -> Template:
        context = {
            "mails": mail.outbox(db, limit=EMAILS_SHOWN),
            "limit": EMAILS_SHOWN,
            "kinds": {kind.value: kind.label for kind in MailKind},
            "sending": bool(request.app.state.settings.smtp_url),
        }
        return render(request, "admin/emails.html", None, context)

    # Documents ------------------------------------------------------------------------

    @get("/orders/{number:str}/documents/{name:str}", sync_to_thread=True)
    def order_document(
        self, request: Request[Any, Any, Any], db: DB, number: FromPath[str], name: FromPath[str]
    ) -> Template | Response[bytes]:
        """An order's invoice, packing slip or pick list: `invoice.pdf` downloads the PDF,
        `invoice` shows the page to print."""
        try:
            kind = DocumentKind(name.removesuffix(".pdf"))
        except ValueError:
            raise NotFoundException("No such document.") from None
        document = documents.order_document(db, clean_key(number, 20), kind)
        if document is None:
            raise NotFoundException("No such order.")
        if name.endswith(".pdf"):
            return Response(
                content=render_pdf(document),
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
            )
        context = {"document": document, "number": document.facts[0][1], "kind": kind}
        return render(request, "admin/document.html", None, context)

    @get("/documents", sync_to_thread=True)
    def document_settings(
        self, request: Request[Any, Any, Any], db: DB, saved: FromQuery[str] = ""
    ) -> Template:
        text = documents.backorder_message(db).text
        notice = "Backorder message saved. Pick lists print it from now on." if saved else ""
        return render(
            request, "admin/documents.html", None, _message_context(db, text, notice=notice)
        )

    @get("/documents/preview", sync_to_thread=True)
    def preview_message(
        self, request: Request[Any, Any, Any], db: DB, backorder_message: FromQuery[str] = ""
    ) -> Template:
        """The live preview under the message (htmx, as the merchant types)."""
        context = _message_context(db, backorder_message[:2000])
        return render(request, "admin/documents.html", "admin/_message_preview.html", context)

    @post("/documents", sync_to_thread=True)
    def save_document_settings(
        self, request: Request[Any, Any, Any], db: DB, data: FormData
    ) -> Template | Redirect:
        """Save the backorder message, or (the Preview button) only show what it prints."""
        text = str(data.get("backorder_message", ""))[:2000]
        if data.get("action") == "preview":
            return render(
                request,
                "admin/documents.html",
                "admin/_document_settings.html",
                _message_context(db, text),
            )
        try:
            documents.save_backorder_message(db, text)
        except MessageTemplateError as exc:
            context = _message_context(db, text, error=str(exc))
            return render(
                request,
                "admin/documents.html",
                "admin/_document_settings.html",
                context,
                status_code=422,
            )
        if is_htmx(request):
            saved = documents.backorder_message(db).text
            context = _message_context(db, saved, notice="Backorder message saved.")
            return render(request, "admin/documents.html", "admin/_document_settings.html", context)
        return see_other("/admin/documents?saved=1")


def _message_context(
    db: Session, text: str, *, notice: str = "", error: str = ""
) -> dict[str, Any]:
    """The Documents settings: the message as typed, and what it prints for a real order's
    numbers (or the reason it cannot be used)."""
    values, source = documents.preview_values(db)
    try:
        preview, preview_error = render_message(parse_message(text), values), ""
    except MessageTemplateError as exc:
        preview, preview_error = "", str(exc)
    return {
        "message_text": text,
        "preview": preview,
        "preview_error": preview_error,
        "preview_source": source,
        "placeholders": PLACEHOLDERS,
        "default_message": DEFAULT_BACKORDER_MESSAGE,
        "notice": notice,
        "error": error,
    }


def _order_context(view: OrderView, **extra: str) -> dict[str, Any]:
    shipping, cancelled = order_status(view, merchant=True)
    ready = 0 if cancelled else sum(entry.progress.ready for entry in view.lines)
    return {
        "view": view,
        "shipping": shipping,
        "cancelled": cancelled,
        "ready_units": ready,
        "errors": {},
        "values": {},
        **extra,
    }


_ORDER_MESSAGES = {
    "cancelled": "Order cancelled; its stock was given back.",
    "shipped": "Marked shipped.",
}
_ORDER_FILTERS: dict[str, tuple[Fulfilment, ...]] = {
    "ready": (Fulfilment.READY_TO_SHIP,),
    "waiting": WAITING,
    "shipped": (Fulfilment.SHIPPED,),
    "cancelled": (Fulfilment.CANCELLED,),
}
_ORDER_FILTER_LABELS = {
    "": "All",
    "ready": "Ready to ship",
    "waiting": "Waiting for stock",
    "shipped": "Shipped",
    "cancelled": "Cancelled",
}


def _count(text: str) -> int:
    """A count from the address bar (after a restock); anything else is 0."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0


def _restock_notice(kind: str, allocated: int, salable: int, ready: int, mailed: int = 0) -> str:
    """What a restock did, in the merchant's words (`mailed`: customers told their items now
    ship later, as Receive stock counts against the expected deliveries)."""
    went = (
        f"{allocated} {'unit' if allocated == 1 else 'units'} went to waiting orders, oldest first"
        if allocated
        else "no order was waiting"
    )
    orders = (
        f"; {ready} {'order is' if ready == 1 else 'orders are'} now Ready to ship" if ready else ""
    )
    if kind == "back-in-stock":
        return f"Marked back in stock: {went}{orders}.{_told_later(mailed)}"
    return f"Stock received: {went}{orders}; {salable} salable.{_told_later(mailed)}"


_DELIVERY_NOTICES = {
    "delivery-added": "Expected delivery recorded. Shoppers see the date it promises on the "
    "next request.",
    "delivery-changed": "Expected delivery changed.",
    "delivery-cancelled": "Expected delivery cancelled.",
}


def _delivery_notice(kind: str, mailed: int) -> str:
    """What a change of the expected deliveries did, in the merchant's words."""
    return _DELIVERY_NOTICES.get(kind, "") + _told_later(mailed)


def _told_later(mailed: int) -> str:
    """The customers a change mailed a later ship date, as a notice's last sentence."""
    if not mailed:
        return ""
    return (
        f" {mailed} {'customer was' if mailed == 1 else 'customers were'} emailed that "
        "their backordered items now ship later."
    )


PANELS = frozenset({"details", "settings", "layer", "option", "new-layer", "rules", "views"})

_SAVED_MESSAGES = {
    "views": "Views saved. The storefront shows the change on the next request.",
    "view-image": "Image for the view saved. The storefront shows it on the next request.",
    "created": "Product created. Add its first layer below.",
    "details": "Product details saved.",
    "settings": "Global Settings saved. The storefront shows the change on the next request.",
    "layer": "Layer saved.",
    "layer-added": "Layer added. Now add its options.",
    "layer-deleted": "Layer deleted.",
    "option": "Option saved. The storefront shows the change on the next request.",
    "option-added": "Option added.",
    "option-deleted": "Option deleted.",
    "default": "Default option set.",
    "moved": "Order changed.",
    "rule-added": "Rule added. The storefront applies it on the next request.",
    "rule-deleted": "Rule deleted.",
    "reset": "Back to the global setting. The storefront shows the change on the next request.",
}


_PUBLICATION_MESSAGES = {
    "published": "Published: shoppers can now see and buy it.",
    "unpublished": "Back to draft: shoppers no longer see it, and carts holding it say it is "
    "no longer sold.",
}


def not_found_in_admin(request: Request[Any, Any, Any], exc: edit.NotFound) -> Response[Any]:
    return error_response(request, 404, str(exc))
