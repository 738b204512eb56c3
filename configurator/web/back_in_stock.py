""" "Notify me when back in stock": the shopper's request on the product page, and the
confirmation link of the mail it sends (double opt-in)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from configurator.core.configuration import parse_id
from configurator.core.mails import BACK_IN_STOCK_ASKED, back_in_stock_choices, clean_email
from configurator.services import mail
from configurator.web.common import (
    DB,
    PRIVATE,
    FormData,
    clean_key,
    error_response,
    get,
    is_htmx,
    render,
    see_other,
)
from configurator.web.storefront import spec_or_404

FRAGMENT = "storefront/_back_in_stock_notice.html"
"""The htmx answer: the notice alone, swapped into the section's live region."""
UNKNOWN_LINK = "This link is not valid any more. Ask again on the product page."


class BackInStockController(Controller):
    cache_control = PRIVATE

    @post("/products/{slug:str}/back-in-stock", sync_to_thread=True)
    def ask(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str], data: FormData
    ) -> Template | Redirect | Response[Any]:
        spec = spec_or_404(db, slug)
        choices = back_in_stock_choices(spec)
        option_id = parse_id(str(data.get("option", "")))
        if option_id is None or option_id not in dict(choices):
            return error_response(request, 400, "Choose one of the options that are out of stock.")
        email = clean_email(str(data.get("email", "")))
        if email is None:
            return error_response(request, 422, "Enter an email address like name@example.com.")
        try:
            mail.ask_back_in_stock(db, option_id=option_id, email=email)
        except mail.BackInStockRefused as exc:
            return error_response(request, 409, str(exc))
        except LookupError:
            raise NotFoundException("We could not find that option.") from None
        if not is_htmx(request):
            return see_other(f"/products/{spec.slug}?back_in_stock=asked#back-in-stock")
        return render(request, FRAGMENT, FRAGMENT, {"back_in_stock_notice": BACK_IN_STOCK_ASKED})

    @get("/back-in-stock/{token:str}", sync_to_thread=True)
    def confirmation(
        self, request: Request[Any, Any, Any], db: DB, token: FromPath[str]
    ) -> Template:
        view = mail.back_in_stock_request(db, clean_key(token, 64))
        if view is None:
            raise NotFoundException(UNKNOWN_LINK)
        context = {"request_view": view, "token": clean_key(token, 64)}
        return render(request, "back_in_stock/confirm.html", None, context)

    @post("/back-in-stock/{token:str}", sync_to_thread=True)
    def confirm(self, request: Request[Any, Any, Any], db: DB, token: FromPath[str]) -> Template:
        view = mail.confirm_back_in_stock(db, clean_key(token, 64))
        if view is None:
            raise NotFoundException(UNKNOWN_LINK)
        context = {"request_view": view, "token": clean_key(token, 64)}
        return render(request, "back_in_stock/confirm.html", None, context)
