"""Where one kind of request spends its time, one request after another (no load).

`python -m benchmarks.profile ROW [--requests N]`, ROW one of: fragment (the bike's option
change, a random configuration and quantity each request, the fragment cache off), large (the
same on the 12 x 8 configurator), page (product page, first visit), add (add to cart, a new
cart each request), checkout (place an order from a prepared cart).

`make bench` measures throughput under load; this measures the cost of one request on a quiet
server, which is what an optimisation changes: first the server's CPU time per request (from
/proc, no profiler), then the same requests again under cProfile, printed as the tables of
`docs/benchmark.md`. Requests go one at a time over one keep-alive connection, so the figures
do not depend on how busy the machine is as much as throughput does.
"""

from __future__ import annotations

import argparse
import http.client
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.bench import (
    CUSTOMER,
    LARGE,
    PAGE_PATH,
    PRODUCT,
    QUANTITIES,
    BenchShop,
    StatsReader,
    _bench_env,
    _csrf_of,
    _prepare_bench_shop,
    _profile_section,
    _serve,
    _server_command,
    server_cpu_seconds,
)

Request = tuple[str, str, dict[str, str], str]


def _random_query(choices: list[tuple[str, list[str]]], rng: random.Random) -> str:
    pairs = [(name, rng.choice(values)) for name, values in choices if values]
    pairs.append(("quantity", str(rng.randint(1, QUANTITIES))))
    return urlencode(pairs)


def _requests(row: str, shop: BenchShop, url: str) -> Callable[[int], Request]:
    rng = random.Random(7)  # noqa: S311 (the same shoppers every run, not secrets)
    fragment = {"HX-Request": "true", "Accept-Encoding": "gzip"}
    if row in ("fragment", "large"):
        slug, choices = (
            (PRODUCT, shop.bike_choices)
            if row == "fragment"
            else (
                LARGE,
                shop.large_choices,
            )
        )
        return lambda _n: (
            "GET",
            f"/products/{slug}/configuration?{_random_query(choices, rng)}",
            fragment,
            "",
        )
    if row == "repeat":
        return lambda _n: ("GET", shop.fragment_path, fragment, "")
    if row == "page":
        return lambda _n: ("GET", PAGE_PATH, {"Accept-Encoding": "gzip"}, "")
    cookie, csrf = _csrf_of(url)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    if row == "add":
        body = urlencode(
            {
                "product": PRODUCT,
                f"layer-{shop.wheels}": str(shop.carbon_id),
                "quantity": "1",
                "_csrf_token": csrf,
            }
        )
        return lambda _n: ("POST", "/cart/items", {**form, "Cookie": cookie}, body)
    body = urlencode({**CUSTOMER, "_csrf_token": csrf})
    return lambda n: ("POST", "/checkout", {**form, "Cookie": f"{cookie}; cart=bench-{n}"}, body)


def _send(connection: http.client.HTTPConnection, request: Request) -> int:
    method, path, headers, body = request
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _run(url: str, make: Callable[[int], Request], first: int, count: int) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    for n in range(first, first + count):
        status = _send(connection, make(n))
        if status >= 400:
            raise SystemExit(f"request {n} answered {status}")
    connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("row", choices=["fragment", "large", "repeat", "page", "add", "checkout"])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--no-profile", action="store_true", help="only the server's CPU time per request"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        shop = _prepare_bench_shop(tmp_dir, flood_only=False)
        env = _bench_env(shop.url)
        if args.row in ("fragment", "large"):
            env["BENCH_FRAGMENT_CACHE"] = "0"
        from benchmarks.bench import _free_port

        port = _free_port()
        profile = tmp_dir / "profile.pstats"
        stats = tmp_dir / "stats.json"
        env = {**env, "BENCH_STATS": str(stats)}
        if not args.no_profile:
            env["BENCH_PROFILE"] = str(profile)
        # Profiled from the start; the first pass (warm-up and the /proc figure) is cleared.
        with _serve(_server_command(port), env, port, tmp_dir / "server.log") as (url, pid):
            make = _requests(args.row, shop, url)
            reader = StatsReader(stats, pid)
            _run(url, make, 1, 50)
            reader.read(signal.SIGUSR2)
            cpu_before, started = server_cpu_seconds(pid), time.perf_counter()
            _run(url, make, 100, args.requests)
            cpu = server_cpu_seconds(pid) - cpu_before
            wall = time.perf_counter() - started
            reader.read()
        profiled = "" if args.no_profile else " under cProfile"
        print(
            f"{args.row}: {args.requests} requests one at a time{profiled}, "
            f"{wall / args.requests * 1000:.2f} ms each, server CPU "
            f"{cpu / args.requests * 1000:.2f} ms each"
        )
        if not args.no_profile:
            section = _profile_section(args.row, profile, args.requests, cpu * 1000 / args.requests)
            print("\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
