"""Reading the catalog: products, and a product loaded as a pure `ConfiguratorSpec`."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date

from sqlmodel import Session, col, select

from configurator.core.availability import Backorders, OptionStock, StockSettings, StockStatus
from configurator.core.configuration import (
    MAIN_VIEW,
    ConfiguratorSpec,
    LayerImage,
    LayerSpec,
    OptionSpec,
    ViewSpec,
)
from configurator.core.promises import Delivery
from configurator.core.rules import Action, Rule
from configurator.store.cache import (
    ProductVersion,
    StockStamp,
    Version,
    VersionedCache,
    product_versions,
)
from configurator.store.models import (
    ExpectedDelivery,
    Image,
    Layer,
    Option,
    OptionViewImage,
    Product,
    ProductRule,
    ProductRuleOption,
    ProductView,
)

# Today as the shop counts days: the services and handlers ask the catalog for it.
from configurator.store.models import shop_today as shop_today


def image_url(image_id: int | None, sha256: str | None) -> str | None:
    """Images are immutable per content hash, so the URL carries it for long caching."""
    if image_id is None or sha256 is None:
        return None
    return f"/media/{image_id}?v={sha256[:12]}"


def main_image(image_id: int | None, sha256: str | None) -> tuple[LayerImage, ...]:
    if image_id is None or sha256 is None:
        return ()
    return (LayerImage(image_id, sha256),)


def parse_stock_status(value: str) -> StockStatus:
    try:
        return StockStatus(value)
    except ValueError:
        return StockStatus.IN_STOCK


def parse_backorders(value: str | None) -> Backorders | None:
    """A stored backorder choice; None (or anything unknown) means "Use global setting"."""
    try:
        return Backorders(value) if value else None
    except ValueError:
        return None


def stock_settings(product: Product) -> StockSettings:
    """A configurator's Global Settings > Stock Management, as the rules read them."""
    return StockSettings(
        stock_management=product.stock_management,
        backorders=parse_backorders(product.backorders) or Backorders.NO,
        out_of_stock_threshold=product.out_of_stock_threshold,
        only_x_left_threshold=product.only_x_left_threshold,
        notify_below=product.notify_below,
        allow_custom_backordering=product.allow_custom_backordering,
    )


def option_stock(
    option: Option, incoming: tuple[Delivery, ...] = (), today: date | None = None
) -> OptionStock:
    """An image layer's own Stock Management block, as the rules read it (with its expected
    deliveries, read on `today`)."""
    return OptionStock(
        enabled=option.stock_management,
        status=parse_stock_status(option.stock_status),
        track_inventory=option.track_inventory,
        quantity=option.quantity,
        backorders=parse_backorders(option.backorders),
        out_of_stock_threshold=option.out_of_stock_threshold,
        only_x_left_threshold=option.only_x_left_threshold,
        notify_below=option.notify_below,
        restock_timeframe=option.restock_timeframe or None,
        incoming=incoming if option.track_inventory else (),
        today=today,
    )


def expected_deliveries(
    session: Session, option_ids: Sequence[int | None]
) -> dict[int, tuple[Delivery, ...]]:
    """The expected deliveries of these options, by option id (one query)."""
    ids = [i for i in option_ids if i is not None]
    if not ids:
        return {}
    rows = session.exec(
        select(ExpectedDelivery)
        .where(col(ExpectedDelivery.option_id).in_(ids))
        .order_by(col(ExpectedDelivery.expected_on), col(ExpectedDelivery.id))
    ).all()
    found: dict[int, list[Delivery]] = {}
    for row in rows:
        assert row.id is not None
        found.setdefault(row.option_id, []).append(Delivery(row.expected_on, row.quantity, row.id))
    return {option_id: tuple(deliveries) for option_id, deliveries in found.items()}


def list_products(session: Session, *, published_only: bool = False) -> list[Product]:
    """Every product for the admin; only published ones for the storefront."""
    query = select(Product).order_by(col(Product.name))
    if published_only:
        query = query.where(col(Product.published))
    return list(session.exec(query))


def product_by_slug(session: Session, slug: str) -> Product | None:
    return session.exec(select(Product).where(Product.slug == slug)).first()


def load_spec(session: Session, product: Product) -> ConfiguratorSpec:
    """Load a product with its layers and options in two queries."""
    assert product.id is not None
    layers = list(
        session.exec(
            select(Layer)
            .where(Layer.product_id == product.id)
            .order_by(col(Layer.position), col(Layer.id))
        )
    )
    layer_ids = [la.id for la in layers]
    rows = session.exec(
        select(Option, Image.sha256)
        .join(Image, col(Image.id) == col(Option.image_id), isouter=True)
        .where(col(Option.layer_id).in_(layer_ids))
        .order_by(col(Option.position), col(Option.id))
    ).all()
    views = list(
        session.exec(
            select(ProductView)
            .where(ProductView.product_id == product.id)
            .order_by(col(ProductView.position), col(ProductView.id))
        )
    )
    view_images = _view_images(session, [view.id for view in views if view.id is not None])
    incoming = expected_deliveries(session, [option.id for option, _sha in rows])
    today = shop_today()
    options_by_layer: dict[int, list[OptionSpec]] = {la.id: [] for la in layers if la.id}
    for option, sha in rows:
        assert option.id is not None
        options_by_layer[option.layer_id].append(
            OptionSpec(
                id=option.id,
                layer_id=option.layer_id,
                name=option.name,
                sku=option.sku,
                price_delta=option.price_delta_cents,
                image_url=image_url(option.image_id, sha),
                stock=option_stock(option, incoming.get(option.id, ()), today),
                images=main_image(option.image_id, sha) + view_images.get(option.id, ()),
            )
        )
    return ConfiguratorSpec(
        rules=load_rules(session, product.id),
        product_id=product.id,
        slug=product.slug,
        name=product.name,
        description=product.description,
        base_price=product.base_price_cents,
        settings=stock_settings(product),
        published=product.published,
        views=(
            ViewSpec(MAIN_VIEW, product.main_view_name),
            *(ViewSpec(view.id, view.name) for view in views if view.id is not None),
        ),
        layers=tuple(
            LayerSpec(
                id=la.id,
                name=la.name,
                required=la.required,
                default_option_id=la.default_option_id,
                options=tuple(options_by_layer[la.id]),
            )
            for la in layers
            if la.id is not None
        ),
    )


def _view_images(session: Session, view_ids: list[int]) -> dict[int, tuple[LayerImage, ...]]:
    """Options' images for the other views, by option id (one query; none without views)."""
    if not view_ids:
        return {}
    rows = session.exec(
        select(OptionViewImage.option_id, OptionViewImage.view_id, Image.id, Image.sha256)
        .join(Image, col(Image.id) == col(OptionViewImage.image_id))
        .where(col(OptionViewImage.view_id).in_(view_ids))
    ).all()
    found: dict[int, list[LayerImage]] = {}
    for option_id, view_id, image_id, sha in rows:
        if image_id is not None:
            found.setdefault(option_id, []).append(LayerImage(image_id, sha, view_id))
    return {option_id: tuple(images) for option_id, images in found.items()}


def load_rules(session: Session, product_id: int) -> tuple[Rule, ...]:
    """A configurator's rules, oldest first. A rule none of whose options is left (they were
    deleted) never applies and is left out."""
    rows = list(
        session.exec(
            select(ProductRule, ProductRuleOption.option_id)
            .join(ProductRuleOption, col(ProductRuleOption.rule_id) == col(ProductRule.id))
            .where(ProductRule.product_id == product_id)
            .order_by(col(ProductRule.id))
        )
    )
    when: dict[int, set[int]] = {}
    found: dict[int, ProductRule] = {}
    for row, option_id in rows:
        assert row.id is not None
        found[row.id] = row
        when.setdefault(row.id, set()).add(option_id)
    rules = []
    for rule_id, row in found.items():
        try:
            action = Action(row.action)
        except ValueError:
            continue
        rules.append(
            Rule(
                rule_id,
                frozenset(when[rule_id]),
                action,
                layer_id=row.layer_id if row.option_id is None else None,
                option_id=row.option_id,
                otherwise=row.otherwise,
            )
        )
    return tuple(rules)


_SPECS = VersionedCache(size=256, name="configurators")
"""Configurators by catalog version: ((product id, product version), configurator as loaded)."""
_STOCKED = VersionedCache(size=1024)
"""Per product id, its configurator with the latest stock seen (configurator as loaded, stock,
configurator with that stock): a sale makes one new entry for that product and leaves every
other product's alone."""


def stock_of(spec: ConfiguratorSpec) -> StockStamp:
    """What the configurator shows of stock: (option id, quantity on hand), in id order."""
    return tuple(sorted((o.id, o.stock.quantity) for layer in spec.layers for o in layer.options))


def with_stock(spec: ConfiguratorSpec, stamp: StockStamp) -> ConfiguratorSpec:
    """The same configurator with these quantities on hand (options not named keep theirs)."""
    quantities = dict(stamp)

    def option(o: OptionSpec) -> OptionSpec:
        quantity = quantities.get(o.id, o.stock.quantity)
        if quantity == o.stock.quantity:
            return o
        return replace(o, stock=replace(o.stock, quantity=quantity))

    layers = tuple(replace(la, options=tuple(option(o) for o in la.options)) for la in spec.layers)
    return replace(spec, layers=layers)


def _stocked(version: Version, spec: ConfiguratorSpec, stamp: StockStamp) -> ConfiguratorSpec:
    if stamp == stock_of(spec):
        return spec
    found: tuple[ConfiguratorSpec, StockStamp, ConfiguratorSpec] | None = _STOCKED.peek(
        version, spec.product_id
    )
    if found is not None and found[0] is spec and found[1] == stamp:
        return found[2]
    stocked = with_stock(spec, stamp)
    _STOCKED.put(version, spec.product_id, (spec, stamp, stocked))
    return stocked


def _cached(version: Version, key: Hashable, product: ProductVersion) -> ConfiguratorSpec | None:
    """The configurator this worker holds for this product as the merchant last saved it,
    with the stock it has now; no I/O."""
    if product.product_id is None:
        return None
    found: tuple[tuple[int, int], ConfiguratorSpec] | None = _SPECS.peek(version, key)
    if found is None or found[0] != (product.product_id, product.version):
        return None
    return _stocked(version, found[1], product.stock)


def _spec(
    version: Version,
    key: Hashable,
    product: ProductVersion,
    load: Callable[[], ConfiguratorSpec | None],
) -> ConfiguratorSpec | None:
    if product.product_id is None:
        return None  # nothing is cached for what does not exist
    cached = _cached(version, key, product)
    if cached is not None:
        return cached
    spec = load()
    if spec is None or spec.product_id != product.product_id:
        return spec
    _SPECS.put(version, key, ((product.product_id, product.version), spec))
    return _stocked(version, spec, product.stock)


def spec_by_slug(session: Session, slug: str) -> ConfiguratorSpec | None:
    """A configurator by its web address with its stock as it is now: from this worker's
    cache while neither the catalog version nor the product's own version has moved, loaded
    fresh otherwise; one small query when cached (the versions and this product's quantities).
    Neither sales nor edits of other products touch it."""

    def load() -> ConfiguratorSpec | None:
        product = product_by_slug(session, slug)
        return load_spec(session, product) if product else None

    version, product = product_versions(session, slug=slug)
    return _spec(version, ("slug", slug), product, load)


def cached_spec_by_slug(
    version: Version, slug: str, product: ProductVersion
) -> ConfiguratorSpec | None:
    """The configurator at this address if this worker already holds it for these versions,
    with this stock; no I/O."""
    return _cached(version, ("slug", slug), product)


def spec_by_id(session: Session, product_id: int) -> ConfiguratorSpec | None:
    def load() -> ConfiguratorSpec | None:
        product = session.get(Product, product_id)
        return load_spec(session, product) if product else None

    version, product = product_versions(session, product_id=product_id)
    return _spec(version, ("id", product_id), product, load)


def get_image(session: Session, image_id: int) -> Image | None:
    return session.get(Image, image_id)
