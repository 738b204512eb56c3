"""The PostgreSQL section of `make bench`: the same shop on a throwaway PostgreSQL server
(tests/postgres.py), served by two uvicorn workers, measured with the same wrk settings.

`python -m benchmarks.bench postgres` writes only this section of docs/benchmark.md (with the
bare endpoint measured again for the ratios); `BENCH_POSTGRES=0` leaves it out of `make bench`
where no PostgreSQL server can be installed. The cache hit rate is not given: its counters are
per process, and two workers share the requests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench import (
    ADMIN_PASSWORD,
    CONNECTIONS,
    DURATION,
    LARGE,
    PAGE_PATH,
    PRODUCT,
    RANDOM_ROW,
    THREADS,
    BenchShop,
    Latencies,
    Result,
    Sales,
    _bench_env,
    _checkout_lua,
    _choice_scripts,
    _choices,
    _csrf_of,
    _free_port,
    _latencies,
    _load_large_configurator,
    _lua,
    _serve,
    _server_command,
    _wrk,
)
from tests.postgres import SUPERUSER, Cluster, start_cluster

HEADING = "## PostgreSQL, 2 workers"
DATABASE = "bench"
WORKERS = 2
SNEAKER = "court-sneaker"
SNEAKER_SKU = "LA-WHITE"
"""The sneaker's laces: stock tracked for the bench, so each sneaker sale takes stock too."""
SNEAKER_SALES_PER_SECOND = float(os.environ.get("BENCH_SNEAKER_SALES_PER_SECOND", "10"))
BIKE_CARTS = 30_000
SNEAKER_CARTS = 10_000
SECOND_CHECKOUT_FIRST_CART = 15_000
"""The second bike checkout row checks out carts from here on (the first from 0)."""
CARTS_FROM_NUMBERS = (
    " FROM (SELECT encode(sha256(convert_to('bench-' || n, 'UTF8')), 'hex') AS id"
    " FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n) AS token"
)
"""Prepared carts' ids in SQL: the SHA-256 of their tokens bench-n, as the cart cookie gives."""
INSERT_CARTS = "INSERT INTO cart (id, created_at, updated_at) SELECT id, :now, :now" + (
    CARTS_FROM_NUMBERS
)
INSERT_LINES = (
    "INSERT INTO cart_line (cart_id, product_id, selection, quantity, backorder_line, created_at)"
    " SELECT id, :product, :selection, 1, false, :now" + CARTS_FROM_NUMBERS
)
CHECKOUT_ROW = "full checkout (place order)"
ALONGSIDE_ROW = f"{CHECKOUT_ROW}, while the sneaker sells"


def enabled() -> bool:
    """False with BENCH_POSTGRES=0 (no PostgreSQL server here)."""
    return os.environ.get("BENCH_POSTGRES", "1").strip() != "0"


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU seconds of a process and all its descendants so far, those that
    ended and were waited for included (Linux /proc; 0 elsewhere)."""
    parents: dict[int, int] = {}
    seconds: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        # utime, stime, and cutime, cstime: the children it has waited for.
        seconds[pid] = sum(int(field) for field in fields[11:15])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(seconds.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Meters:
    """The processes a row's CPU time is read from: the app's and PostgreSQL's."""

    app: int
    database: int | None = None


def _metered(
    name: str, url: str, script: Path | None, headers: list[str], meters: Meters
) -> Result:
    def cpu() -> tuple[float, float]:
        database = meters.database
        return tree_cpu_seconds(meters.app), tree_cpu_seconds(database) if database else 0.0

    (app, database) = cpu()
    result = _wrk(name, url, script, headers)
    (app_after, database_after), per = cpu(), max(result.requests, 1) / 1000
    return replace(
        result,
        cpu_ms=(app_after - app) / per,
        database_cpu_ms=(database_after - database) / per if meters.database else None,
    )


def _postmaster(cluster: Cluster) -> int:
    return int((cluster.datadir / "postmaster.pid").read_text().split("\n", 1)[0])


def _prepare_carts(
    database_url: str, first: int, count: int, product: int, selection: dict[int, int]
) -> None:
    """Carts bench-first ... ready to check out, one line of `product` each, made in SQL."""
    import json

    from sqlalchemy import text

    from configurator.store.db import make_engine
    from configurator.store.models import utcnow

    engine = make_engine(database_url)
    chosen = json.dumps({str(k): v for k, v in sorted(selection.items())}, separators=(",", ":"))
    values = {"first": first, "last": first + count - 1, "now": utcnow()}
    with engine.begin() as connection:
        connection.execute(text(INSERT_CARTS), values)
        connection.execute(text(INSERT_LINES), {**values, "product": product, "selection": chosen})
    engine.dispose()


@dataclass(frozen=True)
class Ids:
    """The demo's ids the bench's carts and requests name."""

    bike: int
    wheels: int
    road: int
    carbon: int
    sneaker: int
    laces: int
    white_laces: int


def _ids(database_url: str) -> Ids:
    from sqlmodel import select

    from configurator.store.db import make_engine, new_session
    from configurator.store.models import Layer, Option

    engine = make_engine(database_url)
    found: dict[str, tuple[int, int, int]] = {}
    with new_session(engine) as session:
        for sku in ("WH-ROAD", "WH-CARBON", SNEAKER_SKU):
            option = session.exec(select(Option).where(Option.sku == sku)).one()
            layer = session.get(Layer, option.layer_id)
            assert option.id is not None and layer is not None
            found[sku] = (layer.product_id, option.layer_id, option.id)
    engine.dispose()
    (bike, wheels, road), (_, _, carbon) = found["WH-ROAD"], found["WH-CARBON"]
    sneaker, laces, white = found[SNEAKER_SKU]
    return Ids(bike, wheels, road, carbon, sneaker, laces, white)


def _track_sneaker_laces(database_url: str) -> None:
    """The sneaker's white laces counted (as tests/integration/test_stock_is_not_catalog.py
    does), plenty of them: each sneaker sale takes stock from a row of its own."""
    from sqlalchemy import text

    from configurator.store.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE option SET stock_management = true, track_inventory = true,"
                " quantity = 1000000 WHERE sku = :sku"
            ),
            {"sku": SNEAKER_SKU},
        )
    engine.dispose()


def _prepare_shop(cluster: Cluster) -> BenchShop:
    """The demo, its carts, the large configurator, migrated and loaded as for SQLite."""
    from configurator.cli import prepare
    from configurator.settings import Settings

    url = cluster.create_database(DATABASE)
    prepare(Settings("127.0.0.1", 0, url, ADMIN_PASSWORD, False))
    ids = _ids(url)
    _prepare_carts(url, 0, BIKE_CARTS, ids.bike, {ids.wheels: ids.road})
    _prepare_carts(url, BIKE_CARTS, SNEAKER_CARTS, ids.sneaker, {ids.laces: ids.white_laces})
    _track_sneaker_laces(url)
    _load_large_configurator(url)
    return BenchShop(
        cluster.directory,
        url,
        ids.wheels,
        ids.carbon,
        _choices(url, PRODUCT),
        _choices(url, LARGE),
    )


WAITING_FOR = r"""
SELECT coalesce(
    (SELECT CASE WHEN l.relation = 'option'::regclass
                 THEN 'option ' || coalesce(
                     (SELECT sku FROM option
                      WHERE ctid = format('(%s,%s)', l.page, l.tuple)::tid), '(moved on)')
                 ELSE l.relation::regclass::text END
     FROM pg_locks AS l WHERE l.pid = a.pid AND l.locktype = 'tuple' LIMIT 1),
    a.wait_event || ' in ' || left(regexp_replace(a.query, '\s+', ' ', 'g'), 45) || '...')
FROM pg_stat_activity AS a
WHERE a.wait_event_type = 'Lock' AND a.datname = current_database()
"""
"""What each backend waiting for a lock waits for: the row (an option by its SKU) whose tuple
lock it queues for while another transaction holds the row until its commit; else what it
waits for (`transactionid`: the transaction that updated the row first) and in which
statement (PostgreSQL keeps only the first waiter for a row in its lock table)."""


class LockWaits:
    """How many of PostgreSQL's backends wait for a lock, and for which row, sampled every
    20 ms while the block runs."""

    def __init__(self, cluster: Cluster, database: str) -> None:
        import threading

        self.directory, self.database = cluster.directory, database
        self.samples = self.most = 0
        self.rows: dict[str, int] = {}
        """Per row waited for: the waiting backends summed over the samples."""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.directory), user=SUPERUSER, dbname=self.database, autocommit=True
        ) as connection:
            while not self.stop.wait(0.02):
                waiting = [str(row[0]) for row in connection.execute(WAITING_FOR).fetchall()]
                self.samples += 1
                self.most = max(self.most, len(waiting))
                for what in waiting:
                    self.rows[what] = self.rows.get(what, 0) + 1

    @property
    def mean(self) -> float:
        return sum(self.rows.values()) / self.samples if self.samples else 0.0

    def described(self) -> str:
        """'2.1 on average (at most 5): option WH-ROAD 1.9, ...', most waited for first."""
        per = max(self.samples, 1)
        rows = sorted(self.rows.items(), key=lambda item: item[1], reverse=True)
        found = ", ".join(f"`{what}` {count / per:.1f}" for what, count in rows) or "none"
        return f"{self.mean:.1f} on average (at most {self.most}): {found}"

    def __enter__(self) -> LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


@dataclass(frozen=True)
class Checkouts:
    """The two checkout rows' side measurements: lock waits, and the sneaker's sales."""

    alone: LockWaits
    during: LockWaits
    sales: Sales


@dataclass(frozen=True)
class Figures:
    results: list[Result]
    sneaker: Latencies | None
    checkouts: Checkouts
    placed: int
    server_version: str


def _bare_rows(env: dict[str, str], tmp_dir: Path, counts: tuple[int, ...]) -> list[Result]:
    """The bare endpoint with one worker (what the ratios are to) and with two."""
    rows = []
    for workers in counts:
        port = _free_port()
        command = [
            *(sys.executable, "-m", "uvicorn", "benchmarks.bench:bare_app", "--port", str(port)),
            *("--log-level", "warning", "--workers", str(workers)),
        ]
        with _serve(command, env, port, tmp_dir / f"bare-{workers}.log") as (url, pid):
            name = "bare Litestar endpoint" + ("" if workers == 1 else f", {workers} workers")
            rows.append(_metered(name, url + "/", None, [], Meters(pid)))
    return rows


def _app_rows(shop: BenchShop, cluster: Cluster, tmp_dir: Path) -> tuple[list[Result], Checkouts]:
    """Every row of the app, on two workers."""
    bike_lua, large_lua = _choice_scripts(tmp_dir, shop)
    port = _free_port()
    command = [*_server_command(port), "--workers", str(WORKERS)]
    env = {**_bench_env(shop.url), "WEB_CONCURRENCY": str(WORKERS)}
    with _serve(command, env, port, tmp_dir / "app-postgres.log") as (app, pid):
        meters = Meters(pid, _postmaster(cluster))
        cookie, csrf = _csrf_of(app)
        gzip_header = "Accept-Encoding: gzip"
        htmx = [f"Cookie: {cookie}", gzip_header, "HX-Request: true"]
        add = _lua(
            tmp_dir / "add-postgres.lua",
            f'''
            wrk.method = "POST"
            wrk.body = "{shop.add_body}&_csrf_token={csrf}"
            wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
            ''',
        )
        results = [
            _metered(
                "product page, first visit (no cookies)",
                app + PAGE_PATH,
                None,
                [gzip_header],
                meters,
            ),
            _metered(RANDOM_ROW, app + "/", bike_lua, htmx, meters),
            _metered(f"{RANDOM_ROW}, large configurator", app + "/", large_lua, htmx, meters),
            _metered(
                "add to cart (a new cart each request)",
                app + "/cart/items",
                add,
                [f"Cookie: {cookie}", gzip_header],
                meters,
            ),
        ]
        first, second = (
            _checkout_lua(tmp_dir, cookie, csrf, n) for n in (0, SECOND_CHECKOUT_FIRST_CART)
        )
        with LockWaits(cluster, DATABASE) as alone:
            results.append(_metered(CHECKOUT_ROW, app + "/checkout", first, [], meters))
        sales = Sales(port, cookie, csrf, SNEAKER_SALES_PER_SECOND, BIKE_CARTS)
        with LockWaits(cluster, DATABASE) as during, sales:
            results.append(_metered(ALONGSIDE_ROW, app + "/checkout", second, [], meters))
    return results, Checkouts(alone, during, sales)


def _print_server_warnings(log: Path) -> None:
    warnings = [
        line for line in log.read_text().splitlines() if "WARNING" in line or "Error" in line
    ]
    for line in warnings[:5]:
        print("server (PostgreSQL):", line[:300], file=sys.stderr)


def _placed(database_url: str) -> int:
    from sqlalchemy import text

    from configurator.store.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as connection:
        placed = int(connection.execute(text("SELECT count(*) FROM customer_order")).scalar_one())
    engine.dispose()
    return placed


def measure(bare: Result | None) -> Figures:
    """Start a server, load the shop, measure every row; `bare`: the one-worker bare endpoint
    already measured in this run (measured here without it)."""
    cluster = start_cluster()
    try:
        with tempfile.TemporaryDirectory(prefix="configurator-bench-pg-") as tmp:
            tmp_dir = Path(tmp)
            shop = _prepare_shop(cluster)
            counts = (WORKERS,) if bare else (1, WORKERS)
            bares = _bare_rows(_bench_env(shop.url), tmp_dir, counts)
            rows, checkouts = _app_rows(shop, cluster, tmp_dir)
            _print_server_warnings(tmp_dir / "app-postgres.log")
            shown = cluster.admin().execute("SHOW server_version").fetchone()
            version = str(shown[0]) if shown else "?"
            placed = _placed(shop.url)
    finally:
        cluster.stop()
    results = [bare or bares[0], bares[-1], *rows]
    durations = checkouts.sales.durations
    sneaker = _latencies(durations) if durations else None
    return Figures(results, sneaker, checkouts, placed, version)


def section(figures: Figures) -> list[str]:
    """The report's section: the table, then what the rows mean."""
    results = figures.results
    ceiling = results[0].requests_per_second
    lines = [
        HEADING,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores when the rows ended. "
        f"Two uvicorn workers (`--workers {WORKERS}`) on one throwaway PostgreSQL "
        f"{figures.server_version} server (tests/postgres.py: a Unix socket, fsync, "
        "synchronous_commit and full_page_writes off, so commits cost less than on a durable "
        "server), all on the same cores as wrk; the same demo, carts and large configurator "
        f"as above, wrk with {THREADS} threads and {CONNECTIONS} connections for {DURATION} "
        "per row. Ratios are to the bare endpoint with one worker, measured in the same run.",
        "",
        "| request | req/s | ratio | p50 ms | p99 ms | failed | app CPU ms | PostgreSQL CPU ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        app = "" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        database = "" if r.database_cpu_ms is None else f"{r.database_cpu_ms:.2f}"
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {r.requests_per_second / ceiling:.2f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {app} | {database} |"
        )
    return [*lines, "", *_notes(figures), ""]


def _notes(figures: Figures) -> list[str]:
    sales, sneaker = figures.checkouts.sales, figures.sneaker
    alone, during = figures.checkouts.alone, figures.checkouts.during
    bike = next(r for r in figures.results if r.name == ALONGSIDE_ROW)
    rate = sales.placed / sales.seconds if sales.seconds else 0.0
    waited = (
        f"p50 {sneaker.p50_ms:.1f} ms, p99 {sneaker.p99_ms:.1f} ms, max {sneaker.max_ms:.1f} ms"
        if sneaker
        else "none measured"
    )
    return [
        '"app CPU ms" is the CPU time of both workers (and uvicorn\'s supervisor) per request, '
        '"PostgreSQL CPU ms" that of all the server\'s processes, from /proc. The fragment '
        "cache's hit rate is left out: its counters are per worker. Every bike checkout takes "
        "stock from the same rows (the Road Classic wheels, the default frame), so bike "
        "checkouts take turns on those rows; a checkout of another product takes no row they "
        "take. Backends waiting for a lock, and the row they wait for (pg_stat_activity and "
        "pg_locks, sampled every 20 ms): during the bike's checkout row "
        f"{alone.described()}; during the next one {during.described()}.",
        "",
        f"Two products, no common row: during the last row one more client checked out "
        f"sneakers (their laces stock-tracked for this, so each sale takes stock too) one "
        f"after another at up to {SNEAKER_SALES_PER_SECOND:g}/s: {sales.placed} placed in "
        f"{sales.seconds:.1f} s ({rate:.1f}/s), {sales.refused} refused; each took {waited}, "
        f"while the bike's checkouts took p50 {bike.p50_ms:.1f} ms, p99 {bike.p99_ms:.1f} ms. "
        "Both include the queue for the two busy workers and the cores, which the two "
        "products share, so these latencies do not tell whether a sneaker checkout waited "
        "for a bike's row; tests/integration/test_stock_is_not_catalog.py "
        "(test_checkouts_of_different_products_do_not_wait_for_each_other, on PostgreSQL) "
        "does: it holds a bike checkout open just before its commit and sees a sneaker "
        f"checkout complete meanwhile. Orders placed on PostgreSQL in all: {figures.placed:,}.",
    ]
