"""`make bench`: throughput and latency of the app against the bare stack, with wrk.

One uvicorn worker on a fresh SQLite demo database, 127.0.0.1 only, the same load tool and
settings for every row. Each row is also given as a ratio to a bare Litestar endpoint that
returns a short string (the ceiling of this stack on this machine), with the database round
trips the request makes and the bytes it transfers. Then the main rows again with two workers
on a throwaway PostgreSQL server (benchmarks/postgres.py). Writes the tables to
docs/benchmark.md.
"""

from __future__ import annotations

import gzip
import os
import platform
import pstats
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import Litestar, get

from configurator.settings import PROJECT_ROOT

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
CARTS = 40_000
PRODUCT = "aero-road-bike"
PAGE_PATH = f"/products/{PRODUCT}"
ADMIN_PASSWORD = secrets.token_urlsafe(16)
CUSTOMER = {
    "customer_name": "Bench Shopper",
    "email": "bench@example.com",
    "address_line1": "1 Load Lane",
    "city": "Wrk",
    "postal_code": "12345",
    "country": "Nowhere",
}


@get("/", sync_to_thread=False)
def hello() -> str:
    return "Hello, world"


bare_app = Litestar(route_handlers=[hello])
"""The ceiling: Litestar on uvicorn answering a short string, nothing else."""


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    round_trips: int | None = None
    bytes_transferred: int | None = None
    requests: int = 0
    hit_rate: float | None = None
    """Share of requests the fragment cache answered (fragment rows only)."""
    cpu_ms: float | None = None
    """The server process's CPU time per request (user + system), from /proc."""
    database_cpu_ms: float | None = None
    """PostgreSQL's CPU time per request, all its processes (the PostgreSQL rows only)."""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(
    command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[tuple[str, int]]:
    """A server process: its address and its process id, until the block ends."""
    import time
    import urllib.request

    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(url + "/", timeout=1):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(log.read_text())
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=10)


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if found is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(
    name: str,
    url: str,
    script: Path | None = None,
    headers: list[str] | None = None,
    *,
    duration: str = DURATION,
    pid: int = 0,
) -> Result:
    """One row: wrk's figures, and with `pid` the server's CPU time per request."""
    cpu_before = server_cpu_seconds(pid) if pid else 0.0
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency"]
    for header in headers or []:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    if "Requests/sec" not in output or "Latency Distribution" not in output:
        raise RuntimeError(f"wrk did not measure {name}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    cpu_ms = (server_cpu_seconds(pid) - cpu_before) * 1000 / total if pid and total else None
    return Result(name, rps, p50, p99, errors, requests=total, cpu_ms=cpu_ms)


def _lua(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


def _prepare_carts(database: Path, wheels: int, road: int) -> None:
    """Carts ready to check out, one per checkout the benchmark may make (tokens bench-N)."""
    import hashlib
    import json

    selection = json.dumps({str(wheels): road}, separators=(",", ":"))
    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(database) as connection:
        rows = [(hashlib.sha256(f"bench-{i}".encode()).hexdigest(), now, now) for i in range(CARTS)]
        connection.executemany(
            "INSERT INTO cart (id, created_at, updated_at) VALUES (?, ?, ?)", rows
        )
        product = connection.execute(
            "SELECT id FROM product WHERE slug = ?", (PRODUCT,)
        ).fetchone()[0]
        connection.executemany(
            "INSERT INTO cart_line (cart_id, product_id, selection, quantity, backorder_line,"
            " created_at) VALUES (?, ?, ?, 1, 0, ?)",
            [(row[0], product, selection, now) for row in rows],
        )


Request = tuple[str, str, dict[str, str], dict[str, str]]


def _count_round_trips(
    database_url: str, requests: dict[str, Request]
) -> dict[str, tuple[int, int]]:
    """Round trips to the database and compressed bytes of one request of each kind."""
    from litestar.testing import TestClient
    from sqlalchemy import event

    from configurator.settings import Settings
    from configurator.store import cache
    from configurator.store.db import make_engine
    from configurator.web.app import create_app

    engine = make_engine(database_url)
    counted = {"n": 0}

    def count(_statement: str) -> None:
        counted["n"] += 1

    def trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Every statement SQLite runs for us, BEGIN and ROLLBACK included, through the ORM or
        # on a raw connection alike: each is one trip to the database.
        dbapi_connection.set_trace_callback(count)

    event.listen(engine, "connect", trace)
    cache.READER_HOOKS.append(lambda reader: reader.set_trace_callback(count))
    settings = Settings("127.0.0.1", 0, database_url, None, False)
    app = create_app(settings, engine)

    found: dict[str, tuple[int, int]] = {}
    with TestClient(app) as client:
        client.get(f"/products/{PRODUCT}")
        for name, (method, path, headers, form) in requests.items():
            for _warm in range(2):
                counted["n"] = 0
                data = (
                    {**form, "_csrf_token": client.cookies.get("csrftoken", "")} if form else None
                )
                response = client.request(
                    method,
                    path,
                    headers={"Accept-Encoding": "gzip", **headers},
                    data=data,
                    follow_redirects=False,
                )
            size = (
                len(gzip.compress(response.content))
                if response.headers.get("content-encoding") != "gzip"
                and len(response.content) >= 500
                else len(response.content)
            )
            found[name] = (counted["n"], int(response.headers.get("content-length", size)))
        # A full checkout: a cart with one item, then the one request that places the order.
        method, path, headers, form = requests["add to cart (a new cart each request)"]
        client.post(path, data={**form, "_csrf_token": client.cookies["csrftoken"]})

        def measure(name: str, path: str, headers: dict[str, str]) -> None:
            counted["n"] = 0
            response = client.get(path, headers={"Accept-Encoding": "gzip", **headers})
            length = int(response.headers.get("content-length", len(response.content)))
            found[name] = (counted["n"], length)

        # The page again with that cart (the second time: the first may load what is cached);
        # an option change nobody asked for yet (what the fragment cache misses).
        for _twice in range(2):
            measure(RETURNING_ROW, f"/products/{PRODUCT}", {})
        measure(UNCACHED_ROW, f"/products/{PRODUCT}/configuration?quantity=17", HTMX)
        counted["n"] = 0
        response = client.post(
            "/checkout",
            data={**CUSTOMER, "_csrf_token": client.cookies["csrftoken"]},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        found["full checkout (place order)"] = (counted["n"], len(response.content))
    engine.dispose()
    return found


def _first_load_bytes(base: str) -> tuple[int, list[tuple[str, int]]]:
    """Everything a first visit to the configurator page transfers, compressed as served."""
    import urllib.request

    def fetch(path: str) -> tuple[bytes, int]:
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})  # noqa: S310
        with urllib.request.urlopen(request) as response:  # noqa: S310
            raw = response.read()
            body = (
                gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
            )
            return body, len(raw)

    page, size = fetch(f"/products/{PRODUCT}")
    html = page.decode()
    parts = [("page HTML", size)]
    for path in re.findall(r'(?:href|src)="(/(?:static|media)/[^"]+)"', html):
        _, transferred = fetch(path.replace("&amp;", "&"))
        parts.append((path.split("?")[0], transferred))
    return sum(n for _, n in parts), parts


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S607
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {wrk.strip()}"
    )


FLOOD_ADDRESSES = 60
FLOOD_GUESSES = 4
"""A sign-in flood under every limit: 60 addresses, 4 wrong passwords each (5 would lock)."""
FLOOD_HEADING = "## Add to cart during a sign-in flood"


@dataclass(frozen=True)
class Latencies:
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class Flood:
    alone: Latencies
    during: Latencies
    sign_ins: int
    refused: int
    seconds: float


def _latencies(samples: list[float]) -> Latencies:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return Latencies(len(ordered), at(0.5), at(0.99), ordered[-1] * 1000)


def _sign_in_flood(base: str, cookie: str, csrf: str, add_body: str) -> Flood:
    """One shopper adding to the cart, one request after another: first alone, then while 60
    addresses (X-Forwarded-For through a trusted proxy) each send 4 wrong passwords at once."""
    import http.client
    import threading
    import time
    from urllib.parse import urlsplit

    port = urlsplit(base).port
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    def post(connection: http.client.HTTPConnection, path: str, body: str, **headers: str) -> int:
        connection.request("POST", path, body=body, headers={**form, **headers})
        response = connection.getresponse()
        response.read()
        return response.status

    def shop(until: Callable[[], bool]) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        samples: list[float] = []
        while not until():
            started = time.perf_counter()
            status = post(connection, "/cart/items", f"{add_body}&_csrf_token={csrf}")
            samples.append(time.perf_counter() - started)
            assert status in (200, 303), status
        connection.close()
        return samples

    warm_until = time.perf_counter() + 1
    shop(lambda: time.perf_counter() > warm_until)
    deadline = time.perf_counter() + 5
    alone = shop(lambda: time.perf_counter() > deadline)

    statuses: list[int] = []
    go = threading.Barrier(FLOOD_ADDRESSES + 1)

    def guesser(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        address = f"198.51.{n // 250}.{n % 250 + 1}"
        go.wait()
        for guess in range(FLOOD_GUESSES):
            body = f"username=admin&password=wrong-guess-{guess}&_csrf_token={csrf}"
            statuses.append(post(connection, "/admin/login", body, **{"X-Forwarded-For": address}))
        connection.close()

    guessers = [threading.Thread(target=guesser, args=(n,)) for n in range(FLOOD_ADDRESSES)]
    for thread in guessers:
        thread.start()
    go.wait()
    started = time.perf_counter()
    during = shop(lambda: not any(thread.is_alive() for thread in guessers))
    seconds = time.perf_counter() - started
    for thread in guessers:
        thread.join()
    return Flood(
        _latencies(alone),
        _latencies(during),
        len(statuses),
        sum(1 for status in statuses if status != 401),
        seconds,
    )


def _flood_section(flood: Flood) -> list[str]:
    ratio_p50 = flood.during.p50_ms / flood.alone.p50_ms
    ratio_p99 = flood.during.p99_ms / flood.alone.p99_ms
    verdict = "met" if max(ratio_p50, ratio_p99) <= 2 else "**not met**"
    rows = [("alone", flood.alone), ("during the flood", flood.during)]
    return [
        FLOOD_HEADING,
        "",
        f"One shopper adds to the cart, one request after another, alone for 5 s and then while "
        f"{FLOOD_ADDRESSES} addresses (X-Forwarded-For through a trusted proxy) each send "
        f"{FLOOD_GUESSES} wrong passwords at once, under every sign-in limit. "
        f"{flood.sign_ins} sign-ins in {flood.seconds:.1f} s; {flood.refused} answered other "
        f"than 401. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, one uvicorn worker, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores when it ended.",
        "",
        "| add to cart | requests | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {r.requests} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} |"
            for name, r in rows
        ),
        "",
        f"Ratio during / alone: p50 {ratio_p50:.2f}x, p99 {ratio_p99:.2f}x. Target: at most "
        f"2x, {verdict}. Sign-ins take turns on at most half the cores, "
        "each attempt counted in one short transaction before its password is checked with no "
        "transaction open. Before that (the hash computed inside the write transaction, "
        "issue #8) the same measurement on this machine gave a p50 of 4.8 s during the flood.",
        "",
    ]


NOTES_HEADING = "## What the profiles show"


def _replace_section(report: str, section: list[str], before: str = NOTES_HEADING) -> str:
    """The report with the section (its first line the heading) replaced, or added before the
    heading `before` (the hand-written notes unless told; at the end without it); the rest
    kept."""
    heading = section[0]
    start = report.find(heading)
    if start < 0:
        start = report.find(before) if before else -1
        if start < 0:
            return report.rstrip("\n") + "\n\n" + "\n".join(section)
        return report[:start] + "\n".join(section) + "\n" + report[start:]
    end = report.find("\n## ", start + len(heading))
    rest = "" if end < 0 else report[end + 1 :]
    return report[:start] + "\n".join(section) + ("\n" + rest if rest else "")


def _compose_section(builds: int) -> list[str]:
    """The section "Composing pictures of builds": benchmarks/compose.py in a process of its
    own (its peak memory is the composing's, not the benchmark's)."""
    done = subprocess.run(  # noqa: S603 (our own module, a number)
        [sys.executable, "-m", "benchmarks.compose", str(builds), "--markdown"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [*done.stdout.rstrip("\n").split("\n"), ""]


LARGE = "bench-large-configurator"
LARGE_LAYERS, LARGE_OPTIONS = 12, 8
QUANTITIES = 20
SALES_PER_SECOND = float(os.environ.get("BENCH_SALES_PER_SECOND", "5"))
PROFILE_DURATION = os.environ.get("BENCH_PROFILE_DURATION", "6s")
PROFILE_TOP = 15
SALES_FIRST_CART = 30_000
RETURNING_CART = CARTS - 1
COMPOSED_BUILDS = 1000  # different builds composed in a loop (issue #13)
RANDOM_ROW = "option change, random configuration and quantity"
UNCACHED_ROW = f"{RANDOM_ROW}, fragment cache off (rendering measured)"
RETURNING_ROW = "product page, returning shopper with a cart"
HTMX = {"HX-Request": "true"}

Choices = list[tuple[str, list[str]]]
"""Per layer: its query parameter and the values a shopper may pick for it."""


def lua_string(text: str) -> str:
    """A Lua string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def random_choices_lua(path: str, choices: Choices, quantities: int) -> str:
    """A wrk script: every request asks for `path` with a random pick in every layer and a
    random quantity from 1 to `quantities`, so no two connections walk the same addresses."""
    layers = ",\n".join(
        f"    {{{lua_string(param)}, {{{', '.join(lua_string(v) for v in values)}}}}}"
        for param, values in choices
    )
    return (
        "-- Written by benchmarks/bench.py: a random configuration and quantity per request.\n"
        f"local path = {lua_string(path)}\n"
        f"local layers = {{\n{layers}\n}}\n"
        f"local quantities = {quantities}\n"
        "seed = 0\n"
        "local threads = 0\n"
        "function setup(thread)\n"
        "    threads = threads + 1\n"
        '    thread:set("seed", threads)\n'
        "end\n"
        "function init(args)\n"
        "    math.randomseed(os.time() * 100 + seed)\n"
        "end\n"
        "function request()\n"
        "    local parts = {}\n"
        "    for i, layer in ipairs(layers) do\n"
        "        local values = layer[2]\n"
        '        parts[i] = layer[1] .. "=" .. values[math.random(#values)]\n'
        "    end\n"
        '    parts[#parts + 1] = "quantity=" .. math.random(quantities)\n'
        '    return wrk.format(nil, path .. "?" .. table.concat(parts, "&"))\n'
        "end\n"
    )


def configurations(choices: Choices) -> int:
    count = 1
    for _param, values in choices:
        count *= len(values)
    return count


def hit_rate(before: dict[str, int], after: dict[str, int], requests: int) -> float | None:
    """The share of `requests` the cache answered, from its counters before and after them (a
    request that misses is looked up again by the handler behind the microcache, so misses
    count twice; hits once, which is why hits over requests is the figure)."""
    if requests <= 0:
        return None
    return min(1.0, (after["hits"] - before["hits"]) / requests)


IDLE = ("select.epoll", "_thread.lock", "_queue.SimpleQueue", "time.sleep", "selectors")
"""Waiting, not working: the event loop's poll and idle worker threads."""


@dataclass(frozen=True)
class ProfileLine:
    function: str
    calls_per_request: float
    own_us: float
    total_us: float
    share: float


def function_label(key: tuple[str, int, str]) -> str:
    """A profile entry's function, short: `package/module.py:line(name)` or `{builtin}`."""
    path, line, name = key
    if path == "~":
        return name.replace("<", "{").replace(">", "}")
    path = re.sub(r"^.*/lib/python3\.\d+/(site-packages/)?", "", path)
    path = path.removeprefix(f"{PROJECT_ROOT}/")
    return f"{path}:{line}({name})"


def profile_lines(
    stats: pstats.Stats, requests: int, top: int, *, ours: bool = False
) -> tuple[float, list[ProfileLine]]:
    """Where the busy time went per request: the busy microseconds per request, and the
    functions with the most time of their own (waiting for work left out); with `ours`, the
    project's functions and templates with the most time including what they call."""
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    busy = {
        key: value
        for key, value in entries.items()
        if not any(idle in key[2] or idle in key[0] for idle in IDLE)
    }
    total = sum(value[2] for value in busy.values()) or 1e-9
    if ours:
        mine = {
            k: v
            for k, v in busy.items()
            if k[0].startswith(str(PROJECT_ROOT)) and "-packages/" not in k[0]
        }
        ranked = sorted(mine.items(), key=lambda item: item[1][3], reverse=True)[:top]
    else:
        ranked = sorted(busy.items(), key=lambda item: item[1][2], reverse=True)[:top]
    per = max(requests, 1)
    return total / per * 1e6, [
        ProfileLine(
            function_label(key), calls / per, own / per * 1e6, cumulative / per * 1e6, own / total
        )
        for key, (_primitive, calls, own, cumulative, _callers) in ranked
    ]


def _profile_section(name: str, path: Path, requests: int, cpu_ms: float) -> list[str]:
    stats = pstats.Stats(str(path))
    busy_us, lines = profile_lines(stats, requests, PROFILE_TOP)
    _, ours = profile_lines(stats, requests, 10, ours=True)
    return [
        f"### {name}",
        "",
        f"{requests:,} requests under cProfile after a 2 s warm-up, every thread of the "
        f"server timed by its own CPU clock (`time.thread_time`): {busy_us:,.0f} µs per "
        f"request as profiled; the kernel counted {cpu_ms * 1000:,.0f} µs of the server's CPU "
        "per request meanwhile (cProfile itself adds much of both: the shares are the "
        f"figure). The {PROFILE_TOP} functions with most time of their own (idle waits "
        "left out):",
        "",
        "| function | calls/request | own µs/request | own share | with callees µs/request |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| `{line.function}` | {line.calls_per_request:.1f} | {line.own_us:.0f} "
            f"| {line.share:.0%} | {line.total_us:.0f} |"
            for line in lines
        ),
        "",
        "The project's own functions and templates with most time, callees included:",
        "",
        "| function | calls/request | with callees µs/request |",
        "| --- | ---: | ---: |",
        *(
            f"| `{line.function}` | {line.calls_per_request:.1f} | {line.total_us:.0f} |"
            for line in ours
        ),
        "",
    ]


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StatsReader:
    """The cache counters of a server started with BENCH_STATS (benchmarks/server.py)."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path, self.pid, self.seq = path, pid, 0

    def read(self, sent: int = 0) -> dict[str, dict[str, int]]:
        """The counters now (`sent`: which signal asks for them, SIGUSR1 unless told)."""
        import json
        import signal
        import time

        self.seq += 1
        os.kill(self.pid, sent or signal.SIGUSR1)
        for _ in range(200):
            try:
                found = json.loads(self.path.read_text())
            except (OSError, ValueError):
                found = None
            if found and found["seq"] >= self.seq:
                caches: dict[str, dict[str, int]] = found["caches"]
                return caches
            time.sleep(0.05)
        raise RuntimeError("the server did not write its cache counters")


class Sales:
    """Shoppers checking out in the background at a steady rate, one after another."""

    def __init__(self, port: int, cookie: str, csrf: str, rate: float, first_cart: int) -> None:
        import threading

        self.port, self.cookie, self.csrf, self.rate = port, cookie, csrf, rate
        self.next_cart = first_cart
        self.placed = self.refused = 0
        self.seconds = 0.0
        self.durations: list[float] = []
        """Seconds each checkout took, answered to the last byte."""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import http.client
        import time
        from urllib.parse import urlencode

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode({**CUSTOMER, "_csrf_token": self.csrf})
        started = due = time.perf_counter()
        while not self.stop.is_set():
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{self.cookie}; cart=bench-{self.next_cart}",
            }
            self.next_cart += 1
            sent = time.perf_counter()
            connection.request("POST", "/checkout", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            self.durations.append(time.perf_counter() - sent)
            if response.status == 303:
                self.placed += 1
            else:
                self.refused += 1
            due += 1 / self.rate
            self.stop.wait(max(0.0, due - time.perf_counter()))
        self.seconds = time.perf_counter() - started
        connection.close()

    def __enter__(self) -> Sales:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _choices(database_url: str, slug: str) -> Choices:
    """What a shopper may pick in each layer of a product, right now."""
    from configurator.services.catalog import spec_by_slug
    from configurator.store.db import make_engine, new_session

    engine = make_engine(database_url)
    with new_session(engine) as session:
        spec = spec_by_slug(session, slug)
    engine.dispose()
    assert spec is not None, slug
    return [
        (
            f"layer-{layer.id}",
            [str(o.id) for o in layer.options if spec.availability(o).is_purchasable]
            + ([] if layer.required else ["none"]),
        )
        for layer in spec.layers
    ]


def _load_large_configurator(database_url: str) -> None:
    """12 layers of 8 options each (8^12 configurations), made and published with the
    merchant's own use cases, as the editor would."""
    from configurator.services import catalog_admin
    from configurator.store.db import make_engine, new_session

    engine = make_engine(database_url)
    with new_session(engine) as session:
        product = catalog_admin.create_product(
            session,
            {"name": "Bench Large Configurator", "slug": LARGE, "base_price": "500.00"},
        )
        assert product.id is not None
        for n in range(1, LARGE_LAYERS + 1):
            layer = catalog_admin.add_layer(
                session, product.id, {"name": f"Part {n}", "required": "on"}
            )
            assert layer.id is not None
            for m in range(1, LARGE_OPTIONS + 1):
                form = {
                    "name": f"Part {n} choice {m}",
                    "sku": f"P{n}-{m}",
                    "price_delta": f"{m}.25",
                }
                catalog_admin.add_option(session, product.id, layer.id, form, None)
        catalog_admin.publish_product(session, product.id)
    engine.dispose()


def _server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.server:create",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        # As `configurator serve` with TRUSTED_PROXIES: the sign-in flood comes through a proxy.
        "--proxy-headers",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]


def _fragment_row(
    name: str, url: str, script: Path | None, headers: list[str], stats: StatsReader
) -> Result:
    before = stats.read()["fragments"]
    result = _wrk(name, url, script, headers, pid=stats.pid)
    after = stats.read()["fragments"]
    return replace(result, hit_rate=hit_rate(before, after, result.requests))


@dataclass(frozen=True)
class BenchShop:
    """The bench's database: the demo catalog, prepared carts and the large configurator."""

    database: Path
    url: str
    wheels: int
    carbon_id: int
    bike_choices: Choices
    large_choices: Choices

    @property
    def add_body(self) -> str:
        return f"product={PRODUCT}&layer-{self.wheels}={self.carbon_id}&quantity=1"

    @property
    def fragment_path(self) -> str:
        return f"/products/{PRODUCT}/configuration?layer-{self.wheels}={self.carbon_id}"


def _prepare_bench_shop(tmp_dir: Path, *, flood_only: bool) -> BenchShop:
    from sqlmodel import select

    from configurator.cli import prepare
    from configurator.settings import Settings
    from configurator.store.db import make_engine, new_session
    from configurator.store.models import Option

    database = tmp_dir / "bench.sqlite3"
    database_url = f"sqlite:///{database}"
    prepare(Settings("127.0.0.1", 0, database_url, ADMIN_PASSWORD, False))
    engine = make_engine(database_url)
    with new_session(engine) as session:
        road = session.exec(select(Option).where(Option.sku == "WH-ROAD")).one()
        carbon = session.exec(select(Option).where(Option.sku == "WH-CARBON")).one()
        wheels, road_id, carbon_id = road.layer_id, road.id, carbon.id
    engine.dispose()
    assert road_id is not None and carbon_id is not None
    _prepare_carts(database, wheels, road_id)
    if not flood_only:
        _load_large_configurator(database_url)
    return BenchShop(
        database,
        database_url,
        wheels,
        carbon_id,
        _choices(database_url, PRODUCT),
        [] if flood_only else _choices(database_url, LARGE),
    )


def _round_trip_requests(shop: BenchShop) -> dict[str, Any]:
    return {
        "product page, first visit (no cookies)": ("GET", PAGE_PATH, {}, {}),
        "option change, one address repeated": (
            "GET",
            shop.fragment_path,
            {"HX-Request": "true"},
            {},
        ),
        "add to cart (a new cart each request)": (
            "POST",
            "/cart/items",
            {},
            {"product": PRODUCT, f"layer-{shop.wheels}": str(shop.carbon_id), "quantity": "1"},
        ),
    }


def _bench_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONFIGURATOR_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEB_CONCURRENCY": "1",
        "HOST": "127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
    }


def _choice_scripts(tmp_dir: Path, shop: BenchShop) -> tuple[Path, Path]:
    bike_lua = tmp_dir / "bike.lua"
    bike_lua.write_text(
        random_choices_lua(f"/products/{PRODUCT}/configuration", shop.bike_choices, QUANTITIES)
    )
    large_lua = tmp_dir / "large.lua"
    large_lua.write_text(
        random_choices_lua(f"/products/{LARGE}/configuration", shop.large_choices, QUANTITIES)
    )
    return bike_lua, large_lua


def _bare_row(env: dict[str, str], tmp_dir: Path, *, flood_only: bool) -> list[Result]:
    bare_port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.bench:bare_app",
        "--port",
        str(bare_port),
        "--log-level",
        "warning",
    ]
    with _serve_unless(flood_only, command, env, bare_port, tmp_dir / "bare.log") as (
        bare,
        bare_pid,
    ):
        return [_wrk("bare Litestar endpoint", bare + "/", pid=bare_pid)] if bare else []


def _csrf_of(app: str) -> tuple[str, str]:
    """A token the CSRF middleware accepts: the cookie a page load sets, and the same value in
    the form, as a browser sends it."""
    import urllib.request

    with urllib.request.urlopen(app + PAGE_PATH) as response:  # noqa: S310
        cookie = str(response.headers["set-cookie"]).split(";", 1)[0]
    return cookie, cookie.split("=", 1)[1]


@dataclass
class AppRows:
    results: list[Result]
    total: int
    parts: list[tuple[str, int]]
    placed: int
    sales: Sales
    flood: Flood
    add_script: Path
    cookie: str

    @property
    def add_headers(self) -> list[str]:
        return [f"Cookie: {self.cookie}", "Accept-Encoding: gzip"]

    @property
    def htmx_headers(self) -> list[str]:
        return [*self.add_headers, "HX-Request: true"]


def _app_rows(
    shop: BenchShop, env: dict[str, str], tmp_dir: Path, scripts: tuple[Path, Path]
) -> AppRows:
    """Every row of the app with its caches on, in one server, in the order shoppers load it."""
    bike_lua, large_lua = scripts
    app_port = _free_port()
    stats_file = tmp_dir / "stats-app.json"
    with _serve(
        _server_command(app_port),
        {**env, "BENCH_STATS": str(stats_file)},
        app_port,
        tmp_dir / "app.log",
    ) as (app, pid):
        cookie, csrf = _csrf_of(app)
        stats = StatsReader(stats_file, pid)
        gzip_header = "Accept-Encoding: gzip"
        common = [f"Cookie: {cookie}", gzip_header]
        htmx = [*common, "HX-Request: true"]
        total, parts = _first_load_bytes(app)
        results = [
            _wrk(
                "product page, first visit (no cookies)",
                app + PAGE_PATH,
                None,
                [gzip_header],
                pid=pid,
            ),
            _wrk(
                RETURNING_ROW,
                app + PAGE_PATH,
                None,
                [f"Cookie: {cookie}; cart=bench-{RETURNING_CART}", gzip_header],
                pid=pid,
            ),
            _fragment_row(
                "option change, one address repeated", app + shop.fragment_path, None, htmx, stats
            ),
        ]
        random_row = "option change, random configuration and quantity"
        results.append(_fragment_row(random_row, app + "/", bike_lua, htmx, stats))
        with Sales(app_port, cookie, csrf, SALES_PER_SECOND, SALES_FIRST_CART) as sales:
            during = _fragment_row(
                f"{random_row}, while shoppers check out", app + "/", bike_lua, htmx, stats
            )
        results.append(during)
        results.append(
            _fragment_row(
                f"{random_row}, large configurator ({LARGE_LAYERS} layers x "
                f"{LARGE_OPTIONS} options)",
                app + "/",
                large_lua,
                htmx,
                stats,
            )
        )
        add = _lua(
            tmp_dir / "add.lua",
            f'''
            wrk.method = "POST"
            wrk.body = "{shop.add_body}&_csrf_token={csrf}"
            wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        ''',
        )
        results.append(
            _wrk("add to cart (a new cart each request)", app + "/cart/items", add, common, pid=pid)
        )
        checkout = _checkout_lua(tmp_dir, cookie, csrf)
        results.append(_wrk("full checkout (place order)", app + "/checkout", checkout, pid=pid))
        flood = _sign_in_flood(app, cookie, csrf, shop.add_body)
        with sqlite3.connect(shop.database) as connection:
            placed = connection.execute("SELECT count(*) FROM customer_order").fetchone()[0]
    return AppRows(results, total, parts, placed, sales, flood, add, cookie)


def _uncached_row(env: dict[str, str], tmp_dir: Path, bike_lua: Path, headers: list[str]) -> Result:
    port = _free_port()
    stats_file = tmp_dir / "stats-uncached.json"
    with _serve(
        _server_command(port),
        {**env, "BENCH_STATS": str(stats_file), "BENCH_FRAGMENT_CACHE": "0"},
        port,
        tmp_dir / "uncached.log",
    ) as (uncached, pid):
        return _fragment_row(
            UNCACHED_ROW, uncached + "/", bike_lua, headers, StatsReader(stats_file, pid)
        )


def _print_server_warnings(tmp_dir: Path) -> None:
    warnings = [
        line
        for log in ("app.log", "uncached.log")
        for line in (tmp_dir / log).read_text().splitlines()
        if "WARNING" in line or "Error" in line
    ]
    for line in warnings[:5]:
        print("server:", line[:300], file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """All rows, or with `sign-in-flood` or `postgres` only that section, or with `compose
    [BUILDS]` only the section on composing pictures (the rest of docs/benchmark.md is kept as
    it was)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["postgres"]:
        return _write_postgres_only()
    if args[:1] == ["compose"]:
        return _write_only(_compose_section(int(args[1]) if len(args) > 1 else COMPOSED_BUILDS))
    flood_only = args == ["sign-in-flood"]
    with tempfile.TemporaryDirectory(prefix="configurator-bench-") as tmp:
        tmp_dir = Path(tmp)
        shop = _prepare_bench_shop(tmp_dir, flood_only=flood_only)
        env = _bench_env(shop.url)
        if flood_only:
            port = _free_port()
            with _serve(_server_command(port), env, port, tmp_dir / "app.log") as (app, _pid):
                cookie, csrf = _csrf_of(app)
                return _write_flood_only(_sign_in_flood(app, cookie, csrf, shop.add_body))
        trips = _count_round_trips(shop.url, _round_trip_requests(shop))
        scripts = _choice_scripts(tmp_dir, shop)
        results = _bare_row(env, tmp_dir, flood_only=False)
        rows = _app_rows(shop, env, tmp_dir, scripts)
        results += [*rows.results, _uncached_row(env, tmp_dir, scripts[0], rows.htmx_headers)]
        profiles = [
            _profiled(
                "option change, random configuration and quantity, fragment cache off",
                {**env, "BENCH_FRAGMENT_CACHE": "0"},
                tmp_dir,
                "/",
                scripts[0],
                rows.htmx_headers,
            ),
            _profiled(
                "add to cart (a new cart each request)",
                env,
                tmp_dir,
                "/cart/items",
                rows.add_script,
                rows.add_headers,
            ),
        ]
        _print_server_warnings(tmp_dir)
        trips["bare Litestar endpoint"] = (0, len("Hello, world"))
        results = [
            replace(r, round_trips=trips[r.name][0], bytes_transferred=trips[r.name][1])
            if r.name in trips
            else r
            for r in results
        ]
    path = PROJECT_ROOT / "docs" / "benchmark.md"
    previous = path.read_text() if path.exists() else ""
    notes = _section(previous, NOTES_HEADING)
    report = "\n".join(
        [
            _report(
                results,
                rows.total,
                rows.parts,
                rows.placed,
                rows.sales,
                shop.bike_choices,
                shop.large_choices,
            ),
            *(line for section in profiles for line in section),
            *_flood_section(rows.flood),
            *_postgres_section(results[0], previous),
            *_compose_section(COMPOSED_BUILDS),
            *notes,
        ]
    )
    print(report)
    path.parent.mkdir(exist_ok=True)
    path.write_text(report)
    return 0


def _checkout_lua(tmp_dir: Path, cookie: str, csrf: str, first: int = 0) -> Path:
    """Each request checks out a cart of its own: bench-N for N above `first`."""
    return _lua(
        tmp_dir / f"checkout-{first}.lua",
        f'''
        -- Globals on purpose: setup() runs in the main Lua state and hands each
        -- thread its own number with thread:set, which only reaches globals.
        counter = 0
        prefix = 0
        local threads = 0
        function setup(thread)
            threads = threads + 1
            thread:set("prefix", threads)
        end
        function request()
            counter = counter + 1
            local n = {first} + (counter * {THREADS}) + prefix
            local body = "customer_name=Bench+Shopper&email=bench%40example.com"
                .. "&address_line1=1+Load+Lane&city=Wrk&postal_code=12345&country=Nowhere"
                .. "&_csrf_token={csrf}"
            local headers = {{}}
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Cookie"] = "{cookie}; cart=bench-" .. n
            return wrk.format("POST", "/checkout", headers, body)
        end
    ''',
    )


def _profiled(
    name: str,
    env: dict[str, str],
    tmp_dir: Path,
    path: str,
    script: Path,
    headers: list[str],
) -> list[str]:
    """One row again on a server of its own that runs under cProfile (its figures are not
    the row's: profiling slows Python down), then where the time went."""
    port = _free_port()
    profile = tmp_dir / f"profile-{port}.pstats"
    stats = tmp_dir / f"profile-{port}.json"
    with _serve(
        _server_command(port),
        {**env, "BENCH_PROFILE": str(profile), "BENCH_STATS": str(stats)},
        port,
        tmp_dir / "profiled.log",
    ) as (url, pid):
        import signal

        reader = StatsReader(stats, pid)
        _wrk(name, url + path, script, headers, duration="2s")  # warm-up, then forgotten
        reader.read(signal.SIGUSR2)
        result = _wrk(name, url + path, script, headers, duration=PROFILE_DURATION, pid=pid)
        reader.read()  # the profile is written first
    return _profile_section(name, profile, result.requests, result.cpu_ms or 0.0)


def _section(report: str, heading: str) -> list[str]:
    """A section of a report (from its heading to the next), or nothing."""
    start = report.find(heading)
    if start < 0:
        return []
    end = report.find("\n## ", start + len(heading))
    return [*report[start : None if end < 0 else end].rstrip("\n").split("\n"), ""]


@contextmanager
def _serve_unless(
    skip: bool, command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[tuple[str, int]]:
    if skip:
        yield "", 0
        return
    with _serve(command, env, port, log) as served:
        yield served


def _postgres_section(bare: Result, previous: str) -> list[str]:
    """The PostgreSQL rows (benchmarks/postgres.py), measured now; with BENCH_POSTGRES=0 the
    section of the previous report as it was."""
    from benchmarks import postgres

    if not postgres.enabled():
        return _section(previous, postgres.HEADING)
    return postgres.section(postgres.measure(bare))


def _write_postgres_only() -> int:
    from benchmarks import postgres

    if not postgres.enabled():
        print("BENCH_POSTGRES=0: the PostgreSQL section is left as it was", file=sys.stderr)
        return 0
    section = postgres.section(postgres.measure(None))
    print("\n".join(section))
    path = PROJECT_ROOT / "docs" / "benchmark.md"
    report = path.read_text() if path.exists() else ""
    path.write_text(_replace_section(report, section, before=NOTES_HEADING))
    return 0


def _write_flood_only(flood: Flood) -> int:
    return _write_only(_flood_section(flood))


def _write_only(section: list[str]) -> int:
    print("\n".join(section))
    path = PROJECT_ROOT / "docs" / "benchmark.md"
    path.write_text(_replace_section(path.read_text() if path.exists() else "", section))
    return 0


def _report(
    results: list[Result],
    total: int,
    parts: list[tuple[str, int]],
    placed: int,
    sales: Sales,
    bike: Choices,
    large: Choices,
) -> str:
    ceiling = results[0].requests_per_second
    lines = [
        "# Benchmark",
        "",
        f"`make bench`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {_machine()}; load average "
        f"{os.getloadavg()[0]:.1f} when the rows ended (the machine is shared).",
        f"One uvicorn worker, SQLite (WAL), wrk with {THREADS} threads and {CONNECTIONS} "
        f"connections for {DURATION} per row, on 127.0.0.1. Ratios are to the bare endpoint.",
        "",
        "| request | req/s | ratio | p50 ms | p99 ms | failed | cache hits | server CPU ms "
        "| DB round trips | bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        trips = "" if r.round_trips is None else str(r.round_trips)
        size = "" if r.bytes_transferred is None else f"{r.bytes_transferred:,}"
        hits = "" if r.hit_rate is None else f"{r.hit_rate:.0%}"
        cpu = "" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {r.requests_per_second / ceiling:.2f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {hits} | {cpu} | {trips} "
            f"| {size} |"
        )

    def row(start: str, containing: str = "") -> Result:
        return next(r for r in results if r.name.startswith(start) and containing in r.name)

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    random_row = "option change, random configuration and quantity"
    fragment = next(r for r in results if r.name == random_row)
    during = row(random_row, "check out")
    big = row(random_row, "large")
    first = row("product page, first visit")
    returning = row("product page, returning")
    add = row("add to cart")
    checkout = row("full checkout")
    repeated = row("option change, one address")
    sales_rate = sales.placed / sales.seconds if sales.seconds else 0.0

    def ratio(r: Result) -> float:
        return r.requests_per_second / ceiling

    lines += [
        "",
        '"failed" counts answers other than 2xx/3xx and requests wrk gave up on after 2 s. '
        '"cache hits" is the share of the row\'s requests the fragment cache answered (its '
        'counters read from the server before and after the row); "server CPU ms" is the CPU '
        "time (user + system, from /proc) the server process used per request of the row. "
        '"DB round trips" are the statements SQLite ran for one such request (BEGIN and '
        'ROLLBACK included); "bytes" is the response body as sent (gzip where the client '
        "accepts it).",
        "",
        f"The random rows build a new query on every request (a wrk script): a random choice "
        f"among the options a shopper can pick in every layer and a quantity from 1 to "
        f"{QUANTITIES}: the bike's {configurations(bike):,} configurations x {QUANTITIES}, and "
        f"the large configurator's {configurations(large):,} x {QUANTITIES} (made with the "
        f"editor's use cases, no stock tracked). While shoppers check out, one client places "
        f"an order after another at up to {SALES_PER_SECOND:g}/s: {sales.placed} orders in "
        f"{sales.seconds:.1f} s, **{sales_rate:.1f} sales/s** ({sales.refused} refused). "
        "The row with the fragment cache off runs on a server of its own started with "
        "BENCH_FRAGMENT_CACHE=0 (benchmarks/server.py): neither the handler nor the "
        "microcache in front keeps a fragment, so every option change is rendered.",
        "",
        "Targets of issue #9 (2 cores, one worker, SQLite, wrk -c32, same run):",
        "",
        f"- option change, random configuration: at least 0.40 of bare: {ratio(fragment):.2f}, "
        f"{verdict(ratio(fragment) >= 0.4)}; p99 under 20 ms: {fragment.p99_ms:.1f} ms, "
        f"{verdict(fragment.p99_ms < 20)}",
        f"- the same while shoppers check out ({sales_rate:.1f} sales/s): at least 0.30: "
        f"{ratio(during):.2f}, {verdict(ratio(during) >= 0.3)}; p99 {during.p99_ms:.1f} ms",
        f"- the same on the large configurator: at least 0.40: {ratio(big):.2f}, "
        f"{verdict(ratio(big) >= 0.4)}; p99 under 20 ms: {big.p99_ms:.1f} ms, "
        f"{verdict(big.p99_ms < 20)}",
        f"- product page, first visit: at least 0.20: {ratio(first):.2f}, "
        f"{verdict(ratio(first) >= 0.2)}; returning shopper with a cart: "
        f"{ratio(returning):.2f}, {verdict(ratio(returning) >= 0.2)}",
        f"- add to cart: at least 600 req/s (10x django-oscar's add-to-basket): "
        f"{add.requests_per_second:,.0f}, {verdict(add.requests_per_second >= 600)}",
        f"- full checkout: at least 300/s: {checkout.requests_per_second:,.0f}, "
        f"{verdict(checkout.requests_per_second >= 300)}",
        f"- first load of the product page under 60 KB: {total / 1000:.1f} KB, "
        f"{verdict(total < 60_000)}",
        f"- fragments under 2 KB: {repeated.bytes_transferred or 0:,} bytes, "
        f"{verdict(0 < (repeated.bytes_transferred or 0) < 2_000)}",
        "",
        "wrk runs on the same two cores as the server, so every row competes with its load "
        "generator; the ratio to the bare endpoint, measured the same way in the same run, is "
        "the figure to compare between runs. The repeated single address is kept for "
        "comparison with earlier runs: it is what the microcache serves best, not what "
        "shoppers do.",
        "",
        f"Orders placed in all: {placed:,} (each a full checkout: the cart checked again, stock "
        "taken with conditional updates and movements, the order written, the cart emptied, in "
        "one transaction).",
        "",
        f"First load of the product page: **{total:,} bytes** transferred in all "
        "(compressed as served):",
        "",
    ]
    lines += [f"- {name}: {size:,} bytes" for name, size in parts]
    lines += ["", "## Profiles", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
