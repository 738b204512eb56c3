"""The production stack on one machine: Debian's nginx (as rendered from deploy/nginx, on high
ports, run by this user), two app servers on different ports and one throwaway PostgreSQL.

Slow (about a minute) and it needs nginx: `make test-deploy` installs nginx and runs it with
LAYERWORKS_DEPLOY_TEST=1; a plain `pytest tests` skips it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from configurator.services import accounts
from configurator.services.demo import load_demo
from configurator.store.db import make_engine, migrate, new_session
from e2e.helpers import ADMIN_PASSWORD as E2E_ADMIN_PASSWORD
from tests.live_server import PROJECT_ROOT, Server, free_port, run_server
from tests.postgres import SERVER_OPTIONS, Cluster, start_cluster

ADMIN_PASSWORD = E2E_ADMIN_PASSWORD  # e2e.helpers.sign_in signs in with it
METRICS_TOKEN = "deploy-test-metrics-token"
NGINX_SITE = PROJECT_ROOT / "deploy" / "nginx" / "layerworks.conf"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("LAYERWORKS_DEPLOY_TEST") != "1":
        skip = pytest.mark.skip(reason="the deploy test runs with `make test-deploy`")
        for item in items:
            if "tests/deploy/" in str(item.path):
                item.add_marker(skip)


@dataclass
class Stack:
    https: str
    http: str
    cluster: Cluster
    database_url: str
    servers: list[Server]
    nginx_dir: Path
    stopped: set[int] = field(default_factory=set)

    def client(self, address: str = "127.0.0.2") -> httpx.Client:
        """A shopper's or merchant's client connecting from `address` (all of 127/8 is this
        machine; nginx's own connections to the app servers come from 127.0.0.1)."""
        transport = httpx.HTTPTransport(local_address=address, verify=False)
        return httpx.Client(base_url=self.https, transport=transport, verify=False, timeout=30)  # noqa: S501

    def scalar(self, sql: str, **params: object) -> object:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def served_by(self, request_id: str) -> int:
        """Which app server (0 or 1) logged the request with this id."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for number, server in enumerate(self.servers):
                for line in server.log.read_text(errors="replace").splitlines():
                    if request_id in line and line.startswith("{"):
                        entry = json.loads(line)
                        if entry.get("request_id") == request_id:
                            return number
            time.sleep(0.1)
        raise AssertionError(f"no app server logged request {request_id}")

    def kill(self, number: int) -> None:
        os.killpg(self.servers[number].pid, signal.SIGKILL)
        self.stopped.add(number)

    def stop_database(self) -> None:
        self.cluster._run("pg_ctl", "-D", str(self.cluster.datadir), "-m", "fast", "-w", "stop")

    def start_database(self) -> None:
        self.cluster._run(
            "pg_ctl",
            "-D",
            str(self.cluster.datadir),
            "-l",
            str(self.cluster.directory / "server.log"),
            "-o",
            f"-k {self.cluster.directory} {SERVER_OPTIONS}",
            "-w",
            "start",
        )


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "shop.crt", directory / "shop.key"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def render_site(directory: Path, *, http_port: int, https_port: int, app_ports: list[int]) -> Path:
    """deploy/nginx/layerworks.conf with this machine's values in place of the operator's."""
    cert, key = _self_signed(directory)
    site = NGINX_SITE.read_text()
    replacements = {
        "listen 80;": f"listen {http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen {https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "127.0.0.1:8001": f"127.0.0.1:{app_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{app_ports[1]}",
        "/srv/layerworks/static/": f"{PROJECT_ROOT / 'static'}/",
        "/etc/letsencrypt/live/shop.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/shop.example.com/privkey.pem": str(key),
        "/var/log/nginx/layerworks.access.log": str(directory / "access.log"),
        "root /var/www/html;": f"root {directory};",
    }
    for production, here in replacements.items():
        assert production in site, f"{production!r} is no longer in {NGINX_SITE}"
        site = site.replace(production, here)
    (directory / "layerworks.conf").write_text(site)
    # As root, nginx's workers would switch to `nobody`, who may not read this checkout.
    user = "user root;" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"""
{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/layerworks.conf;
}}
"""
    )
    return main


def _prepare_database(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    with new_session(engine) as session:
        accounts.ensure_initial_admin(session, ADMIN_PASSWORD)
        load_demo(session)
    engine.dispose()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: run `make test-deploy`, which installs it")
    directory = tmp_path_factory.mktemp("nginx")
    cluster = start_cluster()
    url = cluster.create_database("shop")
    _prepare_database(url)
    app_ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    env = {
        "TRUSTED_PROXIES": "127.0.0.1",
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_FORMAT": "json",
        "PRUNE_INTERVAL_MINUTES": "0",
        # Not CONFIGURATOR_SECURE_COOKIES: the cookies must be Secure from X-Forwarded-Proto.
    }
    with ExitStack() as stack:
        stack.callback(cluster.stop)
        servers = [
            stack.enter_context(
                run_server(
                    url,
                    directory / f"app-{number}.log",
                    admin_password=ADMIN_PASSWORD,
                    port=port,
                    env=env,
                )
            )
            for number, port in enumerate(app_ports)
        ]
        main = render_site(
            directory, http_port=http_port, https_port=https_port, app_ports=app_ports
        )
        subprocess.run([nginx, "-t", "-q", "-c", str(main)], check=True)  # noqa: S603
        process = subprocess.Popen(  # noqa: S603
            [nginx, "-c", str(main), "-g", "daemon off;"], stderr=subprocess.STDOUT
        )
        stack.callback(process.wait, 10)
        stack.callback(process.terminate)
        _wait_for(f"http://127.0.0.1:{http_port}/", process)
        yield Stack(
            https=f"https://127.0.0.1:{https_port}",
            http=f"http://127.0.0.1:{http_port}",
            cluster=cluster,
            database_url=url,
            servers=servers,
            nginx_dir=directory,
        )


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not answer")
