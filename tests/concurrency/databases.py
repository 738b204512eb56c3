"""A fresh, empty database for a test that runs real server processes against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
