"""The application factory: wires settings, database, templates, CSRF, htmx and routes."""

from __future__ import annotations

import gc
import sqlite3
from datetime import timedelta
from typing import Any

from jinja2 import Environment
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError

from configurator.core import availability
from configurator.core.money import cents_to_input, format_cents, format_delta
from configurator.services.accounts import shared_secret
from configurator.services.catalog_admin import NotFound
from configurator.services.housekeeping import PruneSchedule
from configurator.settings import STATIC_DIR, TEMPLATES_DIR, Settings
from configurator.store.db import make_engine, new_session
from configurator.web.admin import (
    AdminController,
    LoginController,
    LoginRequired,
    login_required_handler,
    not_found_in_admin,
)
from configurator.web.common import (
    ADMIN_COOKIE,
    database_unavailable_handler,
    http_exception_handler,
    internal_error_handler,
    provide_db,
    unstorable_value_handler,
)
from configurator.web.fragment_front import FragmentFront
from configurator.web.inventory import InventoryController
from configurator.web.shop import ShopController
from configurator.web.storefront import NO_COMPRESSION, StorefrontController

MAX_REQUEST_BYTES = 2_000_000

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    # frame-ancestors 'none' does what X-Frame-Options did, in every browser that matters.
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


async def security_headers(message: Message, scope: Scope) -> None:
    """Every response, error pages and static files included: no inline script, no framing,
    no sniffing. A response that sets its own policy (images) keeps it."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value


async def no_body_for_head(message: Message, scope: Scope) -> None:
    """GET routes answer HEAD too (see `common.get`): same status and headers, no body."""
    if message["type"] == "http.response.body" and scope.get("method") == "HEAD":
        message["body"] = b""


def _configure_jinja(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    # Templates ship with the code: checking every file's modification time on each render was
    # the largest single cost of an uncached fragment in `make bench`'s profile.
    env.auto_reload = False
    env.filters["money"] = format_cents
    env.filters["delta"] = format_delta
    env.filters["money_input"] = cents_to_input
    env.globals["labels"] = {
        "backorder_cart_label": availability.BACKORDER_CART_LABEL,
        "out_of_stock": availability.OUT_OF_STOCK_NOTICE,
        "backordered_line": availability.BACKORDERED_LINE_LABEL,
    }
    env.globals["stock_heading"] = availability.stock_heading
    env.globals["setting_labels"] = availability.SETTING_LABELS
    env.globals["StockStatus"] = availability.StockStatus
    env.globals["Backorders"] = availability.Backorders
    env.globals["ADMIN_COOKIE"] = ADMIN_COOKIE


def create_asgi() -> FragmentFront:
    """What `configurator serve` runs: the app, with repeated option-change fragments answered
    from memory in front of it."""
    return FragmentFront(create_app(), SECURITY_HEADERS)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = engine or make_engine(settings.database_url)
    with new_session(engine) as session:
        secret = shared_secret(session)
    exception_handlers: dict[Any, Any] = {
        HTTPException: http_exception_handler,
        LoginRequired: login_required_handler,
        NotFound: not_found_in_admin,
        OperationalError: database_unavailable_handler,
        sqlite3.OperationalError: database_unavailable_handler,
        DataError: unstorable_value_handler,
        Exception: internal_error_handler,
    }
    # Every worker prunes abandoned carts, expired sessions and old sign-in attempts now and
    # then (idempotent, short transactions), on whatever database the app serves at the time.
    prune_schedule = PruneSchedule(
        lambda: app.state.engine,
        cart_retention=settings.cart_retention,
        interval=timedelta(minutes=settings.prune_interval_minutes),
    )
    app = Litestar(
        route_handlers=[
            StorefrontController,
            ShopController,
            LoginController,
            AdminController,
            InventoryController,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], send_as_attachment=False
            ),
        ],
        dependencies={"db": Provide(provide_db)},
        state=State({"engine": engine, "settings": settings, "prune_schedule": prune_schedule}),
        on_startup=[prune_schedule.start],
        on_shutdown=[prune_schedule.stop],
        plugins=[HTMXPlugin()],
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=_configure_jinja,
        ),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, gzip_compress_level=6, exclude_opt_key=NO_COMPRESSION
        ),
        csrf_config=CSRFConfig(
            secret=secret,
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        exception_handlers=exception_handlers,
        before_send=[security_headers, no_body_for_head],
        # No /schema: it would list every admin route to anyone who asks.
        openapi_config=None,
        request_max_body_size=MAX_REQUEST_BYTES,
        debug=False,
    )
    # Everything built so far lives as long as the process: keep the garbage collector from
    # walking it again and again (long pauses show up as slow requests).
    gc.collect()
    gc.freeze()
    return app
