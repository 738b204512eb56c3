"""Browser tests against the real server: `configurator serve` in a subprocess, on a fresh
SQLite file in a temporary directory, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from e2e.helpers import ADMIN_PASSWORD, PROJECT_ROOT, VIEWPORT

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
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Server:
    url: str
    database: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode} before answering:\n"
                + log.read_text(errors="replace")
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer on {url} within {STARTUP_TIMEOUT_S:.0f} s:\n"
        + log.read_text(errors="replace")
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group (uvicorn and anything it started)."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def run_server() -> Iterator[Server]:
    """`python -m configurator.cli serve` on a fresh database; it migrates and loads the
    demo catalog itself."""
    with tempfile.TemporaryDirectory(prefix="configurator-e2e-") as tmp:
        tmp_dir = Path(tmp)
        database = tmp_dir / "shop.sqlite3"
        log = tmp_dir / "server.log"
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "CONFIGURATOR_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("CONFIGURATOR_SECURE_COOKIES", None)
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "configurator.cli", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_until_serving(url, process, log)
                yield Server(url=url, database=database, log=log)
            finally:
                _stop(process)


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
