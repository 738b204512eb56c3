"""Prometheus metrics through Litestar's plugin: requests and latency per route, and the
shop's own counters. `/metrics` exists only when METRICS_TOKEN is set, and answers only a
scraper that sends it as a bearer token.

Counters live in the process that counts them: with several uvicorn workers behind one port,
each scrape reaches one worker. Run one worker per app server (one port each, as deploy/ does)
and let Prometheus scrape every port, or set PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode) for the request and shop counters; the cache counters are per process."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.types import Receive, Scope, Send
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from configurator.store.cache import cache_stats

PREFIX = "layerworks"
UNMEASURED_PATHS = ["^/healthz$", "^/readyz$", "^/metrics$"]

PROMETHEUS = PrometheusConfig(
    app_name=PREFIX,
    prefix=PREFIX,
    # Per route ("/products/{slug}"), not per address: a label per product or order
    # token would grow without end.
    group_path=True,
    exclude=UNMEASURED_PATHS,
)

ORDERS_PLACED = Counter(f"{PREFIX}_orders_placed", "Orders written (a repeated form not again)")
BACKORDERED_UNITS = Counter(
    f"{PREFIX}_backordered_units", "Units ordered that wait for stock (ship once restocked)"
)
CHECKOUTS_REFUSED = Counter(
    f"{PREFIX}_checkouts_refused",
    "Checkouts refused: sold_out (stock ran out while placing it), cart (a line cannot be "
    "ordered as it stands: out of stock, too few left, no longer sold), empty",
    ["reason"],
)
DATABASE_UNAVAILABLE = Counter(
    f"{PREFIX}_database_unavailable", "Requests answered 503 because the database did not answer"
)


class CacheCollector(Collector):
    """Hits and misses of this process's caches, read when scraped (nothing on the hot path)."""

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        stats = cache_stats()
        hits = CounterMetricFamily(
            f"{PREFIX}_cache_hits", "Cache lookups answered", labels=["cache"]
        )
        misses = CounterMetricFamily(
            f"{PREFIX}_cache_misses", "Cache lookups missed", labels=["cache"]
        )
        entries = GaugeMetricFamily(f"{PREFIX}_cache_entries", "Entries kept", labels=["cache"])
        for name, found in sorted(stats.items()):
            hits.add_metric([name], found.hits)
            misses.add_metric([name], found.misses)
            entries.add_metric([name], found.entries)
        return [hits, misses, entries]


REGISTRY.register(CacheCollector())


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    """The fragment front records its answers with the plugin's metrics, not its middleware."""


_FRONT = PrometheusMiddleware(_nothing, PROMETHEUS)


def count_front_answer(route: str, status: int, seconds: float) -> None:
    """An answer of the fragment front, counted under the route the app would have served."""
    labels: dict[str, str | int | float] = {
        "method": "GET",
        "path": route,
        "status_code": status,
        "app_name": PROMETHEUS.app_name,
    }
    _FRONT.request_count(labels).labels(*labels.values()).inc()
    _FRONT.request_time(labels).labels(*labels.values()).observe(seconds)


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    expected = connection.app.state.settings.metrics_token
    sent = connection.headers.get("authorization", "")
    scheme, _space, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("Send the metrics token: Authorization: Bearer <token>")
    if not secrets.compare_digest(token.encode(), expected.encode()):
        raise PermissionDeniedException("Wrong metrics token")


def _plain_refusal(
    _request: Request[Any, Any, Any], exc: NotAuthorizedException | PermissionDeniedException
) -> Response[str]:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    return Response(
        f"{exc.detail}\n", status_code=exc.status_code, media_type="text/plain", headers=headers
    )


class MetricsController(PrometheusController):
    """The plugin's /metrics, behind the METRICS_TOKEN bearer token."""

    guards = [_bearer_token]
    exception_handlers = {
        NotAuthorizedException: _plain_refusal,
        PermissionDeniedException: _plain_refusal,
    }
