"""Health checks for load balancers and process supervisors: cheap, plain text, never cached,
no CSRF cookie and no access-log line (see `observe.QUIET_PATHS`)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response
from litestar.datastructures import CacheControlHeader
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from configurator.store.db import head_revision, schema_revision
from configurator.web.common import get

log = logging.getLogger("configurator.health")

NO_STORE = CacheControlHeader(no_store=True)


def _plain(text: str, status: int = HTTP_200_OK) -> Response[str]:
    return Response(text + "\n", status_code=status, media_type="text/plain")


class HealthController(Controller):
    @get("/healthz", cache_control=NO_STORE)
    async def healthz(self) -> Response[str]:
        """The process answers: no database, so a database outage never restarts workers."""
        return _plain("ok")

    @get("/readyz", cache_control=NO_STORE, sync_to_thread=True)
    def readyz(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Ready to serve: the database answers and its schema is the one this code expects
        (`configurator migrate` has run). Anything else is 503, so the balancer skips us."""
        expected = head_revision()
        try:
            found = schema_revision(request.app.state.engine)
        except Exception as exc:
            log.warning("not ready: the database does not answer: %s", str(exc).splitlines()[0:1])
            return _plain("database unavailable", HTTP_503_SERVICE_UNAVAILABLE)
        if found != expected:
            return _plain(
                f"schema at {found or 'none'}, expected {expected}: run configurator migrate",
                HTTP_503_SERVICE_UNAVAILABLE,
            )
        return _plain("ready")
