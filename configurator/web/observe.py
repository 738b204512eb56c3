"""Request ids and the access log: one line per request, matched to what the shopper saw.

`Observed` wraps the whole Litestar application (routing, its 404s and 405s, exception
handlers), and the fragment front puts its own answers through `Observed.around` too, so every
response carries `X-Request-ID`, error pages print it, and each request logs one line with it.
Health checks and metric scrapes are left out of the log: a balancer probing every few seconds
would drown it."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from configurator.logs import current_request_id

REQUEST_ID_HEADER = b"x-request-id"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_WELL_FORMED_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")
_SECRET_PATH_PARAMS = ("token",)
"""Path parameters that are secrets (an order's page is reached by its token alone)."""

access_log = logging.getLogger("configurator.access")


def request_id(scope: Scope | Any) -> str | None:
    """The id `Observed` gave this request (for error pages)."""
    state = scope.get("state") or {}
    found = state.get("request_id")
    return str(found) if found else None


def _logged_path(scope: Scope) -> str:
    path = str(scope["path"])
    for name in _SECRET_PATH_PARAMS:
        value = (scope.get("path_params") or {}).get(name)
        if value:
            path = path.replace(str(value), f"[{name}]")
    return path


class Observed:
    """ASGI middleware: a request id (the proxy's, when it sends a well-formed one and
    TRUSTED_PROXIES is set, else a new one), the X-Request-ID response header, the access line."""

    def __init__(self, app: ASGIApp, *, trust_incoming_id: bool) -> None:
        self.app = app
        self.trust_incoming_id = trust_incoming_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self.around(scope, send, lambda wrapped: self.app(scope, receive, wrapped))

    def _new_id(self, scope: Scope) -> str:
        if self.trust_incoming_id:
            for name, value in scope["headers"]:
                if name == REQUEST_ID_HEADER and _WELL_FORMED_ID.fullmatch(value):
                    return value.decode()
        return secrets.token_hex(16)

    async def around(
        self, scope: Scope, send: Send, answer: Callable[[Send], Awaitable[None]]
    ) -> None:
        """Run `answer` (which sends the response) with this request's id in place."""
        rid = self._new_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        token = current_request_id.set(rid)
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER, rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await answer(send_with_id)
        finally:
            if scope["path"] not in QUIET_PATHS:
                self._log(scope, status, time.perf_counter() - started, rid)
            current_request_id.reset(token)

    @staticmethod
    def _log(scope: Scope, status: int, duration: float, rid: str) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        method = str(scope.get("method", ""))
        path = _logged_path(scope)
        client = scope.get("client")
        duration_ms = round(duration * 1000, 1)
        access_log.info(
            "%s %s %s %.1f ms %s",
            method,
            path,
            status,
            duration_ms,
            client[0] if client else "-",
            extra={
                "request_id": rid,
                "method": method,
                "path": path,
                "route": scope.get("path_template") or None,
                "status": status,
                "duration_ms": duration_ms,
                "client": client[0] if client else None,
            },
        )
