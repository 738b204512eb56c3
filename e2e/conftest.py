"""Browser flows against the real server, driven by Debian's Chromium through pytest-playwright.

Without `E2E_BASE_URL` each pytest worker starts `configurator serve` of its own on a free port
and a copy of a shop it prepared once (migrated, with the demo catalog), and restores that shop
into it for a flow that needs a whole shop to itself (`make e2e` runs two workers); with it,
every flow runs against that server and none is started. The merchant signs in through the
form once per shop and worker. A flow that changes the catalog builds a product of its own
(`own_products`, named "QA e2e …", deleted at the end even when the flow fails); a flow that
shops the demo catalog asks for `demo_catalog` and is skipped, with the reason, where it is
absent. When a flow fails, its trace, a full-page screenshot and the server's log for that flow
are kept under test-results/<flow>/, and the failure message says where."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import pytest
from _pytest._code.code import ExceptionRepr
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    Playwright,
    ViewportSize,
    expect,
)
from pytest_playwright.pytest_playwright import CreateContextCallback
from slugify import slugify

from e2e.helpers import VIEWPORT
from e2e.pages import Admin, Editor
from e2e.pages.admin import SHOPS, forget_sessions, keep_session, session_cookies
from e2e.pages.audit import Audit
from e2e.pages.forms import ProductForms
from e2e.target import EXTERNAL_URL, LOCAL_ADMIN_PASSWORD, chromium, scratch_name
from tests import live_server
from tests.live_server import Server

if TYPE_CHECKING:
    from playwright._impl._api_structures import StorageState

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-sandbox",
    # Less work for a headless browser on a shared 2-core machine (about a sixth of its CPU in
    # a measurement): no software GPU fallback to start, no held first paint, no background
    # services the flows never use. Nothing a shopper sees depends on these.
    "--disable-software-rasterizer",
    "--disable-features=PaintHolding,Translate,MediaRouter,OptimizationHints,AcceptCHFrame",
    "--disable-extensions",
    "--disable-renderer-backgrounding",
    "--disable-ipc-flooding-protection",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DEMO_PRODUCTS = ("/products/aero-road-bike", "/products/court-sneaker")
# What a shopper waits for may take a while on a busy machine (CI shares its cores).
expect.set_options(timeout=15_000)
# Logs of the servers this worker runs, for the excerpt kept when a flow fails.
_SERVER_LOGS: list[Path] = []
_LOG_MARKS = pytest.StashKey[dict[Path, int]]()
# Whether this suite keeps a failed flow's trace and screenshots itself (unless the command
# line gives pytest-playwright's --tracing / --screenshot), and what it kept for a flow.
_OWN_TRACING = pytest.StashKey[bool]()
_OWN_SCREENSHOTS = pytest.StashKey[bool]()
_KEPT = pytest.StashKey[list[tuple[str, Path]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("layerworks", "Layerworks browser flows")
    group.addoption(
        "--phone",
        action="store_true",
        default=False,
        help=f"run every flow at phone width ({PHONE['width']}x{PHONE['height']})",
    )
    group.addoption(
        "--axe",
        action="store_true",
        default=False,
        help="run axe-core on every page a flow reaches through the page objects",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Keep what a failure needs unless the command line says otherwise: the trace and a
    full-page screenshot of every page, under test-results/<flow>/.

    This suite records them itself (`new_context` below) rather than through
    pytest-playwright's `--tracing retain-on-failure --screenshot only-on-failure`, which
    record the same for a passing flow too and then delete it: a zip per browser and a
    full-page PNG per page, about a sixth of the CPU. Its trace leaves out the
    screencast (DOM snapshots before and after every action, network and console stay);
    `--tracing on` or `--tracing retain-on-failure` on the command line gives
    pytest-playwright's, with the screencast."""
    given = " ".join(str(arg) for arg in config.invocation_params.args)
    config.stash[_OWN_TRACING] = "--tracing" not in given
    config.stash[_OWN_SCREENSHOTS] = "--screenshot" not in given
    if config.stash[_OWN_TRACING]:
        config.option.tracing = "off"
    if config.stash[_OWN_SCREENSHOTS]:
        config.option.screenshot = "off"


# --- the server -----------------------------------------------------------------------------


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included)."""
    with closing(sqlite3.connect(source)) as old, closing(sqlite3.connect(target)) as new:
        old.backup(new)


def _settings(database: Path) -> Any:
    from configurator.settings import Settings

    return replace(
        Settings.from_env(),
        database_url=f"sqlite:///{database}",
        admin_password=LOCAL_ADMIN_PASSWORD,
    )


@dataclass(frozen=True)
class ShopTemplate:
    """A shop as `configurator serve` leaves it on first start, and a session of its merchant:
    every copy of it, and every shop restored from it, has that session too."""

    database: Path
    merchant_session: str


@pytest.fixture(scope="session")
def shop_template() -> Iterator[ShopTemplate]:
    """A shop as `configurator serve` leaves it on first start (migrated, the merchant
    `admin`, the demo catalog), made once per worker: each server of the worker starts on a
    copy and has nothing to migrate or load. The merchant is signed in to it once, through the
    service the sign-in form calls, so flows on its copies are signed in without a password
    hash each (the form itself is proven by the accessibility flow)."""
    from configurator.cli import prepare
    from configurator.services import accounts
    from configurator.store.db import make_engine, new_session

    with tempfile.TemporaryDirectory(prefix="configurator-e2e-template-") as tmp:
        database = Path(tmp) / "shop.sqlite3"
        settings = _settings(database)
        prepare(settings)
        engine = make_engine(settings.database_url)
        try:
            with new_session(engine) as session:
                user = accounts.authenticate(session, "admin", LOCAL_ADMIN_PASSWORD)
                assert user is not None, "the template's merchant cannot sign in"
                token = accounts.start_session(session, user)
        finally:
            engine.dispose()
        yield ShopTemplate(database, token)


@contextmanager
def run_server(template: ShopTemplate) -> Iterator[Server]:
    """The real server on a copy of the template, its merchant signed in."""
    with tempfile.TemporaryDirectory(prefix="configurator-e2e-") as tmp:
        tmp_dir = Path(tmp)
        database = tmp_dir / "shop.sqlite3"
        _copy_database(template.database, database)
        with live_server.run_server(
            f"sqlite:///{database}",
            tmp_dir / "server.log",
            admin_password=LOCAL_ADMIN_PASSWORD,
        ) as running:
            _SERVER_LOGS.append(running.log)
            keep_session(running.url, template.merchant_session)
            try:
                yield running
            finally:
                _SERVER_LOGS.remove(running.log)


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The shop every flow of this worker uses: E2E_BASE_URL, or a server of its own."""
    if EXTERNAL_URL:
        yield Server(url=EXTERNAL_URL, database_url="", log=Path(os.devnull))
        return
    with run_server(request.getfixturevalue("shop_template")) as running:
        yield running


@contextmanager
def _shop_of_its_own(request: pytest.FixtureRequest, scenario: str | None) -> Iterator[Server]:
    """The worker's server as on first start, for a flow that needs a whole shop to itself:
    the template restored into its database while it serves (`configurator restore --force`,
    which moves the catalog version on, so the server drops what it cached), then put in
    `scenario`; restored again when the flow ends, for the flows after it. Flows of one
    worker run one after the other, so the shop is the flow's alone, and a restore costs a
    fraction of starting a server."""
    if EXTERNAL_URL:
        pytest.skip("needs a shop of its own, and E2E_BASE_URL names one to share")
    running: Server = request.getfixturevalue("server")
    template: ShopTemplate = request.getfixturevalue("shop_template")
    _restore(running, template)
    try:
        if scenario:
            from configurator.cli import run_scenario

            assert run_scenario(_settings(_sqlite_path(running)), scenario, listing=False) == 0
        yield running
    finally:
        _restore(running, template)


def _restore(server: Server, template: ShopTemplate) -> None:
    """Back to the template: signed out of every session but the template's."""
    from configurator.services.backup import restore

    restore(server.database_url, template.database, force=True)
    forget_sessions(server.url)
    keep_session(server.url, template.merchant_session)


def _sqlite_path(server: Server) -> Path:
    return Path(server.database_url.removeprefix("sqlite:///"))


@pytest.fixture
def fresh_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A whole shop to itself, as on first start (the worker's server, restored before and
    after the flow). Prefer `own_products`: it runs against any server."""
    with _shop_of_its_own(request, None) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def demo_catalog(server: Server) -> None:
    """Skip a flow that shops the demo catalog where it is absent."""
    for path in DEMO_PRODUCTS:
        try:
            with urllib.request.urlopen(server.url + path, timeout=10) as response:  # noqa: S310
                found = response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            found = False
        if not found:
            pytest.skip(
                f"needs the demo catalog ({path} on {server.url}): "
                "run `configurator scenario backorder-demo` there"
            )


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config
) -> dict[str, Any]:
    if pytestconfig.getoption("--browser-channel"):
        return {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    executable = chromium(headless=browser_type_launch_args.get("headless", True))
    if not Path(executable).exists():
        pytest.exit(
            f"No Chromium at {executable}: run `make chromium` (apt-get install chromium "
            "chromium-headless-shell), set E2E_CHROMIUM, or pass --browser-channel.",
            returncode=1,
        )
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def viewport(pytestconfig: pytest.Config) -> ViewportSize:
    """The desktop viewport, or a phone's with --phone."""
    return PHONE if pytestconfig.getoption("--phone") else VIEWPORT


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's, less the base URL and viewport, which `new_context` adds so a
    flow may give its own."""
    return {k: v for k, v in browser_context_args.items() if k not in ("base_url", "viewport")}


@pytest.fixture
def new_context(
    new_context: CreateContextCallback,
    base_url: str,
    viewport: ViewportSize,
    request: pytest.FixtureRequest,
) -> Iterator[CreateContextCallback]:
    """pytest-playwright's `new_context` on the shop, at the flow's viewport, traced; when
    the flow fails, its trace and a full-page screenshot of each of its pages are kept;
    `new_context(java_script_enabled=False)` for the plain forms, `new_context(base_url=...)`
    for another server. Leave closing the browser to the fixture: it saves the trace first."""
    config = request.config
    traced = config.stash[_OWN_TRACING] and config.getoption("--tracing") == "off"
    made: list[BrowserContext] = []

    def make(**kwargs: Any) -> BrowserContext:
        options = {"base_url": base_url, "viewport": viewport, **kwargs}
        context = new_context(**options)
        SHOPS[context] = options["base_url"]
        if kwargs.get("java_script_enabled") is False:
            Audit.without_javascript.add(context)
        if traced:
            context.tracing.start(
                title=slugify(request.node.nodeid), snapshots=True, screenshots=False
            )
        made.append(context)
        return context

    yield make  # type: ignore[misc]
    if not made or not _failed_so_far(request.node):
        for context in made if traced else ():
            with suppress(Error):
                context.tracing.stop()
        return
    folder = artifacts_folder(request.node)
    kept = request.node.stash.setdefault(_KEPT, [])
    if config.stash[_OWN_SCREENSHOTS] and config.getoption("--screenshot") == "off":
        pages = [page for context in made for page in context.pages]
        for index, page in enumerate(pages, start=1):
            path = folder / f"test-failed-{index}.png"
            with suppress(Error):
                page.screenshot(path=path, full_page=True, timeout=5_000)
                kept.append(("screenshot", path))
    for index, context in enumerate(made if traced else (), start=1):
        path = folder / ("trace.zip" if len(made) == 1 else f"trace-{index}.zip")
        with suppress(Error):
            context.tracing.stop(path=path)
            kept.append(("trace", path))


def _failed_so_far(item: pytest.Item) -> bool:
    """The flow failed (pytest-playwright's reports of its phases, on the item)."""
    call = getattr(item, "rep_call", None)
    if call is not None:
        return bool(call.failed)
    setup = getattr(item, "rep_setup", None)
    return setup is None or bool(setup.failed)


@pytest.fixture
def fresh_page(new_context: CreateContextCallback, fresh_server: Server) -> Page:
    """A page in a new browser context whose relative URLs go to `fresh_server`."""
    return new_context(base_url=fresh_server.url).new_page()


@pytest.fixture
def plain_page(new_context: CreateContextCallback) -> Page:
    """A page with JavaScript off: plain forms and full pages."""
    return new_context(java_script_enabled=False).new_page()


@pytest.fixture
def admin(new_context: CreateContextCallback) -> Admin:
    """The merchant, signed in, in a browser of their own."""
    return Admin.sign_in(new_context().new_page())


# --- products of a flow's own ---------------------------------------------------------------


@dataclass
class OwnProducts:
    """Products a flow creates for itself; all deleted when the flow ends, pass or fail."""

    names: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    """The address of each one's editor (/admin/products/<id>), once created."""

    def new(self, admin: Admin, what: str, base_price: str = "1000.00") -> Editor:
        """A draft named "QA e2e <what> <random>"; `editor.slug` is its web address."""
        name, slug = scratch_name(what)
        self.names.append(name)
        editor = admin.new_product(name, slug, base_price)
        self.editors.append(urlsplit(editor.page.url).path)
        return editor

    def build(self, admin: Admin, what: str, base_price: str = "1000.00") -> ProductForms:
        """Like `new`, through the editor's forms without pages (the merchant's session of
        `admin`): for a flow about something else than building it. `admin.editor(built)`
        opens its editor."""
        name, slug = scratch_name(what)
        self.names.append(name)
        built = ProductForms.create(admin.page, name, slug, base_price)
        self.editors.append(built.path)
        return built


def bike_with_honey_leather(admin: Admin, own_products: OwnProducts, on_hand: int) -> ProductForms:
    """A published bike of the flow's own, built through the forms: one Saddle layer with
    Classic Black (untracked) and Honey Leather (+$35.00, `on_hand` tracked, no backorders)."""
    built = own_products.build(admin, "Bike")
    built.add_layer("Saddle")
    built.add_option("Saddle", "Classic Black")
    built.add_option("Saddle", "Honey Leather", "35.00")
    built.stock_management(
        "Honey Leather", track_inventory=True, quantity=on_hand, backorders="No backorders"
    )
    built.publish()
    return built


CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def own_products(
    playwright: Playwright, browser: Browser, base_url: str, viewport: ViewportSize
) -> Generator[OwnProducts, None, None]:
    """Deleted the way the editor's "Delete product" form posts it, without a browser: the
    merchant's session of this run, the editor's page for the form's CSRF token, the post."""
    products = OwnProducts()
    yield products
    if not products.names:
        return
    cookies = session_cookies(base_url)
    if not cookies or len(products.editors) < len(products.names):
        _delete_in_a_browser(browser, base_url, viewport, products.names)
        return
    signed_in = cast("StorageState", {"cookies": cookies, "origins": []})
    api = playwright.request.new_context(base_url=base_url, storage_state=signed_in)
    try:
        for path in products.editors:
            editor = api.get(path)
            if editor.status == 404:
                continue  # the flow deleted it
            token = CSRF_FIELD.search(editor.text())
            assert editor.ok and token, f"{path}: {editor.status}, no delete form"
            deleted = api.post(
                f"{path}/delete",
                form={"_csrf_token": token.group(1), "confirm": "yes"},
                max_redirects=0,
            )
            assert deleted.headers.get("location", "").startswith("/admin?deleted="), (
                f"{path}/delete: {deleted.status} {deleted.text()[:300]}"
            )
    finally:
        api.dispose()


def _delete_in_a_browser(
    browser: Browser, base_url: str, viewport: ViewportSize, names: list[str]
) -> None:
    context = browser.new_context(base_url=base_url, viewport=viewport)
    try:
        admin = Admin.sign_in(context.new_page())
        for name in names:
            admin.dashboard()
            if admin.page.get_by_role("link", name=name, exact=True).count():
                admin.product(name).delete_product()
    finally:
        context.close()


# --- what a failure keeps -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _axe_on_every_page(pytestconfig: pytest.Config) -> Iterator[None]:
    """With --axe: the flow fails at its end if a page it reached has a serious issue."""
    Audit.enabled = bool(pytestconfig.getoption("--axe"))
    Audit.found.clear()
    yield
    found = list(Audit.found)
    Audit.found.clear()
    assert not found, "axe: serious/critical issues on pages this flow reached:\n" + "\n".join(
        found
    )


@pytest.fixture(autouse=True)
def _mark_server_logs(request: pytest.FixtureRequest) -> None:
    """Where each running server's log stands as the flow starts."""
    request.node.stash[_LOG_MARKS] = {log: log.stat().st_size for log in _SERVER_LOGS}


def artifacts_folder(item: pytest.Item) -> Path:
    """pytest-playwright's folder for this flow's trace and screenshots."""
    output = Path(str(item.config.getoption("--output"))).absolute()
    return output / slugify(item.nodeid)[:200]


def keep_server_logs(item: pytest.Item, folder: Path) -> list[Path]:
    """Copy what each running server logged during the flow into the folder."""
    marks = item.stash.get(_LOG_MARKS, {})
    kept = []
    for index, log in enumerate(list(_SERVER_LOGS), start=1):
        with log.open("rb") as source:
            source.seek(marks.get(log, 0))
            excerpt = source.read()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / ("server.log" if len(_SERVER_LOGS) == 1 else f"server-{index}.log")
        target.write_bytes(excerpt or b"(the server logged nothing during this flow)\n")
        kept.append(target)
    return kept


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "teardown":
        for kind, path in item.stash.get(_KEPT, []):
            report.user_properties.append((f"playwright_{kind}", _relative(path)))
        return
    if (
        report.when != "call"
        or not report.failed
        or "browser" not in getattr(item, "fixturenames", ())
    ):
        return
    folder = artifacts_folder(item)
    logs = keep_server_logs(item, folder)
    where = _relative(folder)
    lines = [
        f"Kept under {where}/ : trace.zip (trace-N.zip with several browsers), "
        "test-failed-N.png (full page)"
        + (
            ", " + ", ".join(log.name for log in logs) if logs else ", no server log (E2E_BASE_URL)"
        ),
        f"Open the trace: {_playwright()} show-trace {where}/trace.zip",
    ]
    longrepr = report.longrepr
    if isinstance(longrepr, ExceptionRepr):
        longrepr.addsection("Browser artifacts", "\n".join(lines))
    else:
        report.sections.append(("Browser artifacts", "\n".join(lines)))


def _playwright() -> str:
    found = shutil.which("playwright") or ".venv/bin/playwright"
    return _relative(Path(found)) if found.startswith("/") else found


@pytest.fixture
def shopper_contexts(new_context: CreateContextCallback) -> Callable[[int], list[BrowserContext]]:
    """`shopper_contexts(2)`: that many shoppers, each with a cart of their own."""

    def make(count: int) -> list[BrowserContext]:
        return [new_context() for _ in range(count)]

    return make


# --- named shop states (`configurator scenario NAME`) ---------------------------------------


@pytest.fixture
def backorder_demo(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A shop of its own: the demo catalog as `make run` loads it."""
    with _shop_of_its_own(request, "backorder-demo") as running:
        yield running


@pytest.fixture
def sold_out_saddle(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A shop of its own: the Honey Leather saddle at 0 on hand, no backorders."""
    with _shop_of_its_own(request, "sold-out-saddle") as running:
        yield running


@pytest.fixture
def threshold_minus_5(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A shop of its own: the bike's Out-of-Stock Threshold at -5 (Honey Leather: 8 salable)."""
    with _shop_of_its_own(request, "threshold-minus-5") as running:
        yield running


@pytest.fixture
def custom_backordering(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A shop of its own: Allow custom backordering, Gravel Tan wheels at 5 on hand."""
    with _shop_of_its_own(request, "custom-backordering") as running:
        yield running


@pytest.fixture
def empty_shop(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A shop of its own with no products."""
    with _shop_of_its_own(request, "empty-shop") as running:
        yield running
