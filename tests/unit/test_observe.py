"""Request ids: a proxy's is kept only when it is trusted and well-formed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from configurator.web.observe import Observed


def answer_with_id(scope_headers: list[tuple[bytes, bytes]], *, trusted: bool) -> str:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": scope_headers}
    asyncio.run(Observed(app, trust_incoming_id=trusted)(scope, None, send))  # type: ignore[arg-type]
    headers = dict(sent[0]["headers"])
    assert scope["state"]["request_id"] == headers[b"x-request-id"].decode()
    return str(headers[b"x-request-id"].decode())


def test_a_trusted_proxys_id_is_kept() -> None:
    nginx_id = "5f0e3b1c9a2d4e6f8a7b6c5d4e3f2a1b"
    assert answer_with_id([(b"x-request-id", nginx_id.encode())], trusted=True) == nginx_id


@pytest.mark.parametrize(
    "sent", [b"short", b"with space and more", b"line\nbreak-injected", b"x" * 65]
)
def test_a_malformed_id_is_replaced(sent: bytes) -> None:
    found = answer_with_id([(b"x-request-id", sent)], trusted=True)
    assert found.encode() != sent
    assert len(found) == 32


def test_without_trusted_proxies_the_clients_id_is_ignored() -> None:
    sent = b"client-chosen-id-123"
    assert answer_with_id([(b"x-request-id", sent)], trusted=False).encode() != sent
