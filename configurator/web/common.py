"""Plumbing shared by the controllers: the database session, page-or-fragment rendering,
cookies, and the plain-message error pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

from litestar import HttpMethod, Request, Response, route
from litestar.datastructures import CacheControlHeader, Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy.exc import DataError
from sqlmodel import Session

from configurator.core.configuration import parse_id
from configurator.services import cart as carts
from configurator.store.db import new_session
from configurator.web.metrics import DATABASE_UNAVAILABLE
from configurator.web.observe import request_id

log = logging.getLogger("configurator")

CART_COOKIE = "cart"
ADMIN_COOKIE = "admin_session"
VARY = {"Vary": "HX-Request, HX-History-Restore-Request"}

PRIVATE = CacheControlHeader(no_store=True)
"""For pages meant for one person only (the admin, an order confirmation): no cache keeps them."""

DB = NamedDependency[Session]
"""The request's database session (see `provide_db`)."""
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


async def provide_db(state: State) -> AsyncGenerator[Session, None]:
    """The request's session. Creating one does no I/O (it connects on first use, in the
    handler's thread), so this runs on the event loop: no extra hop to a thread per request."""
    session = new_session(state.engine)
    try:
        yield session
    finally:
        session.close()


def get(path: str, **kwargs: Any) -> route:
    """A GET route that answers HEAD too (same status and headers; the server sends no body)."""
    return route(path, http_method=[HttpMethod.GET, HttpMethod.HEAD], **kwargs)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that wants a fragment. A history restore (the Back button after a
    cache miss) wants the whole page, like a plain request."""
    return (
        isinstance(request, HTMXRequest)
        and bool(request.htmx)
        and not request.htmx.history_restore_request
    )


def render(
    request: Request[Any, Any, Any],
    page: str,
    fragment: str | None,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    cookies: list[Cookie] | None = None,
) -> Template:
    """The full page for a plain request, the fragment template for an htmx one. A full page
    gets the item count for the header's Cart link."""
    is_fragment = bool(fragment) and is_htmx(request)
    template = fragment if fragment and is_fragment else page
    context = dict(context)
    if not is_fragment and "cart_count" not in context:
        context["cart_count"] = header_cart_count(request)
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        headers={**VARY, **(headers or {})},
        cookies=cookies,
    )


def header_cart_count(request: Request[Any, Any, Any]) -> int:
    """What the header's Cart link counts: nothing to read without a cart cookie."""
    token = request.cookies.get(CART_COOKIE)
    if not token:
        return 0
    with new_session(request.app.state.engine) as session:
        return carts.item_count(session, token)


def see_other(path: str, *, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER, cookies=cookies)


def path_id(text: str) -> int:
    """An id from the URL; anything else is a plain 404."""
    value = parse_id(text)
    if value is None:
        raise NotFoundException("We could not find that page.")
    return value


def served_securely(request: Request[Any, Any, Any]) -> bool:
    """Cookies get the Secure flag when CONFIGURATOR_SECURE_COOKIES=1 or the request came over
    HTTPS (directly, or through a proxy named in TRUSTED_PROXIES)."""
    settings = request.app.state.settings
    return bool(settings.secure_cookies) or request.url.scheme == "https"


def cookie(key: str, value: str, *, secure: bool, max_age: int, path: str = "/") -> Cookie:
    return Cookie(
        key=key,
        value=value,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=max_age,
        path=path,
    )


ERROR_TITLES = {
    400: "That request did not make sense",
    401: "Please sign in",
    403: "That form has expired",
    404: "Not found",
    405: "Not allowed",
    409: "Not available",
    413: "That upload is too large",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The shop is busy",
}


def error_response(
    request: Request[Any, Any, Any], status_code: int, message: str
) -> Response[Any]:
    """A plain message page (or, for htmx, a notice swapped into the page's #flash)."""
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    reference = request_id(request.scope)
    context = {
        "title": title,
        "message": message,
        "status_code": status_code,
        "request_id": reference,
    }
    if is_htmx(request):
        return Template(
            template_name="partials/_flash.html",
            context={
                "flash_title": title,
                "flash_message": message,
                "flash_kind": "error",
                "request_id": reference,
            },
            status_code=status_code,
            headers={**VARY, "HX-Retarget": "#flash", "HX-Reswap": "outerHTML"},
        )
    return Template(
        template_name="errors/error.html",
        context=context,
        status_code=status_code,
        headers=VARY,
    )


_DEFAULT_MESSAGES = {
    400: "Some of what was sent is not valid. Go back and try again.",
    403: "For your safety this form only works for a short while. Reload the page and try again.",
    404: "We could not find that page. It may have been removed.",
    405: "That address does not accept this kind of request.",
    413: "That upload is too large: images may be up to 1 MB, a stock CSV up to 4 MB, and "
    "a form up to 2 MB.",
}


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 403:
        message = _DEFAULT_MESSAGES[403]
    elif status >= 500:
        message = "Please try again in a moment."
    else:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        generic = not detail or detail.startswith(
            ("Validation failed", "Not Found", "Method", "Request Entity")
        )
        message = _DEFAULT_MESSAGES.get(status, detail) if generic else detail
    return error_response(request, status, message)


def clean_key(text: str, max_length: int) -> str:
    """A slug, token, order number or username from a request, as a lookup key: text that no
    stored key can contain (control characters, NUL, which PostgreSQL refuses) finds nothing."""
    text = text[:max_length]
    return text if text.isprintable() else ""


def unstorable_value_handler(request: Request[Any, Any, Any], exc: DataError) -> Response[Any]:
    """A value the database refuses to store or compare (the safety net behind the checks)."""
    log.warning("value refused by the database: %s", exc)
    return error_response(request, 400, _DEFAULT_MESSAGES[400])


def database_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    DATABASE_UNAVAILABLE.inc()
    log.warning("database unavailable: %s", exc)
    return error_response(
        request, 503, "The shop is very busy right now. Please try again in a moment."
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=exc)
    return error_response(request, 500, "Please try again in a moment.")
