"""Per-worker caches of configurators and rendered fragments, kept honest across workers.

Stock is not catalog. Three numbers say whether what a worker cached of a product is current,
read together in one indexed SELECT (`product_versions`, `read_product_versions`):

- `product.version`, moved by every merchant edit of that configurator (its settings, layers,
  options) in the same transaction (session events below, so no use case can forget): the
  configurator is cached under it, so an edit of one product leaves the others cached.
- its stock: the quantity on hand of each of its options, read from the option rows
  themselves. A sale, a restock or a merchant's stock adjustment writes only those rows and
  bumps no version: the cached configurator gets the new quantities laid over it, and what is
  rendered from stock is keyed by the quantities it was rendered with, so a changed quantity
  is seen at once and nothing of any other product is dropped. Two checkouts of different
  products share no row.
- `catalog_version`, one row for what is truly global: a restore, a replaced or deleted image,
  a bulk statement not attributable to one product. Never written by a checkout.

The day (UTC) is part of the catalog version a worker caches under: a backorder's promised
date ("ships around 14 January") is said relative to today (a passed delivery promises
nothing, another year's date names its year), so what was cached yesterday is not served
today. Expected deliveries are catalog: changing one moves the product's version.

Worker processes and hosts share nothing but the database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, bindparam, event, inspect, text
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from configurator.store.db import FileId, SQLiteFileConnection, file_id
from configurator.store.models import (
    CatalogVersion,
    Image,
    Layer,
    Option,
    OptionViewImage,
    Product,
    ProductView,
    shop_today,
)

CATALOG_TABLES = (Product, Layer, Option, Image, ProductView, OptionViewImage)
STOCK_COLUMNS = frozenset({"quantity", "low_stock_alerted"})
"""What sales, restocks and stock adjustments write: an option's quantity on hand (and whether
the merchant was mailed that it is low, which no page shows; `services.mail`), and only that
(`services.stock`). A change of these alone is stock, not catalog."""
_VERSIONS_SQL = (
    "SELECT catalog_version.version, product.id, product.version, o.id, o.quantity"
    " FROM catalog_version"
    " LEFT JOIN product ON product.{column} = :key"
    " LEFT JOIN layer ON layer.product_id = product.id"
    ' LEFT JOIN "option" o ON o.layer_id = layer.id'
    " WHERE catalog_version.id = 1 ORDER BY o.id"
)
VERSIONS_BY_SLUG_SQL = _VERSIONS_SQL.format(column="slug")
VERSIONS_BY_ID_SQL = _VERSIONS_SQL.format(column="id")
_GLOBAL = "catalog_changed"
_PRODUCTS = "products_changed"
_LAYERS = "layers_changed"
_VIEWS = "views_changed"

StockStamp = tuple[tuple[int, int], ...]
"""A product's (option id, quantity on hand) pairs in id order: what its stock looks like."""


@dataclass(frozen=True, slots=True)
class ProductVersion:
    """What a worker checks before it uses what it cached of one product."""

    product_id: int | None
    """None: no product at that address (nothing is cached for it)."""
    version: int
    """`product.version`: moves with the merchant's edits of this configurator."""
    stock: StockStamp
    """Its options' quantities on hand: move with sales, restocks and adjustments."""


def _edited(obj: object) -> bool:
    """Whether a dirty object is a merchant's edit: anything but an option's quantity alone."""
    stock_only = STOCK_COLUMNS if isinstance(obj, Option) else frozenset()
    return any(
        attr.key not in stock_only and attr.history.has_changes() for attr in inspect(obj).attrs
    )


def _values(obj: object, key: str) -> set[int]:
    """An attribute's value now and before this flush (a layer moved to another product
    changes both)."""
    history = inspect(obj).attrs[key].history
    return {v for v in (*history.sum(), getattr(obj, key)) if isinstance(v, int)}


def _sets_stock_only(state: ORMExecuteState) -> bool:
    """An UPDATE of options that sets their quantity and nothing else (a sale, a restock)."""
    if not state.is_update or {m.class_ for m in state.all_mappers} != {Option}:
        return False
    values = getattr(state.statement, "_values", None)  # what the UPDATE sets, by column
    if not values:
        return False
    return {getattr(column, "key", column) for column in values} <= STOCK_COLUMNS


@event.listens_for(Session, "after_flush")
def _notice_edits(session: Session, _context: Any) -> None:
    """Note which products this flush edited (the new, dirty and deleted lists and every
    attribute's history still show what was flushed)."""
    products: set[int] = session.info.setdefault(_PRODUCTS, set())
    layers: set[int] = session.info.setdefault(_LAYERS, set())
    views: set[int] = session.info.setdefault(_VIEWS, set())
    changed = [
        *(o for o in (*session.new, *session.deleted) if isinstance(o, CATALOG_TABLES)),
        *(o for o in session.dirty if isinstance(o, CATALOG_TABLES) and _edited(o)),
    ]
    for obj in changed:
        if isinstance(obj, Product) and obj.id is not None:
            products.add(obj.id)
        elif isinstance(obj, Layer | ProductView):
            products |= _values(obj, "product_id")
        elif isinstance(obj, OptionViewImage):
            views |= _values(obj, "view_id")
        elif isinstance(obj, Option):
            layers |= _values(obj, "layer_id")
        elif isinstance(obj, Image) and obj not in session.new:
            # Immutable once stored; one replaced or deleted may be shown by any product.
            session.info[_GLOBAL] = True


@event.listens_for(Session, "do_orm_execute")
def _notice_catalog_statements(state: ORMExecuteState) -> None:
    """A bulk UPDATE or DELETE of the catalog (other than quantities) is not attributed to
    products: it moves the global version."""
    if (
        (state.is_update or state.is_delete)
        and any(mapper.class_ in CATALOG_TABLES for mapper in state.all_mappers)
        and not _sets_stock_only(state)
    ):
        state.session.info[_GLOBAL] = True


_BUMP_PRODUCTS = text("UPDATE product SET version = version + 1 WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_VIEW_PRODUCTS = text("SELECT DISTINCT product_id FROM product_view WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_LAYER_PRODUCTS = text("SELECT DISTINCT product_id FROM layer WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


@event.listens_for(Session, "before_commit")
def _bump_versions(session: Session) -> None:
    """Move the version of each product this transaction edited, in it, before it commits."""
    session.flush()  # commit() flushes after this hook: flush here to see everything
    products: set[int] = session.info.pop(_PRODUCTS, set())
    layers: set[int] = session.info.pop(_LAYERS, set())
    views: set[int] = session.info.pop(_VIEWS, set())
    for query, ids in ((_LAYER_PRODUCTS, layers), (_VIEW_PRODUCTS, views)):
        if ids:
            found = session.execute(query, {"ids": sorted(ids)}).scalars()
            products |= {int(product) for product in found}
    if products:
        session.execute(_BUMP_PRODUCTS, {"ids": sorted(products)})
    if session.info.pop(_GLOBAL, False):
        session.execute(text("UPDATE catalog_version SET version = version + 1 WHERE id = 1"))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    for key in (_GLOBAL, _PRODUCTS, _LAYERS, _VIEWS):
        session.info.pop(key, None)


Version = tuple[str, int]
"""Which database (a worker may serve only one, tests use many) on which day (UTC), and its
catalog version."""


def _database(url: URL, opened_file: FileId | None) -> str:
    """Which database: its URL, and for SQLite which file (one restored from a backup is
    another database, whatever its version number says)."""
    return f"{url}#{opened_file[0]}:{opened_file[1]}" if opened_file else str(url)


def _session_database(session: Session) -> str:
    dbapi_connection = session.connection().connection.dbapi_connection
    opened_file = getattr(dbapi_connection, "file_id", None)
    return _database(session.connection().engine.url, opened_file)


def _versions(database: str, rows: Sequence[Any]) -> tuple[Version, ProductVersion]:
    """Rows of (catalog version, product id, product version, option id, quantity)."""
    first = rows[0] if rows else (0, None, 0)
    stamp = tuple((int(r[3]), int(r[4])) for r in rows if r[3] is not None)
    product = int(first[1]) if first[1] is not None else None
    today = f"{database}@{shop_today().isoformat()}"
    return (today, int(first[0] or 0)), ProductVersion(product, int(first[2] or 0), stamp)


def product_versions(
    session: Session, *, slug: str | None = None, product_id: int | None = None
) -> tuple[Version, ProductVersion]:
    """The catalog version and one product's own version and stock (by its address or its
    id), in this session's transaction: one indexed query."""
    sql = VERSIONS_BY_SLUG_SQL if product_id is None else VERSIONS_BY_ID_SQL
    key = slug if product_id is None else product_id
    rows = session.execute(text(sql), {"key": key}).all()
    return _versions(_session_database(session), rows)


_local = threading.local()
READER_HOOKS: list[Callable[[sqlite3.Connection], None]] = []
"""Called with each new SQLite version reader (the benchmark counts its statements)."""


def read_product_versions(engine: Engine, slug: str) -> tuple[Version, ProductVersion]:
    """The catalog version and the version and stock of the product at this address, in one
    SELECT outside any transaction (what the option-change fragment checks before serving
    from memory): no ORM, no BEGIN, one snapshot."""
    reader = _sqlite_reader(engine)
    if reader is not None:
        rows = reader.execute(VERSIONS_BY_SLUG_SQL, {"key": slug}).fetchall()
        return _versions(_database(engine.url, reader.file_id), rows)
    with engine.connect() as connection:
        found = connection.execute(text(VERSIONS_BY_SLUG_SQL), {"key": slug}).all()
    return _versions(str(engine.url), found)


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

    def _store(self, key: Hashable, value: Any) -> None:
        """Under the lock: keep the entry, dropping the least recently used beyond the size."""
        self.stores += 1
        self._entries[key] = value
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


__all__ = [
    "CatalogVersion",
    "ProductVersion",
    "StockStamp",
    "VersionedCache",
    "cache_stats",
    "product_versions",
]
