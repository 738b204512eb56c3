"""Browser tests against the real server: `configurator serve` in a subprocess, on a fresh
SQLite file in a temporary directory, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from e2e.helpers import ADMIN_PASSWORD, VIEWPORT
from tests import live_server
from tests.live_server import Server

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-sandbox",
]


@contextmanager
def run_server() -> Iterator[Server]:
    """The real server on a fresh SQLite file; it migrates and loads the demo catalog."""
    with tempfile.TemporaryDirectory(prefix="configurator-e2e-") as tmp:
        tmp_dir = Path(tmp)
        with live_server.run_server(
            f"sqlite:///{tmp_dir / 'shop.sqlite3'}",
            tmp_dir / "server.log",
            admin_password=ADMIN_PASSWORD,
        ) as running:
            yield running


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One server for the tests that only shop (carts and orders are per browser context)."""
    with run_server() as running:
        yield running


@pytest.fixture
def fresh_server() -> Iterator[Server]:
    """A server of its own, for a test that changes the catalog or its settings."""
    with run_server() as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.exit(
            f"No Chromium at {CHROMIUM}: run `make chromium` (apt-get install chromium) "
            "or set E2E_CHROMIUM.",
            returncode=1,
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture
def fresh_page(browser: Browser, fresh_server: Server) -> Iterator[Page]:
    """A page in a new browser context whose relative URLs go to `fresh_server`."""
    context = browser.new_context(base_url=fresh_server.url, viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()
