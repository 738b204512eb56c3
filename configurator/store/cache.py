"""Per-worker caches of configurators and rendered fragments, kept honest across workers.

Stock is not catalog. Two things say whether what a worker cached is current:

- `catalog_version`, one number for what only the merchant changes (a product, layer, option
  or image as the configurator editor or a restore writes them). Every transaction that makes
  such a change bumps it before it commits (session events below, so no use case can forget);
  whatever a worker cached under an older number is dropped.
- a product's stock stamp: the quantity on hand of each of its options, read from the option
  rows themselves (one indexed query for that one product). A sale, a restock or a merchant's
  stock adjustment writes only those rows, never `catalog_version`: it leaves every cached
  configurator and fragment of every other product valid, and two checkouts of different
  products share no row. What is rendered from stock is keyed by the stamp it was rendered
  with, so a changed quantity is a new key, seen at once.

Worker processes and hosts share nothing but the database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import URL, Engine, event, inspect, text
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from configurator.store.db import FileId, SQLiteFileConnection, file_id
from configurator.store.models import CatalogVersion, Image, Layer, Option, Product

CATALOG_TABLES = (Product, Layer, Option, Image)
STOCK_COLUMNS = frozenset({"quantity"})
"""What sales, restocks and stock adjustments write: an option's quantity on hand, and only
that (`services.stock`). A change of these alone is stock, not catalog."""
VERSION_SQL = "SELECT version FROM catalog_version WHERE id = 1"
STOCK_SQL = (
    'SELECT o.id, o.quantity FROM "option" o JOIN layer ON layer.id = o.layer_id'
    " WHERE layer.product_id = :product ORDER BY o.id"
)
VERSIONS_BY_SLUG_SQL = (
    "SELECT catalog_version.version, o.id, o.quantity FROM catalog_version"
    " LEFT JOIN product ON product.slug = :slug"
    " LEFT JOIN layer ON layer.product_id = product.id"
    ' LEFT JOIN "option" o ON o.layer_id = layer.id'
    " WHERE catalog_version.id = 1 ORDER BY o.id"
)
_CHANGED = "catalog_changed"
T = TypeVar("T")

StockStamp = tuple[tuple[int, int], ...]
"""A product's (option id, quantity on hand) pairs in id order: what its stock looks like."""


def _changes_catalog(obj: object) -> bool:
    """Whether a dirty object changes the catalog: anything but an option's quantity alone."""
    if not isinstance(obj, Option):
        return True
    state = inspect(obj)
    return any(attr.key not in STOCK_COLUMNS and attr.history.has_changes() for attr in state.attrs)


def _holds_catalog_changes(session: Session) -> bool:
    if any(isinstance(obj, CATALOG_TABLES) for obj in (*session.new, *session.deleted)):
        return True
    return any(isinstance(obj, CATALOG_TABLES) and _changes_catalog(obj) for obj in session.dirty)


def _sets_stock_only(state: ORMExecuteState) -> bool:
    """An UPDATE of options that sets their quantity and nothing else (a sale, a restock)."""
    if not state.is_update or {m.class_ for m in state.all_mappers} != {Option}:
        return False
    values = getattr(state.statement, "_values", None)  # what the UPDATE sets, by column
    if not values:
        return False
    return {getattr(column, "key", column) for column in values} <= STOCK_COLUMNS


@event.listens_for(Session, "before_flush")
def _notice_catalog_objects(session: Session, _context: Any, _instances: Any) -> None:
    if _holds_catalog_changes(session):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _notice_catalog_statements(state: ORMExecuteState) -> None:
    if (
        (state.is_update or state.is_delete)
        and any(mapper.class_ in CATALOG_TABLES for mapper in state.all_mappers)
        and not _sets_stock_only(state)
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


def stock_stamp(session: Session, product_id: int) -> StockStamp:
    """A product's stock as it is now, in this session's transaction: one indexed query."""
    rows = session.execute(text(STOCK_SQL), {"product": product_id}).all()
    return tuple((int(option), int(quantity)) for option, quantity in rows)


def _versions(rows: list[Any]) -> tuple[int, StockStamp]:
    version = int(rows[0][0] or 0) if rows else 0
    stamp = tuple((int(r[1]), int(r[2])) for r in rows if r[1] is not None)
    return version, stamp


_local = threading.local()
READER_HOOKS: list[Callable[[sqlite3.Connection], None]] = []
"""Called with each new SQLite version reader (the benchmark counts its statements)."""


def read_catalog_version(engine: Engine) -> Version:
    """The current catalog version outside any transaction: one SELECT, no ORM, no BEGIN."""
    reader = _sqlite_reader(engine)
    if reader is not None:
        row = reader.execute(VERSION_SQL).fetchone()
        return (_database(engine.url, reader.file_id), int(row[0]) if row else 0)
    with engine.connect() as connection:
        value = connection.exec_driver_sql(VERSION_SQL).scalar()
    return (str(engine.url), int(value or 0))


def read_product_versions(engine: Engine, slug: str) -> tuple[Version, StockStamp]:
    """The catalog version and the stock stamp of the product at this address, in one SELECT
    outside any transaction (what the option-change fragment checks before serving from
    memory): no ORM, no BEGIN, one snapshot. A product that does not exist has no stock."""
    reader = _sqlite_reader(engine)
    if reader is not None:
        rows = reader.execute(VERSIONS_BY_SLUG_SQL, {"slug": slug}).fetchall()
        version, stamp = _versions(rows)
        return (_database(engine.url, reader.file_id), version), stamp
    with engine.connect() as connection:
        found = connection.execute(text(VERSIONS_BY_SLUG_SQL), {"slug": slug}).all()
    version, stamp = _versions(list(found))
    return (str(engine.url), version), stamp


def _sqlite_reader(engine: Engine) -> SQLiteFileConnection | None:
    """On SQLite each thread keeps one plain read-only connection for the version checks,
    cheaper than a trip through the pool; None for another database (or one in memory)."""
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
        return reader
    return None


class VersionedCache:
    """A bounded least-recently-used map whose entries belong to one catalog version."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._version: Version | None = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, version: Version, key: Hashable) -> Any | None:
        with self._lock:
            if version != self._version:
                return None
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            return None

    def put(self, version: Version, key: Hashable, value: Any) -> None:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def get_or_make(self, version: Version, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            # A miss (None) is not kept: unknown keys cannot push out the entries that matter.
            if version == self._version and value is not None:
                self._entries[key] = value
                if len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return value


__all__ = ["CatalogVersion", "StockStamp", "VersionedCache", "catalog_version", "stock_stamp"]
