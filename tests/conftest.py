"""Fixtures every database-facing test shares: the selected backend (SQLite files, or a
throwaway PostgreSQL server with TEST_DATABASE=postgresql) and empty databases on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import BACKEND, Databases, PostgresDatabases, SqliteDatabases
from tests.postgres import Cluster, start_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL server for the whole run (only started when PostgreSQL is
    selected: TEST_DATABASE=postgresql)."""
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Databases:
    if BACKEND == "postgresql":
        return PostgresDatabases(request.getfixturevalue("postgres_cluster"))
    return SqliteDatabases(tmp_path_factory)


@pytest.fixture
def database_url(databases: Databases) -> Iterator[str]:
    """An empty database of the selected backend, for tests that migrate it themselves."""
    url = databases.empty()
    yield url
    databases.discard(url)
