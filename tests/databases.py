"""The database backend the tests run on: SQLite files (the default) or databases in a
throwaway PostgreSQL server (TEST_DATABASE=postgresql, see tests/postgres.py)."""

from __future__ import annotations

import shutil
from typing import Protocol

import pytest
from sqlalchemy.engine import make_url

from tests.postgres import Cluster, selected_backend

BACKEND = selected_backend()


class Databases(Protocol):
    def empty(self, prefix: str = "empty") -> str:
        """The URL of a new, empty database (its name starts with prefix)."""

    def copy(self, template_url: str) -> str:
        """The URL of a new database holding what the database at template_url holds (nothing
        may be connected to it)."""

    def discard(self, url: str) -> None:
        """Delete a database made by empty() or copy() (its engines disposed)."""


class SqliteDatabases:
    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory

    def empty(self, prefix: str = "empty") -> str:
        return f"sqlite:///{self._tmp.mktemp(prefix) / 'shop.sqlite3'}"

    def copy(self, template_url: str) -> str:
        source = make_url(template_url).database
        assert source, template_url
        path = self._tmp.mktemp("shop") / "shop.sqlite3"
        shutil.copyfile(source, path)
        return f"sqlite:///{path}"

    def discard(self, url: str) -> None:
        """Left in pytest's temporary directory (the last runs are kept for a look)."""


class PostgresDatabases:
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    def empty(self, prefix: str = "empty") -> str:
        return self._cluster.create_database(self._cluster.new_name(prefix))

    def copy(self, template_url: str) -> str:
        template = make_url(template_url).database
        assert template, template_url
        return self._cluster.create_database(self._cluster.new_name("test"), template=template)

    def discard(self, url: str) -> None:
        name = make_url(url).database
        assert name, url
        self._cluster.drop_database(name)
