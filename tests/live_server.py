"""The real server in a subprocess on 127.0.0.1, for the browser, race and multi-process tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 90.0
"""Two workers importing the app on a busy 2-core machine were seen taking 39 s to answer."""


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    log: Path
    pid: int = 0
    """The server's process (and process group: `os.killpg(pid, ...)` ends its workers too)."""


def free_port() -> int:
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
    """Terminate the server's whole process group (uvicorn and its workers)."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def run_server(
    database_url: str,
    log: Path,
    *,
    admin_password: str,
    workers: int = 1,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """`python -m configurator.cli serve` against `database_url`; it migrates and loads the
    demo catalog itself when the database is empty."""
    port = port or free_port()
    environment = {
        **os.environ,
        **(env or {}),
        "DATABASE_URL": database_url,
        "CONFIGURATOR_ADMIN_PASSWORD": admin_password,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PYTHONUNBUFFERED": "1",
    }
    if "CONFIGURATOR_SECURE_COOKIES" not in (env or {}):
        environment.pop("CONFIGURATOR_SECURE_COOKIES", None)
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "configurator.cli", "serve"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_serving(url, process, log)
            yield Server(url=url, database_url=database_url, log=log, pid=process.pid)
        finally:
            _stop(process)
