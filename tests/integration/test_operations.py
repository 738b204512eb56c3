"""What an operator runs the shop with: health checks, request ids, logs and metrics."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from psycopg import sql
from sqlalchemy.engine import make_url

from configurator.store.db import head_revision
from tests.databases import BACKEND, Databases, PostgresDatabases
from tests.integration.conftest import Shop


@contextmanager
def database_gone(shop: Shop, databases: Databases, tmp_path: Path) -> Iterator[None]:
    """The database stops answering new connections, then comes back (the same data)."""
    url = make_url(str(shop.engine.url))
    shop.engine.dispose()
    if BACKEND == "postgresql":
        assert isinstance(databases, PostgresDatabases)
        admin = databases._cluster.admin()
        name = sql.Identifier(url.database or "")
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        )
        try:
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
    else:
        path = Path(url.database or "")
        kept = tmp_path / "kept.sqlite3"
        os.link(path, kept)
        path.unlink()
        try:
            yield
        finally:
            os.link(kept, path)


def test_healthz_answers_without_the_database_and_sets_no_cookie(
    shop: Shop, client: TestClient[Litestar], databases: Databases, tmp_path: Path
) -> None:
    with database_gone(shop, databases, tmp_path):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok\n"
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_readyz_flips_to_503_while_the_database_is_gone_and_back(
    shop: Shop, client: TestClient[Litestar], databases: Databases, tmp_path: Path
) -> None:
    ready = client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert "set-cookie" not in ready.headers

    with database_gone(shop, databases, tmp_path):
        gone = client.get("/readyz")
        assert client.get("/healthz").status_code == 200

    assert gone.status_code == 503
    assert gone.text == "database unavailable\n"
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_until_the_schema_is_migrated(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    shop.execute("UPDATE alembic_version SET version_num = '0001'")
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.text == (
        f"schema at 0001, expected {head_revision()}: run configurator migrate\n"
    )
    shop.execute("UPDATE alembic_version SET version_num = :v", v=head_revision())
    assert client.get("/readyz").status_code == 200
