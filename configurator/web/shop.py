"""Cart, checkout and the order confirmation."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from configurator.core.availability import BACKORDER_EXPLANATION
from configurator.core.configuration import (
    QuantityError,
    SelectionError,
    parse_quantity,
    parse_selection,
    resolve,
)
from configurator.services import cart as carts
from configurator.services.orders import (
    CUSTOMER_FIELDS,
    CheckoutError,
    order_by_token,
    order_status,
    place_order_outcome,
    validate_customer,
)
from configurator.web.common import (
    CART_COOKIE,
    DB,
    PRIVATE,
    FormData,
    clean_key,
    cookie,
    get,
    is_htmx,
    path_id,
    render,
    see_other,
    served_securely,
)
from configurator.web.metrics import BACKORDERED_UNITS, CHECKOUTS_REFUSED, ORDERS_PLACED
from configurator.web.storefront import (
    configurator_context,
    product_url,
    published_in_memory,
    spec_or_404,
)


def cart_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    """The cart cookie, set again on every change to the cart: it lasts CART_RETENTION_DAYS
    from the last change, as long as pruning keeps the cart itself."""
    retention = request.app.state.settings.cart_retention
    max_age = int(retention.total_seconds())
    return cookie(CART_COOKIE, token, secure=served_securely(request), max_age=max_age)


def _cart_context(cart: carts.CartView, **extra: Any) -> dict[str, Any]:
    return {"cart": cart, "backorder_explanation": BACKORDER_EXPLANATION, **extra}


CHECKOUT_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_checkout_key() -> str:
    """A one-time key in the checkout form: a resubmitted form places one order."""
    return secrets.token_urlsafe(18)


_ADDED = re.compile(
    r"^(Added to your cart\."
    r"|Added the \d{1,3} in stock\."
    r"|Added (\d{1,3} in stock and )?\d{1,3} back ordered\.)$"
)


CHECKOUT_BLOCKED = {
    "attention": "You cannot check out yet: some items in your cart need your attention. Each "
    "one says why below.",
    "sold-out": "Nothing was ordered: an option sold out while you were checking out. Its item "
    "below says what changed.",
}


def back_to_cart(
    request: Request[Any, Any, Any], cart: carts.CartView, *, sold_out: bool = False
) -> Redirect | Response[str] | None:
    """A cart that cannot be checked out goes back to the cart page, which says why (an empty
    one needs no reason); None when checkout can go ahead."""
    if cart.can_checkout:
        return None
    target = "/cart"
    if cart.items:
        target += "?" + urlencode({"checkout": "sold-out" if sold_out else "attention"})
    if is_htmx(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": target})
    return see_other(target)


def added_notice(text: str) -> str:
    """The notice after adding, from the redirect's query; only our own wording is shown."""
    if text == "1":
        return "Added to your cart."
    return text if _ADDED.match(text) else ""


class ShopController(Controller):
    @post("/cart/items", sync_to_thread=True)
    def add_to_cart(
        self, request: Request[Any, Any, Any], db: DB, data: FormData
    ) -> Template | Redirect | Response[str]:
        slug = str(data.get("product", ""))
        spec = published_in_memory(request.app.state.engine, slug) or spec_or_404(db, slug)
        params = {k: str(v) for k, v in data.items()}
        try:
            selection = parse_selection(spec, params)
            quantity = parse_quantity(str(data.get("quantity", "")))
        except (SelectionError, QuantityError) as exc:
            return self._configurator_refusal(request, spec.slug, db, params, 400, str(exc))
        configuration = resolve(spec, selection)
        token = request.cookies.get(CART_COOKIE) or carts.new_cart_token()
        answer = str(data.get("backorder_answer", "")) or None
        try:
            result = carts.add_item(
                db,
                cart_token=token,
                configuration=configuration,
                quantity=quantity,
                backorder_answer=answer,
                answered_state=str(data.get("cart_state", "")) or None,
            )
        except carts.CartError as exc:
            return self._configurator_refusal(request, spec.slug, db, params, 409, str(exc))
        if result.question:
            context, _ = configurator_context(spec, params)
            context.update(
                {
                    "result": result,
                    "pairs": configuration.query_pairs(),
                    "oob_summary": True,
                    "is_fragment": is_htmx(request),
                    "cart_state": carts.cart_state(db, token),
                }
            )
            return render(
                request,
                "cart/backorder_question.html",
                "cart/_backorder_question.html",
                context,
            )
        # Something was written (or the same answer arrived twice): the cookie starts its
        # lifetime again, like the cart's.
        cookies = [cart_cookie(request, token)]
        if not result.repeated and not result.in_stock and not result.backordered:
            if is_htmx(request):
                context = {"result": None, "closed_notice": result.notice}
                return render(request, "", "cart/_backorder_question.html", context)
            return see_other(
                product_url(spec.slug, [*configuration.query_pairs(), ("added", "none")])
            )
        if is_htmx(request):
            # The shopper stays on the product: what was added (with a way to the cart) under
            # the button, and the header's Cart link counts it, out of band.
            context = {
                "result": None,
                "added_notice": result.notice or carts.ADDED,
                "focus_added": answer is not None,
                "cart_count": carts.item_count(db, token),
                "cart_link_oob": True,
            }
            return render(request, "", "cart/_backorder_question.html", context, cookies=cookies)
        added = "1" if result.notice == carts.ADDED else result.notice
        return see_other("/cart?" + urlencode({"added": added}), cookies=cookies)

    def _configurator_refusal(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        db: Session,
        params: dict[str, str],
        status: int,
        message: str,
    ) -> Template:
        if is_htmx(request):
            # Right under the add-to-cart button, where the shopper is looking; an option
            # change arriving at the same moment does not wipe it.
            context = {"result": None, "closed_notice": message, "notice_kind": "error"}
            return render(request, "", "cart/_backorder_question.html", context, status_code=status)
        spec = spec_or_404(db, slug)
        context, _ = configurator_context(spec, params)
        context["error"] = message
        return render(request, "storefront/product.html", None, context, status_code=status)

    @get("/cart", sync_to_thread=True)
    def view(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        added: FromQuery[str] = "",
        checkout: FromQuery[str] = "",
    ) -> Template:
        cart = carts.view_cart(db, request.cookies.get(CART_COOKIE))
        notice = added_notice(added) if cart.items else ""
        blocked = CHECKOUT_BLOCKED.get(checkout, "") if cart.items and not cart.can_checkout else ""
        # Checkout sent the shopper back: that notice is the one saying why (not twice).
        context = _cart_context(cart, notice=notice, error=blocked, checkout_blocked=bool(blocked))
        return render(request, "cart/cart.html", "cart/_cart.html", context)

    @post("/cart/lines/{line_id:str}", sync_to_thread=True)
    def change_quantity(
        self, request: Request[Any, Any, Any], db: DB, line_id: FromPath[str], data: FormData
    ) -> Template | Redirect:
        token = request.cookies.get(CART_COOKIE)
        line = path_id(line_id)
        try:
            quantity = parse_quantity(str(data.get("quantity", "")))
            carts.change_quantity(
                db,
                cart_token=token,
                line_id=line,
                quantity=quantity,
                backorder_answer=str(data.get("backorder_answer", "")) or None,
                answered_state=str(data.get("cart_state", "")) or None,
            )
        except carts.QuestionNeeded as asked:
            cart = carts.view_cart(db, token)
            question = {
                "line_id": line,
                "text": asked.question,
                "quantity": quantity,
                "in_stock": asked.in_stock,
                "backordered": asked.backordered,
                "cart_state": carts.cart_state(db, token),
            }
            return render(
                request,
                "cart/cart.html",
                "cart/_cart.html",
                _cart_context(cart, question=question),
            )
        except (QuantityError, carts.CartError) as exc:
            status = 404 if isinstance(exc, carts.NotInCart) else 409
            status = 400 if isinstance(exc, QuantityError) else status
            return self._cart_refusal(request, db, token, status, str(exc))
        return self._cart_updated(request, db, token, "Quantity updated.")

    @post("/cart/lines/{line_id:str}/remove", sync_to_thread=True)
    def remove(
        self, request: Request[Any, Any, Any], db: DB, line_id: FromPath[str]
    ) -> Template | Redirect:
        token = request.cookies.get(CART_COOKIE)
        try:
            carts.remove_line(db, cart_token=token, line_id=path_id(line_id))
        except carts.CartError as exc:
            return self._cart_refusal(request, db, token, 404, str(exc))
        return self._cart_updated(request, db, token, "Item removed.")

    def _cart_updated(
        self, request: Request[Any, Any, Any], db: Session, token: str | None, notice: str
    ) -> Template | Redirect:
        # The cart changed: its cookie lasts CART_RETENTION_DAYS from now again.
        cookies = [cart_cookie(request, token)] if token else []
        if not is_htmx(request):
            return see_other("/cart", cookies=cookies)
        cart = carts.view_cart(db, token)
        context = _cart_context(
            cart, notice=notice, focus_heading=notice == "Item removed.", cart_link_oob=True
        )
        return render(
            request,
            "cart/cart.html",
            "cart/_cart.html",
            context,
            headers={"HX-Replace-Url": "/cart"},
            cookies=cookies,
        )

    def _cart_refusal(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        token: str | None,
        status: int,
        message: str,
    ) -> Template:
        cart = carts.view_cart(db, token)
        return render(
            request,
            "cart/cart.html",
            "cart/_cart.html",
            _cart_context(cart, error=message),
            status_code=status,
        )

    @get("/checkout", sync_to_thread=True)
    def checkout_form(
        self, request: Request[Any, Any, Any], db: DB
    ) -> Template | Redirect | Response[str]:
        cart = carts.view_cart(db, request.cookies.get(CART_COOKIE))
        if blocked := back_to_cart(request, cart):
            return blocked
        context = _cart_context(
            cart, fields=CUSTOMER_FIELDS, values={}, errors={}, checkout_key=new_checkout_key()
        )
        return render(request, "checkout/checkout.html", None, context)

    @post("/checkout", sync_to_thread=True)
    def checkout(
        self, request: Request[Any, Any, Any], db: DB, data: FormData
    ) -> Template | Redirect | Response[str]:
        token = request.cookies.get(CART_COOKIE)
        form = {k: str(v) for k, v in data.items() if k in CUSTOMER_FIELDS}
        key = str(data.get("checkout_key", ""))
        key = key if CHECKOUT_KEY.match(key) else new_checkout_key()
        customer, errors = validate_customer(form)
        if customer is None:
            cart = carts.view_cart(db, token)
            if blocked := back_to_cart(request, cart):
                return blocked
            context = _cart_context(
                cart, fields=CUSTOMER_FIELDS, values=form, errors=errors, checkout_key=key
            )
            return render(request, "checkout/checkout.html", None, context, status_code=422)
        try:
            placed = place_order_outcome(db, cart_token=token, customer=customer, checkout_key=key)
        except CheckoutError as exc:
            CHECKOUTS_REFUSED.labels(
                "sold_out" if exc.sold_out else "cart" if exc.cart.items else "empty"
            ).inc()
            if blocked := back_to_cart(request, exc.cart, sold_out=exc.sold_out):
                return blocked
            context = _cart_context(
                exc.cart,
                fields=CUSTOMER_FIELDS,
                values=form,
                errors={},
                error=str(exc),
                checkout_key=key,
            )
            return render(request, "checkout/checkout.html", None, context, status_code=409)
        if placed.new:
            ORDERS_PLACED.inc()
            BACKORDERED_UNITS.inc(placed.backordered_units)
        return see_other(f"/orders/{placed.token}")

    @get("/orders/{token:str}", sync_to_thread=True, cache_control=PRIVATE)
    def confirmation(
        self, request: Request[Any, Any, Any], db: DB, token: FromPath[str]
    ) -> Template:
        view = order_by_token(db, clean_key(token, 64))
        if view is None:
            raise NotFoundException("We could not find that order.")
        shipping, cancelled = order_status(view, merchant=False)
        return render(
            request,
            "checkout/confirmation.html",
            None,
            {
                "view": view,
                "shipping": shipping,
                "cancelled": cancelled,
                "backorder_explanation": BACKORDER_EXPLANATION,
            },
        )
