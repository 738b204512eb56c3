"""The application factory: wires settings, database, templates, CSRF, htmx and routes."""

from __future__ import annotations

import functools
import gc
import hashlib
import sqlite3
from datetime import date, timedelta
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

from configurator.core import availability, charging, composition
from configurator.core.fulfilment import Fulfilment
from configurator.core.money import cents_to_input, format_cents, format_delta
from configurator.core.promises import day_in_words, is_overdue, promise_words
from configurator.logs import configure_logging
from configurator.services.accounts import shared_secret
from configurator.services.catalog import shop_today
from configurator.services.catalog_admin import NotFound
from configurator.services.composer import PICTURE_SETTING
from configurator.services.housekeeping import PruneSchedule
from configurator.services.mail import MailSender
from configurator.settings import STATIC_DIR, TEMPLATES_DIR, Settings
from configurator.store.db import make_engine, new_session
from configurator.web.admin import (
    AdminController,
    LoginController,
    LoginRequired,
    login_required_handler,
    not_found_in_admin,
)
from configurator.web.back_in_stock import BackInStockController
from configurator.web.common import (
    ADMIN_COOKIE,
    database_unavailable_handler,
    http_exception_handler,
    internal_error_handler,
    provide_db,
    unstorable_value_handler,
)
from configurator.web.fragment_front import FragmentFront
from configurator.web.health import HealthController
from configurator.web.inventory import InventoryController
from configurator.web.layer_markup import LayerMarkup
from configurator.web.metrics import PROMETHEUS, UNMEASURED_PATHS, MetricsController
from configurator.web.observe import Observed
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


@functools.cache
def static_url(path: str) -> str:
    """A static file's address with its content's hash: a proxy may cache it for a year
    (deploy/nginx), and a new release changes the address of every file it changes."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def promised_label(promised: date | None, timeframe: str | None) -> str:
    """ "(Available Backorder) - ships around 14 January" for a recorded backordered option:
    the date it was promised, else the timeframe, else the label alone."""
    return availability.backorder_label(promise_words(promised, timeframe, shop_today()) or None)


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
    env.globals["backorder_label"] = availability.backorder_label
    env.globals["promised_label"] = promised_label
    env.globals["day_in_words"] = day_in_words
    env.globals["is_overdue"] = is_overdue
    env.globals["setting_labels"] = availability.SETTING_LABELS
    env.globals["StockStatus"] = availability.StockStatus
    env.globals["Backorders"] = availability.Backorders
    env.globals["ChargePolicy"] = charging.ChargePolicy
    env.globals["charged_on_restock"] = charging.CHARGED_ON_RESTOCK
    env.globals["pending_order_terms"] = charging.PENDING_ORDER_TERMS
    env.globals["Fulfilment"] = Fulfilment
    env.globals["ADMIN_COOKIE"] = ADMIN_COOKIE
    env.globals["layer_choices"] = LayerMarkup(env)
    env.globals["static_url"] = static_url
    env.globals["build_image_url"] = composition.build_image_url
    env.globals["build_srcset"] = composition.build_srcset


def create_asgi() -> FragmentFront:
    """What `configurator serve` runs: the app, with repeated option-change fragments answered
    from memory in front of it."""
    settings = Settings.from_env()
    configure_logging(settings.log_format, access_log=settings.access_log)
    return FragmentFront(create_app(settings), SECURITY_HEADERS)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = engine or make_engine(settings.database_url)
    with new_session(engine) as session:
        secret = shared_secret(session)
        shared_secret(session, PICTURE_SETTING)  # made now, so no picture's request writes it
    exception_handlers: dict[Any, Any] = {
        HTTPException: http_exception_handler,
        LoginRequired: login_required_handler,
        NotFound: not_found_in_admin,
        OperationalError: database_unavailable_handler,
        sqlite3.OperationalError: database_unavailable_handler,
        DataError: unstorable_value_handler,
        Exception: internal_error_handler,
    }
    # Every worker prunes abandoned carts, expired sessions, old sign-in attempts and old sent
    # mails now and then (idempotent, short transactions), on whatever database the app serves
    # at the time.
    prune_schedule = PruneSchedule(
        lambda: app.state.engine,
        cart_retention=settings.cart_retention,
        interval=timedelta(minutes=settings.prune_interval_minutes),
        mail_retention=settings.mail_retention,
    )
    # With SMTP_URL set, every worker sends the outbox's due mails now and then (claimed one
    # by one, so two workers never send the same mail); without it they wait, listed on the
    # admin's Emails page.
    mail_sender = MailSender(
        lambda: app.state.engine,
        smtp_url=settings.smtp_url,
        mail_from=settings.mail_from,
        interval=timedelta(seconds=settings.mail_poll_seconds),
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            StorefrontController,
            ShopController,
            BackInStockController,
            LoginController,
            AdminController,
            InventoryController,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], send_as_attachment=False
            ),
            # No token, no /metrics (404): the numbers are not for the public.
            *([MetricsController] if settings.metrics_token else []),
        ],
        middleware=[PROMETHEUS.middleware],
        dependencies={"db": Provide(provide_db)},
        state=State(
            {
                "engine": engine,
                "settings": settings,
                "prune_schedule": prune_schedule,
                "mail_sender": mail_sender,
            }
        ),
        on_startup=[prune_schedule.start, mail_sender.start],
        on_shutdown=[prune_schedule.stop, mail_sender.stop],
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
            # Probes and scrapers never post a form: they get no CSRF cookie.
            exclude=UNMEASURED_PATHS,
        ),
        exception_handlers=exception_handlers,
        before_send=[security_headers, no_body_for_head],
        # Logging is configured once per process by `configure_logging` (text or JSON lines);
        # Litestar's own setup would replace it on startup.
        logging_config=None,
        # No /schema: it would list every admin route to anyone who asks.
        openapi_config=None,
        request_max_body_size=MAX_REQUEST_BYTES,
        debug=False,
    )
    # Outside Litestar's exception handling, so that its 404s, 405s and error pages get a
    # request id and an access line too (app-level middleware only wraps routed requests).
    app.asgi_handler = Observed(app.asgi_handler, trust_incoming_id=bool(settings.trusted_proxies))
    # Everything built so far lives as long as the process: keep the garbage collector from
    # walking it again and again (long pauses show up as slow requests).
    gc.collect()
    gc.freeze()
    return app
