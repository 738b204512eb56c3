"""Per-worker caches of configurators and rendered fragments, kept honest across workers.

Every transaction that changes a product, layer, option or image, or an option's quantity,
bumps `catalog_version` before it commits (session events below, so no use case can forget).
A request reads that one number first; whatever a worker cached under an older number is
dropped. Worker processes and hosts share nothing but the database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import URL, Engine, event, text
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from configurator.store.db import FileId, SQLiteFileConnection, file_id
from configurator.store.models import CatalogVersion, Image, Layer, Option, Product

CATALOG_TABLES = (Product, Layer, Option, Image)
VERSION_SQL = "SELECT version FROM catalog_version WHERE id = 1"
_CHANGED = "catalog_changed"
T = TypeVar("T")


def _holds_catalog_changes(session: Session) -> bool:
    pending = (*session.new, *session.dirty, *session.deleted)
    return any(isinstance(obj, CATALOG_TABLES) for obj in pending)


@event.listens_for(Session, "before_flush")
def _notice_catalog_objects(session: Session, _context: Any, _instances: Any) -> None:
    if _holds_catalog_changes(session):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _notice_catalog_statements(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in CATALOG_TABLES for mapper in state.all_mappers
    ):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump_catalog_version(session: Session) -> None:
    # commit() calls this before its own flush, so look at what is still pending too.
    if session.info.pop(_CHANGED, False) or _holds_catalog_changes(session):
        session.execute(text("UPDATE catalog_version SET version = version + 1 WHERE id = 1"))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


Version = tuple[str, int]
"""Which database (a worker may serve only one, tests use many) and its catalog version."""


def _database(url: URL, opened_file: FileId | None) -> str:
    """Which database: its URL, and for SQLite which file (one restored from a backup is
    another database, whatever its version number says)."""
    return f"{url}#{opened_file[0]}:{opened_file[1]}" if opened_file else str(url)


def catalog_version(session: Session) -> Version:
    """The current version: one small query, no ORM."""
    value = session.execute(text(VERSION_SQL)).scalar()
    dbapi_connection = session.connection().connection.dbapi_connection
    opened_file = getattr(dbapi_connection, "file_id", None)
    return (_database(session.connection().engine.url, opened_file), int(value or 0))


_local = threading.local()
READER_HOOKS: list[Callable[[sqlite3.Connection], None]] = []
"""Called with each new SQLite version reader (the benchmark counts its statements)."""


def read_catalog_version(engine: Engine) -> Version:
    """The current version outside any transaction (what the option-change fragment checks
    before serving from memory): one SELECT, no ORM, no BEGIN. On SQLite each thread keeps one
    plain read-only connection for it, cheaper than a trip through the pool."""
    url = str(engine.url)
    path = engine.url.database
    if engine.dialect.name == "sqlite" and path and path != ":memory:":
        readers: dict[str, SQLiteFileConnection] = _local.__dict__.setdefault("readers", {})
        reader = readers.get(url)
        if reader is not None and reader.file_id != file_id(path):
            # The file was deleted or replaced: read the one that is there now, if any.
            del readers[url]
            reader.close()
            reader = None
        if reader is None:
            opened_file = file_id(path)
            reader = sqlite3.connect(
                f"file:{quote(path)}?mode=ro",
                uri=True,
                isolation_level=None,
                factory=SQLiteFileConnection,
            )
            reader.file_id = opened_file
            for hook in READER_HOOKS:
                hook(reader)
            readers[url] = reader
        row = reader.execute(VERSION_SQL).fetchone()
        return (_database(engine.url, reader.file_id), int(row[0]) if row else 0)
    with engine.connect() as connection:
        value = connection.exec_driver_sql(VERSION_SQL).scalar()
    return (url, int(value or 0))


CACHES: dict[str, VersionedCache] = {}
"""Every named cache of this process, so `make bench` can read how often each one helped."""


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    stores: int
    entries: int


def cache_stats() -> dict[str, CacheStats]:
    """Counters of every named cache since the process started. Read without the locks (plain
    integers), so this is safe from a signal handler; a figure may lag by one request."""
    return {name: cache.stats() for name, cache in CACHES.items()}


class VersionedCache:
    """A bounded least-recently-used map whose entries belong to one catalog version.

    It counts its hits, misses and stores (see `cache_stats`); a size of 0 keeps nothing."""

    def __init__(self, size: int, name: str | None = None) -> None:
        self._size = size
        self._version: Version | None = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.stores = 0
        if name is not None:
            CACHES[name] = self

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, self.stores, len(self._entries))

    def resize(self, size: int) -> None:
        """Keep at most `size` entries from now on (0: keep nothing, every lookup a miss)."""
        with self._lock:
            self._size = size
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, version: Version, key: Hashable) -> Any | None:
        with self._lock:
            if version != self._version:
                self.misses += 1
                return None
            if key in self._entries:
                self.hits += 1
                self._entries.move_to_end(key)
                return self._entries[key]
            self.misses += 1
            return None

    def put(self, version: Version, key: Hashable, value: Any) -> None:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._store(key, value)

    def get_or_make(self, version: Version, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            if key in self._entries:
                self.hits += 1
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
            self.misses += 1
        value = make()
        with self._lock:
            # A miss (None) is not kept: unknown keys cannot push out the entries that matter.
            if version == self._version and value is not None:
                self._store(key, value)
        return value

    def _store(self, key: Hashable, value: Any) -> None:
        """Under the lock: keep the entry, dropping the least recently used beyond the size."""
        self.stores += 1
        self._entries[key] = value
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


__all__ = ["CatalogVersion", "VersionedCache", "cache_stats", "catalog_version"]
