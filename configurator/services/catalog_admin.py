"""Merchant use cases on the catalog: each call checks its input and commits once, or raises
`FormError` and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from sqlmodel import Session, col, func, select

from configurator.core.availability import (
    INHERITABLE,
    SETTING_LABELS,
    TIMEFRAME_MAX_LENGTH,
    Backorders,
    StockStatus,
)
from configurator.core.charging import ChargePolicyError, parse_charge_policy
from configurator.core.configuration import (
    ConfiguratorSpec,
    cheapest_price,
    parse_id,
    publication_blockers,
    published_edit_refusal,
    rules_refusal,
)
from configurator.core.images import CheckedImage
from configurator.core.money import MoneyError, format_cents, parse_cents
from configurator.core.rules import Action, Rule
from configurator.services import charging, mail, stock
from configurator.services.catalog import load_spec
from configurator.services.stock import MAX_QUANTITY_ON_HAND
from configurator.store.db import unit_of_work
from configurator.store.models import (
    Image,
    Layer,
    Option,
    OptionViewImage,
    Product,
    ProductRule,
    ProductRuleOption,
    ProductView,
    utcnow,
)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
Direction = Literal["up", "down"]


class FormError(ValueError):
    """What is wrong with a merchant's form, field by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotFound(LookupError):
    """The id does not exist, or belongs to another product."""


def _text(
    form: Mapping[str, str],
    name: str,
    label: str,
    max_length: int,
    errors: dict[str, str],
    *,
    required: bool = True,
) -> str:
    value = " ".join(str(form.get(name, "")).split())
    if required and not value:
        errors[name] = f"Enter a {label.lower()}."
    elif len(value) > max_length:
        errors[name] = f"{label} must be at most {max_length} characters."
    elif not value.isprintable():
        errors[name] = f"{label} contains characters that cannot be shown; remove them."
    return value


def _money(
    form: Mapping[str, str], name: str, errors: dict[str, str], *, allow_negative: bool
) -> int:
    try:
        return parse_cents(str(form.get(name, "")), allow_negative=allow_negative)
    except MoneyError as exc:
        errors[name] = str(exc)
        return 0


def _checkbox(form: Mapping[str, str], name: str) -> bool:
    return str(form.get(name, "")).lower() in {"on", "true", "1", "yes"}


def _guard_prices(session: Session, product: Product) -> None:
    """No configuration may ever total below zero."""
    session.flush()
    lowest = cheapest_price(load_spec(session, product))
    if lowest < 0:
        raise FormError(
            {
                "price": "With this price the cheapest configuration would cost "
                f"{format_cents(lowest)}; totals can never be negative."
            }
        )


class RefusedWhilePublished(ValueError):
    """An edit that would leave a published product unbuildable; the message says what would
    break and how to go on (`configuration.published_edit_refusal`). Nothing is written."""


def _lock_product(session: Session, product_id: int) -> Product:
    """Hold the product, inside a writing unit of work, for edits that must see its structure
    as it is (publish, and the edits `_guard_publication` checks): SQLite's write lock (taken
    by the unit of work), the product's row lock on PostgreSQL, so two deletes cannot each
    leave the other the last one."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("No such product.")
    return product


def _guard_publication(session: Session, product: Product, before: ConfiguratorSpec) -> None:
    """A published product must stay buildable after the edit just made (flushed here)."""
    session.flush()
    refusal = published_edit_refusal(before, load_spec(session, product))
    if refusal:
        raise RefusedWhilePublished(refusal)


def _touch(product: Product) -> None:
    product.updated_at = utcnow()


# Products -----------------------------------------------------------------------------


def _product_fields(
    session: Session, form: Mapping[str, str], product_id: int | None
) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(form, "name", "Name", 120, errors)
    slug = str(form.get("slug", "")).strip().lower()
    if not slug:
        errors["slug"] = "Enter a slug (the web address), for example city-bike."
    elif len(slug) > 80 or not SLUG_PATTERN.match(slug):
        errors["slug"] = "Use lowercase letters, digits and single dashes, at most 80 characters."
    else:
        clash = session.exec(select(Product.id).where(Product.slug == slug)).first()
        if clash is not None and clash != product_id:
            errors["slug"] = "Another product already uses this slug."
    description = _text(form, "description", "Description", 2000, errors, required=False)
    price = _money(form, "base_price", errors, allow_negative=False)
    fields: dict[str, object] = {
        "name": name,
        "slug": slug,
        "description": description,
        "base_price_cents": price,
    }
    return fields, errors


def create_product(session: Session, form: Mapping[str, str]) -> Product:
    with unit_of_work(session, write=True):
        fields, errors = _product_fields(session, form, None)
        if errors:
            raise FormError(errors)
        # The global backorder choice starts at "No backorders" (Lightspeed's default: off), and
        # options added later follow it ("Use global setting", Magento's "Use Config Settings")
        # until the merchant overrides one: seed 000's steps then give what the help page says.
        product = Product(
            **fields,  # type: ignore[arg-type]
            stock_management=True,
            backorders=Backorders.NO.value,
            new_option_backorders=None,
        )
        session.add(product)
        return product


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("No such product.")
    return product


def update_product(session: Session, product_id: int, form: Mapping[str, str]) -> Product:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        fields, errors = _product_fields(session, form, product_id)
        if errors:
            raise FormError(errors)
        for key, value in fields.items():
            setattr(product, key, value)
        _touch(product)
        session.add(product)
        _guard_prices(session, product)
        return product


class NotPublishable(ValueError):
    """The configurator cannot go live yet; `missing` says what it lacks."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(" ".join(missing))
        self.missing = missing


def publish_product(session: Session, product_id: int) -> Product:
    """Put a draft on the storefront, once a shopper could build it; refused otherwise, with
    what is missing (nothing written)."""
    with unit_of_work(session, write=True):
        product = _lock_product(session, product_id)
        missing = publication_blockers(load_spec(session, product))
        if missing:
            raise NotPublishable(missing)
        if not product.published:
            product.published = True
            _touch(product)
            session.add(product)
        return product


def unpublish_product(session: Session, product_id: int) -> Product:
    """Back to draft: shoppers get 404, carts holding it say it is no longer sold."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        if product.published:
            product.published = False
            _touch(product)
            session.add(product)
        return product


def delete_product(session: Session, product_id: int) -> None:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        session.delete(product)


THRESHOLD_RANGE = (-1_000_000, 1_000_000)


def _whole_number(
    form: Mapping[str, str],
    name: str,
    label: str,
    errors: dict[str, str],
    *,
    minimum: int,
    maximum: int,
    blank_means: int | None = None,
) -> int | None:
    """A whole number from a form; blank gives `blank_means` (None: "Use global setting")."""
    text = str(form.get(name, "")).strip()
    if not text:
        return blank_means
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        errors[name] = f"{label} must be a whole number, for example 5 or -10."
        return blank_means
    value = int(text)
    if not minimum <= value <= maximum:
        errors[name] = f"{label} must be between {minimum:,} and {maximum:,}."
        return blank_means
    return value


def _thresholds(
    form: Mapping[str, str], errors: dict[str, str], *, blank_means: int | None
) -> tuple[int | None, int | None, int | None]:
    """Out-of-Stock Threshold, "Only X left" threshold and Notify for Quantity Below, as Global
    Settings (blank is 0) and an option (blank is "Use global setting") both read them."""
    low, high = THRESHOLD_RANGE
    return (
        _whole_number(
            form,
            "out_of_stock_threshold",
            SETTING_LABELS["out_of_stock_threshold"],
            errors,
            minimum=low,
            maximum=high,
            blank_means=blank_means,
        ),
        _whole_number(
            form,
            "only_x_left_threshold",
            SETTING_LABELS["only_x_left_threshold"],
            errors,
            minimum=0,
            maximum=high,
            blank_means=blank_means,
        ),
        _whole_number(
            form,
            "notify_below",
            SETTING_LABELS["notify_below"],
            errors,
            minimum=low,
            maximum=high,
            blank_means=blank_means,
        ),
    )


def _backorder_choice(
    form: Mapping[str, str], name: str, errors: dict[str, str], *, inherit: bool
) -> Backorders | None:
    value = str(form.get(name, "")).strip()
    if not value and inherit:
        return None
    try:
        return Backorders(value)
    except ValueError:
        errors[name] = "Choose one of the backorder settings offered."
        return None


def update_global_settings(session: Session, product_id: int, form: Mapping[str, str]) -> Product:
    """Global Settings > Stock Management, and the shop's Charge policy. The backorder choice
    and thresholds are kept but have no effect while stock management is off (the availability
    rules say so)."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        errors: dict[str, str] = {}
        backorders = _backorder_choice(form, "backorders", errors, inherit=False)
        new_option_backorders = _backorder_choice(
            form, "new_option_backorders", errors, inherit=True
        )
        threshold, only_x_left, notify_below = _thresholds(form, errors, blank_means=0)
        charge_policy = None
        if "charge_policy" in form:  # the whole shop's; a form without it leaves it as it is
            try:
                charge_policy = parse_charge_policy(form["charge_policy"])
            except ChargePolicyError as exc:
                errors["charge_policy"] = str(exc)
        if errors:
            raise FormError(errors)
        assert backorders is not None
        if charge_policy is not None:
            charging.write_charge_policy(session, charge_policy)
        product.stock_management = _checkbox(form, "stock_management")
        product.backorders = backorders.value
        product.new_option_backorders = (
            new_option_backorders.value if new_option_backorders else None
        )
        product.out_of_stock_threshold = threshold or 0
        product.only_x_left_threshold = only_x_left or 0
        product.notify_below = notify_below or 0
        product.allow_custom_backordering = _checkbox(form, "allow_custom_backordering")
        _touch(product)
        session.add(product)
        return product


# Layers -------------------------------------------------------------------------------


def get_layer(session: Session, product_id: int, layer_id: int) -> Layer:
    layer = session.get(Layer, layer_id)
    if layer is None or layer.product_id != product_id:
        raise NotFound("No such layer in this product.")
    return layer


def add_layer(session: Session, product_id: int, form: Mapping[str, str]) -> Layer:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        errors: dict[str, str] = {}
        name = _text(form, "name", "Layer name", 80, errors)
        if errors:
            raise FormError(errors)
        last = session.exec(
            select(func.max(Layer.position)).where(Layer.product_id == product_id)
        ).one()
        layer = Layer(
            product_id=product_id,
            name=name,
            position=(last or 0) + 1,
            required=_checkbox(form, "required"),
        )
        session.add(layer)
        _touch(product)
        return layer


def update_layer(
    session: Session, product_id: int, layer_id: int, form: Mapping[str, str]
) -> Layer:
    with unit_of_work(session, write=True):
        product = _lock_product(session, product_id)
        layer = get_layer(session, product_id, layer_id)
        before = load_spec(session, product)
        errors: dict[str, str] = {}
        name = _text(form, "name", "Layer name", 80, errors)
        raw_default = str(form.get("default_option_id", "")).strip()
        default_id: int | None = None
        if raw_default:
            option_id = parse_id(raw_default)
            option = session.get(Option, option_id) if option_id is not None else None
            if option is None or option.layer_id != layer.id:
                errors["default_option_id"] = "Choose one of this layer's options."
            else:
                default_id = option.id
        required = _checkbox(form, "required")
        if required and default_id is None and "default_option_id" not in errors:
            first = _options_of(session, layer_id)
            default_id = first[0].id if first else None
        if errors:
            raise FormError(errors)
        layer.name = name
        layer.required = required
        layer.default_option_id = default_id
        _touch(product)
        session.add(layer)
        _guard_publication(session, product, before)
        _guard_prices(session, product)
        return layer


def _options_of(session: Session, layer_id: int) -> list[Option]:
    return list(
        session.exec(
            select(Option)
            .where(Option.layer_id == layer_id)
            .order_by(col(Option.position), col(Option.id))
        )
    )


def _layers_of(session: Session, product_id: int) -> list[Layer]:
    return list(
        session.exec(
            select(Layer)
            .where(Layer.product_id == product_id)
            .order_by(col(Layer.position), col(Layer.id))
        )
    )


def _move(items: list[Layer] | list[Option], item_id: int, direction: Direction) -> None:
    """Swap an item with its neighbour and renumber positions 1..n."""
    ids = [i.id for i in items]
    index = ids.index(item_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]  # type: ignore[assignment]
    for position, item in enumerate(items, start=1):
        item.position = position


def move_layer(session: Session, product_id: int, layer_id: int, direction: Direction) -> None:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        get_layer(session, product_id, layer_id)
        layers = _layers_of(session, product_id)
        _move(layers, layer_id, direction)
        session.add_all(layers)
        _touch(product)


def delete_layer(session: Session, product_id: int, layer_id: int) -> None:
    """Refused while the product is published if it would be left with no layers."""
    with unit_of_work(session, write=True):
        product = _lock_product(session, product_id)
        layer = get_layer(session, product_id, layer_id)
        before = load_spec(session, product)
        session.delete(layer)
        _touch(product)
        _drop_rules_without_options(session, product_id)
        _guard_publication(session, product, before)
        _guard_prices(session, product)


# Options (image layers) -----------------------------------------------------------------


def get_option(session: Session, product_id: int, option_id: int) -> tuple[Layer, Option]:
    option = session.get(Option, option_id)
    if option is None:
        raise NotFound("No such option in this product.")
    layer = session.get(Layer, option.layer_id)
    if layer is None or layer.product_id != product_id:
        raise NotFound("No such option in this product.")
    return layer, option


def _store_image(session: Session, image: CheckedImage) -> int:
    existing = session.exec(select(Image).where(Image.sha256 == image.sha256)).first()
    if existing is not None and existing.id is not None:
        return existing.id
    row = Image(content_type=image.content_type, sha256=image.sha256, data=image.data)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _option_fields(form: Mapping[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    fields: dict[str, object] = {
        "name": _text(form, "name", "Option name", 80, errors),
        "sku": _text(form, "sku", "SKU", 64, errors, required=False),
        "price_delta_cents": _money(form, "price_delta", errors, allow_negative=True)
        if str(form.get("price_delta", "")).strip()
        else 0,
    }
    return fields, errors


def add_option(
    session: Session,
    product_id: int,
    layer_id: int,
    form: Mapping[str, str],
    image: CheckedImage | None,
) -> Option:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        layer = get_layer(session, product_id, layer_id)
        fields, errors = _option_fields(form)
        if errors:
            raise FormError(errors)
        options = _options_of(session, layer_id)
        option = Option(
            layer_id=layer_id,
            position=len(options) + 1,
            image_id=_store_image(session, image) if image else None,
            backorders=product.new_option_backorders,
            **fields,  # type: ignore[arg-type]
        )
        session.add(option)
        session.flush()
        if layer.required and layer.default_option_id is None:
            layer.default_option_id = option.id
            session.add(layer)
        _touch(product)
        _guard_prices(session, product)
        return option


def update_option(
    session: Session,
    product_id: int,
    option_id: int,
    form: Mapping[str, str],
    image: CheckedImage | None,
    *,
    username: str = "",
) -> Option:
    """Save an option's settings, including its own Stock Management block.

    A new quantity on hand is written with a stock movement; if an order changed the quantity
    since the form was opened (`quantity_seen`), nothing is saved and the merchant is told."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        _layer, option = get_option(session, product_id, option_id)
        fields, errors = _option_fields(form)
        status = str(form.get("stock_status", option.stock_status))
        if status not in {s.value for s in StockStatus}:
            errors["stock_status"] = "Choose In Stock or Out of Stock."
        track_inventory = _checkbox(form, "track_inventory")
        quantity = _whole_number(
            form,
            "quantity",
            "Quantity on hand",
            errors,
            minimum=-MAX_QUANTITY_ON_HAND,
            maximum=MAX_QUANTITY_ON_HAND,
            blank_means=option.quantity,
        )
        seen = _whole_number(
            form,
            "quantity_seen",
            "Quantity on hand",
            errors,
            minimum=-MAX_QUANTITY_ON_HAND,
            maximum=MAX_QUANTITY_ON_HAND,
        )
        backorders = _backorder_choice(form, "backorders", errors, inherit=True)
        threshold, only_x_left, notify_below = _thresholds(form, errors, blank_means=None)
        timeframe = _text(
            form,
            "restock_timeframe",
            "Delivery timeframe",
            TIMEFRAME_MAX_LENGTH,
            errors,
            required=False,
        )
        if errors:
            raise FormError(errors)
        for key, value in fields.items():
            setattr(option, key, value)
        option.stock_management = _checkbox(form, "stock_management")
        option.stock_status = status
        option.track_inventory = track_inventory
        option.backorders = backorders.value if backorders else None
        option.out_of_stock_threshold = threshold
        option.only_x_left_threshold = only_x_left
        option.notify_below = notify_below
        if "restock_timeframe" in form:
            option.restock_timeframe = timeframe or None
        if image is not None:
            option.image_id = _store_image(session, image)
        assert quantity is not None
        try:
            stock.set_quantity(session, option, quantity, seen=seen, username=username)
        except stock.StockChanged as exc:
            raise FormError(
                {
                    "quantity": "An order changed the quantity on hand while you were editing: it "
                    f"is now {exc.current}. Nothing was saved; check it and save again."
                }
            ) from None
        session.add(option)
        _touch(product)
        _guard_prices(session, product)
        # Stock Status set back to In Stock: those waiting for it are mailed (once).
        mail.stock_changed(session, [option_id])
        return option


def reset_option_setting(session: Session, product_id: int, option_id: int, setting: str) -> None:
    """ "Reset to global": the option takes the Global Settings value again."""
    with unit_of_work(session, write=True):
        if setting not in INHERITABLE:
            raise NotFound("No such setting.")
        product = get_product(session, product_id)
        _layer, option = get_option(session, product_id, option_id)
        setattr(option, setting, None)
        session.add(option)
        _touch(product)


def move_option(session: Session, product_id: int, option_id: int, direction: Direction) -> None:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        layer, _option = get_option(session, product_id, option_id)
        assert layer.id is not None
        options = _options_of(session, layer.id)
        _move(options, option_id, direction)
        session.add_all(options)
        _touch(product)


def make_default(session: Session, product_id: int, option_id: int) -> None:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        layer, option = get_option(session, product_id, option_id)
        layer.default_option_id = option.id
        session.add(layer)
        _touch(product)


def delete_option(session: Session, product_id: int, option_id: int) -> None:
    """Refused while the product is published if a required layer would be left with no
    options (an option that is only Out of Stock still counts: stock never blocks a delete)."""
    with unit_of_work(session, write=True):
        product = _lock_product(session, product_id)
        layer, option = get_option(session, product_id, option_id)
        before = load_spec(session, product)
        if layer.default_option_id == option.id:
            remaining = [o for o in _options_of(session, option.layer_id) if o.id != option.id]
            layer.default_option_id = remaining[0].id if remaining and layer.required else None
            session.add(layer)
        session.delete(option)
        _touch(product)
        _drop_rules_without_options(session, product_id)
        _guard_publication(session, product, before)
        _guard_prices(session, product)


# Views ---------------------------------------------------------------------------------

MAX_VIEWS = 6
"""The main view and up to five others: each is a tab under the preview."""


def _view_of(session: Session, product_id: int, view_id: int) -> ProductView:
    view = session.get(ProductView, view_id)
    if view is None or view.product_id != product_id:
        raise NotFound("No such view in this product.")
    return view


def add_view(session: Session, product_id: int, form: Mapping[str, str]) -> ProductView:
    """Another side to show the product from; options show nothing there until they get an
    image for it."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        errors: dict[str, str] = {}
        name = _text(form, "name", "View name", 40, errors)
        views = list(session.exec(select(ProductView).where(ProductView.product_id == product_id)))
        if not errors and len(views) + 1 >= MAX_VIEWS:
            errors["name"] = f"A configurator has at most {MAX_VIEWS} views."
        if errors:
            raise FormError(errors)
        view = ProductView(product_id=product_id, name=name, position=len(views) + 1)
        session.add(view)
        _touch(product)
        session.add(product)
        session.flush()
        return view


def rename_view(
    session: Session, product_id: int, view_id: int | None, form: Mapping[str, str]
) -> None:
    """Rename a view; `view_id` None is the main view (the options' own images)."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        errors: dict[str, str] = {}
        name = _text(form, "name", "View name", 40, errors)
        if errors:
            raise FormError(errors)
        if view_id is None:
            product.main_view_name = name
        else:
            _view_of(session, product_id, view_id).name = name
        _touch(product)
        session.add(product)


# Rules (conditional logic) ---------------------------------------------------------------

RULE_TARGET_LAYER = "layer-"
RULE_TARGET_OPTION = "option-"


def _values_of(form: Mapping[str, object], name: str) -> list[str]:
    """A form field that may be sent several times (checkboxes)."""
    value = form.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in items]


def _rule_target(
    spec: ConfiguratorSpec, target: str, errors: dict[str, str]
) -> tuple[int | None, int | None]:
    """`layer-<id>` or `option-<id>` of this configurator: (layer id, option id)."""
    if target.startswith(RULE_TARGET_LAYER):
        layer_id = parse_id(target.removeprefix(RULE_TARGET_LAYER))
        if layer_id is not None and spec.layer(layer_id) is not None:
            return layer_id, None
    elif target.startswith(RULE_TARGET_OPTION):
        option_id = parse_id(target.removeprefix(RULE_TARGET_OPTION))
        if option_id is not None and spec.option(option_id) is not None:
            return None, option_id
    errors["target"] = "Choose a layer or an option of this product."
    return None, None


def _rule_from_form(spec: ConfiguratorSpec, form: Mapping[str, object]) -> Rule:
    """A rule from the admin's form, checked against this configurator: its options and its
    target must be this product's. Raises FormError (nothing is written)."""
    errors: dict[str, str] = {}
    when: set[int] = set()
    raw_when = _values_of(form, "when")
    for raw in raw_when:
        option_id = parse_id(raw)
        if option_id is None or spec.option(option_id) is None:
            errors["when"] = "Choose options of this product for IF."
            break
        when.add(option_id)
    if not raw_when:
        errors["when"] = "Choose at least one option for IF."
    elif len(when) > 50:
        errors["when"] = "Choose at most 50 options for IF."
    try:
        action = Action(str(form.get("action", "")).strip())
    except ValueError:
        errors["action"] = "Choose Show, Hide, Enable or Disable."
        action = Action.HIDE
    layer_id, option_id = _rule_target(spec, str(form.get("target", "")).strip(), errors)
    if layer_id is not None and not action.on_layers and "action" not in errors:
        errors["target"] = "Enable and Disable apply to an option: choose an option."
    if errors:
        raise FormError(errors)
    otherwise = _checkbox({"otherwise": str(form.get("otherwise", ""))}, "otherwise")
    return Rule(0, frozenset(when), action, layer_id, option_id, otherwise)


def add_rule(session: Session, product_id: int, form: Mapping[str, object]) -> ProductRule:
    """Save a rule, unless it would make a loop or leave a required layer with nothing a
    shopper can choose in some build (`configuration.rules_refusal`): then nothing is written
    and the merchant is told why."""
    with unit_of_work(session, write=True):
        product = _lock_product(session, product_id)
        spec = load_spec(session, product)
        rule = _rule_from_form(spec, form)
        refusal = rules_refusal(spec, (*spec.rules, rule))
        if refusal:
            raise FormError({"rule": refusal})
        row = ProductRule(
            product_id=product_id,
            action=rule.action.value,
            layer_id=rule.layer_id,
            option_id=rule.option_id,
            otherwise=rule.otherwise,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add_all(ProductRuleOption(rule_id=row.id, option_id=o) for o in sorted(rule.when))
        _touch(product)
        session.add(product)
        return row


def delete_rule(session: Session, product_id: int, rule_id: int) -> None:
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        row = session.get(ProductRule, rule_id)
        if row is None or row.product_id != product_id:
            raise NotFound("No such rule in this product.")
        session.delete(row)  # its options go with it (ON DELETE CASCADE)
        _touch(product)
        session.add(product)


def delete_view(session: Session, product_id: int, view_id: int) -> None:
    """Delete a view and its options' images for it (the main view cannot be deleted)."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        view = _view_of(session, product_id, view_id)
        for row in session.exec(select(OptionViewImage).where(OptionViewImage.view_id == view_id)):
            session.delete(row)
        session.delete(view)
        _touch(product)
        session.add(product)


def set_view_image(
    session: Session,
    product_id: int,
    option_id: int,
    view_id: int,
    image: CheckedImage | None,
) -> None:
    """An option's image for one of the other views; None takes it away (the option then
    shows nothing in that view)."""
    with unit_of_work(session, write=True):
        product = get_product(session, product_id)
        get_option(session, product_id, option_id)
        _view_of(session, product_id, view_id)
        row = session.exec(
            select(OptionViewImage).where(
                OptionViewImage.option_id == option_id, OptionViewImage.view_id == view_id
            )
        ).first()
        if image is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            image_id = _store_image(session, image)
            session.add(OptionViewImage(option_id=option_id, view_id=view_id, image_id=image_id))
        else:
            row.image_id = _store_image(session, image)
            session.add(row)
        _touch(product)
        session.add(product)


def _drop_rules_without_options(session: Session, product_id: int) -> None:
    """Rules whose every option was just deleted can never apply: they go with them."""
    session.flush()
    with_options = select(ProductRuleOption.rule_id)
    for row in session.exec(
        select(ProductRule).where(
            ProductRule.product_id == product_id, col(ProductRule.id).not_in(with_options)
        )
    ):
        session.delete(row)
