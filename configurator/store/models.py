"""Database tables. Tables hold data; they never decide availability (see `availability`).

Money is integer cents. Alembic owns the schema: change a table here, then add a migration.
Ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL), so a cart line or a
link that names a deleted product or option can never silently point at a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class AppSetting(SQLModel, table=True):
    """Machine-wide values every worker must share (for example the signing secret)."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)


class Product(SQLModel, table=True):
    """A configurable product and its configurator's Global Settings."""

    __tablename__ = "product"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=80, unique=True, index=True)
    description: str = Field(default="", max_length=2000)
    base_price_cents: int = 0
    stock_management: bool = True
    backorders: str = Field(default="no", max_length=16)
    out_of_stock_threshold: int = 0
    only_x_left_threshold: int = 0
    notify_below: int = 1
    new_option_backorders: str | None = Field(default=None, max_length=16)
    allow_custom_backordering: bool = False
    published: bool = False
    """Shoppers see a product only once published; a new one starts as a draft."""
    version: int = 0
    """Moves with every merchant edit of this configurator (its settings, layers, options),
    in the same transaction (`store.cache`); never with a sale or a restock."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Layer(SQLModel, table=True):
    __tablename__ = "layer"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=80)
    position: int = 0
    required: bool = True
    default_option_id: int | None = None


class Image(SQLModel, table=True):
    """An uploaded (checked) PNG or SVG; stored in the database so every worker can serve it."""

    __tablename__ = "image"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    content_type: str = Field(max_length=32)
    sha256: str = Field(max_length=64, index=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Option(SQLModel, table=True):
    """An option of a layer: one image layer with its own Stock Management block."""

    __tablename__ = "option"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    layer_id: int = Field(foreign_key="layer.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=80)
    sku: str = Field(default="", max_length=64)
    price_delta_cents: int = 0
    position: int = 0
    image_id: int | None = Field(default=None, foreign_key="image.id", ondelete="SET NULL")
    stock_management: bool = False
    stock_status: str = Field(default="in_stock", max_length=16)
    track_inventory: bool = False
    quantity: int = 0
    backorders: str | None = Field(default=None, max_length=16)
    out_of_stock_threshold: int | None = None
    only_x_left_threshold: int | None = None
    notify_below: int | None = None
    # Shown with a backorder notice ("ships in 2-3 weeks"); None: nothing is promised.
    restock_timeframe: str | None = Field(default=None, max_length=80)


class Cart(SQLModel, table=True):
    """A shopper's cart; `id` is the SHA-256 of the random token in their cookie."""

    __tablename__ = "cart"
    id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class CartLine(SQLModel, table=True):
    """One configured item. Its selection is checked again whenever the cart is used."""

    __tablename__ = "cart_line"
    # Adding to a cart looks for the same build among the cart's lines: (cart, product) finds
    # it without SQLite having to guess between the two single-column indexes.
    __table_args__ = (
        Index("ix_cart_line_cart_id_product_id", "cart_id", "product_id"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    cart_id: str = Field(foreign_key="cart.id", ondelete="CASCADE", index=True)
    product_id: int = Field(index=True)
    selection: str = Field(max_length=4000)
    quantity: int = 1
    backorder_line: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class CustomerOrder(SQLModel, table=True):
    """A placed order: a snapshot, so later catalog edits do not rewrite it."""

    __tablename__ = "customer_order"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, index=True)
    token: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    customer_name: str = Field(max_length=120)
    email: str = Field(max_length=254)
    address_line1: str = Field(max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(max_length=100)
    postal_code: str = Field(max_length=20)
    country: str = Field(max_length=100)
    subtotal_cents: int
    has_backorder: bool = False
    backorder_told: bool = False
    checkout_key: str | None = Field(default=None, max_length=64, unique=True, index=True)
    status: str = Field(default="placed", max_length=16)
    cancelled_at: datetime | None = None


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id", ondelete="CASCADE", index=True)
    position: int = 0
    product_id: int | None = None
    product_name: str = Field(max_length=120)
    product_slug: str = Field(max_length=80)
    base_price_cents: int
    unit_price_cents: int
    quantity: int
    line_total_cents: int
    has_backorder: bool = False
    backorder_told: bool = False
    backorder_line: bool = False
    quantity_in_stock: int = 0
    quantity_backordered: int = 0


class OrderLineOption(SQLModel, table=True):
    __tablename__ = "order_line_option"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    order_line_id: int = Field(foreign_key="order_line.id", ondelete="CASCADE", index=True)
    position: int = 0
    layer_name: str = Field(max_length=80)
    option_name: str = Field(max_length=80)
    sku: str = Field(default="", max_length=64)
    price_delta_cents: int = 0
    backordered: bool = False
    customer_told: bool = True
    quantity_backordered: int = 0
    option_id: int | None = Field(default=None, foreign_key="option.id", ondelete="SET NULL")
    stock_taken: int = 0
    shown_to_shopper: bool | None = None
    """Whether the shopper saw this option's layer when they ordered (see
    `LayerSpec.shown_to_shopper`): the order pages list what the shopper saw then, whatever
    the catalog says now. NULL only for a row written without it (see migration 0008)."""


class StockMovement(SQLModel, table=True):
    """One change of an option's quantity on hand, with its reason. Append-only: the sum of an
    option's movements is its quantity (`configurator stock check` verifies it)."""

    __tablename__ = "stock_movement"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    option_id: int | None = Field(
        default=None, foreign_key="option.id", ondelete="SET NULL", index=True
    )
    option_name: str = Field(max_length=80)
    sku: str = Field(default="", max_length=64)
    delta: int
    quantity_after: int
    reason: str = Field(max_length=32)
    order_id: int | None = Field(default=None, foreign_key="customer_order.id", ondelete="SET NULL")
    order_number: str = Field(default="", max_length=20)
    username: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=200)
    """What else the merchant should know: the file an import came from, what a repair fixed."""
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AdminUser(SQLModel, table=True):
    __tablename__ = "admin_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=256)
    created_at: datetime = Field(default_factory=utcnow)


class AdminSession(SQLModel, table=True):
    """A signed-in merchant; `id` is the SHA-256 of the random token in their cookie."""

    __tablename__ = "admin_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="admin_user.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class LoginAttempt(SQLModel, table=True):
    """A sign-in attempt, kept a day: too many failures lock that account from that address."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    succeeded: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)


class CatalogVersion(SQLModel, table=True):
    """One row for what is truly global: it moves with a restore, a deleted image or a change
    the ORM cannot attribute to one product (see `store.cache`); never with a sale. Each
    worker reads it with the product's own version and stock, and drops what it cached when
    it moved."""

    __tablename__ = "catalog_version"
    id: int = Field(default=1, primary_key=True)
    version: int = 0
