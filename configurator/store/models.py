"""Database tables. Tables hold data; they never decide availability (see `availability`).

Money is integer cents. Alembic owns the schema: change a table here, then add a migration.
Ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL), so a cart line or a
link that names a deleted product or option can never silently point at a new one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def shop_today() -> date:
    """Today as the shop counts days (UTC): promised dates, and the caches that hold them."""
    return utcnow().date()


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
    main_view_name: str = Field(
        default="Front", max_length=40, sa_column_kwargs={"server_default": "Front"}
    )
    """What the storefront calls the view of the options' own images, once it has others."""
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
    low_stock_alerted: bool = False
    """The merchant was mailed that a sale took this option to Notify for Quantity Below; set
    again only after its quantity was above it (one alert per crossing, see `services.mail`)."""


class ProductView(SQLModel, table=True):
    """Another side the configurator is shown from (Back, Detail...); the main view is the
    options' own images."""

    __tablename__ = "product_view"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=40)
    position: int = 0


class OptionViewImage(SQLModel, table=True):
    """An option's image for one of the other views; an option without one shows nothing
    there."""

    __tablename__ = "option_view_image"
    __table_args__ = (
        UniqueConstraint("option_id", "view_id", name="uq_option_view_image_option_view"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    option_id: int = Field(foreign_key="option.id", ondelete="CASCADE", index=True)
    view_id: int = Field(foreign_key="product_view.id", ondelete="CASCADE", index=True)
    image_id: int = Field(foreign_key="image.id", ondelete="CASCADE")


class ProductRule(SQLModel, table=True):
    """Conditional logic of a configurator (`core.rules`): IF any of its options
    (`ProductRuleOption`) is chosen THEN `action` on a layer or an option, and with
    `otherwise` the reverse action when none is. Deleting the target deletes the rule."""

    __tablename__ = "product_rule"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", ondelete="CASCADE", index=True)
    action: str = Field(max_length=16)
    layer_id: int | None = Field(default=None, foreign_key="layer.id", ondelete="CASCADE")
    option_id: int | None = Field(default=None, foreign_key="option.id", ondelete="CASCADE")
    otherwise: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ProductRuleOption(SQLModel, table=True):
    """One of the options whose choice makes a rule apply."""

    __tablename__ = "product_rule_option"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="product_rule.id", ondelete="CASCADE", index=True)
    option_id: int = Field(foreign_key="option.id", ondelete="CASCADE", index=True)


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
    fulfilment: str = Field(default="ready", max_length=16, index=True)
    """Where the order stands (`core.fulfilment.Fulfilment`): derived from its lines by
    `order_fulfilment` and written in the same transaction as every change of them, so that
    lists and the dashboard can count it."""
    pending: bool = False
    """A Pending order (Global Settings > Charge policy > Charge on restock): the backordered
    items of a checkout, moved out of the main order and charged when they ship."""
    main_order_id: int | None = Field(default=None, index=True)
    """The order the same checkout placed with this Pending order (None: there was none,
    everything was backordered)."""


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
    quantity_shipped: int = 0


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
    # Indexed: a restock looks up the lines still waiting for one option (the backorder queue).
    option_id: int | None = Field(
        default=None, foreign_key="option.id", ondelete="SET NULL", index=True
    )
    stock_taken: int = 0
    quantity_allocated: int = 0
    """Of `quantity_backordered`, the units restocks have since allocated to this line."""
    shown_to_shopper: bool | None = None
    """Whether the shopper saw this option's layer when they ordered (see
    `LayerSpec.shown_to_shopper`): the order pages list what the shopper saw then, whatever
    the catalog says now. NULL only for a row written without it (see migration 0008)."""
    restock_timeframe: str | None = Field(default=None, max_length=80)
    """The option's delivery timeframe at checkout, for a backordered option ("ships in 2-3
    weeks"); NULL when nothing was promised. Later edits of the option do not change it."""
    promised_date: date | None = None
    """The date its waiting units were promised (`core.promises`): set at checkout when an
    expected delivery covers them, moved when a delivery slips, shrinks or is cancelled; NULL:
    no delivery covers them (the timeframe applies)."""
    image_id: int | None = Field(
        default=None, foreign_key="image.id", ondelete="RESTRICT", index=True
    )
    """The option's image (its main view) at checkout: the order's picture of the build is
    drawn from these, so a later image change or a deleted option leaves it as ordered. Images
    are immutable per content hash; RESTRICT keeps one an order shows from being deleted.
    NULL: the option had no image (or, before migration 0021, its option was already gone)."""


class ExpectedDelivery(SQLModel, table=True):
    """Stock the merchant expects for a tracked option: `quantity` units around `expected_on`.
    Waiting backorders are promised dates from these (`core.promises`); "Receive stock"
    counts against them, earliest first. Catalog data: changing one moves the product's
    version (the storefront's promises are cached with it)."""

    __tablename__ = "expected_delivery"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    option_id: int = Field(foreign_key="option.id", ondelete="CASCADE", index=True)
    expected_on: date
    quantity: int
    created_at: datetime = Field(default_factory=utcnow)
    username: str = Field(default="", max_length=64)


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
    order_line_id: int | None = None
    """The waiting order line a restocked unit was allocated to ("allocated")."""
    note: str = Field(default="", max_length=200)
    """What else the merchant should know: a delivery's note, the file an import came from,
    what a repair fixed."""
    username: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Shipment(SQLModel, table=True):
    """What the merchant marked shipped from an order, when, and the tracking reference."""

    __tablename__ = "shipment"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id", ondelete="CASCADE", index=True)
    tracking_reference: str = Field(default="", max_length=100)
    items: str = Field(default="", max_length=2000)
    username: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


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


class OutboxMail(SQLModel, table=True):
    """A mail to send, written in the same transaction as what caused it (an order, a restock),
    so that a mail goes out exactly when that happened; a sender delivers it later, retrying with
    backoff (`services.mail`). Kept after sending: the admin's Emails page lists them."""

    __tablename__ = "outbox_mail"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="waiting", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str = Field(default="", max_length=500)
    order_number: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None


class BackInStockRequest(SQLModel, table=True):
    """A shopper's "Notify me when back in stock" for an option that cannot be ordered. Only a
    confirmed request (its owner opened the link in the confirmation mail) gets the mail, once.
    `token_hash` is the SHA-256 of the token in that link."""

    __tablename__ = "back_in_stock_request"
    __table_args__ = (
        UniqueConstraint("option_id", "email", name="uq_back_in_stock_request_option_email"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    option_id: int = Field(foreign_key="option.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    notified_at: datetime | None = None


class ImportJob(SQLModel, table=True):
    """A stock CSV import that runs in the background (`services.import_jobs`): its check (the
    dry run), then, if the merchant applies it, the apply. The page polls it for progress.
    `id` is random (it is in the page's address); only `owner` (the merchant's username) may
    read it. `content` is the file, kept until it is applied or pruned."""

    __tablename__ = "import_job"
    id: str = Field(primary_key=True, max_length=32)
    owner: str = Field(max_length=64, index=True)
    filename: str = Field(max_length=120)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(max_length=16)
    done: int = 0
    total: int = 0
    result: str = Field(default="", sa_column=Column(Text, nullable=False))
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
