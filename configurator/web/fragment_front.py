"""A repeated option-change fragment served straight from memory, in front of Litestar.

The fragment a shopper's option change asks for is the same for everyone who picks the same
options, so the app renders it once per catalog version and stock of that product (see
`storefront`). This small ASGI layer answers the repeats itself: one read of the catalog
version and of this one product's quantities on hand, then the cached bytes, without going
through routing, middleware and dependency injection. Anything else, a first request, or a
version or stock it has not rendered yet goes to the app as usual. It is a microcache, like a
reverse proxy's, that can never serve a stale catalog or stale stock: both are read on every
request.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import Receive, Scope, Send

from configurator.services.catalog import cached_spec_by_slug
from configurator.web.common import clean_key
from configurator.web.metrics import count_front_answer
from configurator.web.observe import Observed
from configurator.web.storefront import (
    FRONT_LOOKUP,
    FrontLookup,
    RenderedFragment,
    cached_fragment,
    current_versions,
    fragment_key,
    read_choices,
)

FRAGMENT_PATH = re.compile(r"^/products/([^/]{1,80})/configuration$")
FRAGMENT_ROUTE = "/products/{slug}/configuration"
"""The app's route for these paths: the fragment front's answers are counted under it."""


class FragmentFront:
    """The ASGI application `configurator serve` runs: the Litestar app behind this layer."""

    def __init__(self, app: Litestar, security_headers: dict[str, str]) -> None:
        self.app = app
        self._observed = Observed(app, trust_incoming_id=bool(app.state.settings.trusted_proxies))
        self._security = [(k.encode(), v.encode()) for k, v in security_headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope.get("method") == "GET":
            match = FRAGMENT_PATH.match(scope["path"])
            if match is not None:
                headers = dict(scope["headers"])
                if headers.get(b"hx-request") == b"true" and (
                    b"hx-history-restore-request" not in headers
                ):
                    started = time.perf_counter()
                    cached = await self._cached(scope, match.group(1))
                    if cached is not None:
                        gzip = b"gzip" in headers.get(b"accept-encoding", b"")
                        await self._observed.around(
                            scope, send, lambda observed: self._send(observed, cached, gzip=gzip)
                        )
                        count_front_answer(
                            FRAGMENT_ROUTE, cached.status, time.perf_counter() - started
                        )
                        return
        await self.app(scope, receive, send)

    async def _cached(self, scope: Scope, slug: str) -> RenderedFragment | None:
        """The fragment this worker already rendered for this catalog version, if any. When
        there is none, what was read on the way is handed to the app in the scope's state, so
        the app does not read it again.

        Anything that goes wrong here (the database is gone, say) is the app's to answer:
        the request goes to it, which answers with its own error page and headers."""
        try:
            key = clean_key(slug, 80)
            version, product = await current_versions(self.app.state.engine, key)
            spec = cached_spec_by_slug(version, key, product)
            if spec is None:
                return None
            query = scope["query_string"].decode("latin-1")
            choices = read_choices(spec, dict(parse_qsl(query, keep_blank_values=True)))
            found = cached_fragment(version, fragment_key(spec, product, choices))
            if found is None:
                state = scope.setdefault("state", {})
                state[FRONT_LOOKUP] = FrontLookup(slug, (version, product, spec, choices))
            return found
        except Exception:
            return None

    async def _send(self, send: Send, cached: RenderedFragment, *, gzip: bool) -> None:
        body, named = cached.body_and_headers(gzip=gzip)
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode()) for name, value in named.items()),
            *self._security,
        ]
        start: Any = {"type": "http.response.start", "status": cached.status, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
