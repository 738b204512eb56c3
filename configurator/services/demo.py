"""The demo catalog that `make run` loads into an empty database.

Two products: a road bike whose configurator allows backorders (the Carbon Deep wheels are
Out of Stock, so they show "Available on Backorder"), and a sneaker whose configurator does
not (the Neon Yellow laces are Out of Stock, so they cannot be bought). The bike's frames,
wheels and saddles track quantities: the Honey Leather saddle (3 left, no backorders) shows
"Only 3 left", and the Forest Green frame (2 on hand) is on the low-stock list. Two rules
show the conditional logic: the Gravel Tan wheels hide the Drop Bar handlebar, and the Bottle
Cage is only offered with the Racing Red and Midnight Blue frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from configurator.core.availability import Backorders, StockStatus
from configurator.core.images import check_image
from configurator.core.rules import Action
from configurator.services import stock
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
)

ASSETS = Path(__file__).resolve().parent / "demo_assets"


@dataclass(frozen=True)
class DemoOption:
    name: str
    sku: str
    price_delta: int
    image: str
    out_of_stock: bool = False
    quantity: int | None = None
    backorders: Backorders | None = None


@dataclass(frozen=True)
class DemoLayer:
    name: str
    options: tuple[DemoOption, ...]
    required: bool = True
    default_index: int | None = 0


@dataclass(frozen=True)
class DemoView:
    """Another view of a demo product: every layer's art again, framed on a part of it (the
    art is drawn on an 800 x 600 canvas; `view_box` is the 4:3 part shown)."""

    name: str
    view_box: str


@dataclass(frozen=True)
class DemoRule:
    """IF any of `when` ((layer, option) names) is chosen THEN `action` on `target` (a layer
    name, or (layer, option) names)."""

    when: tuple[tuple[str, str], ...]
    action: Action
    target: str | tuple[str, str]
    otherwise: bool = False


@dataclass(frozen=True)
class DemoProduct:
    name: str
    slug: str
    description: str
    base_price: int
    backorder: bool
    folder: str
    layers: tuple[DemoLayer, ...]
    only_x_left_threshold: int = 0
    notify_below: int = 1
    main_view_name: str = "Front"
    views: tuple[DemoView, ...] = ()
    rules: tuple[DemoRule, ...] = ()


BIKE = DemoProduct(
    name="Aero Road Bike",
    slug="aero-road-bike",
    description=(
        "A light aluminium road frame you finish your way: pick the wheels, the paint, the "
        "saddle and the bars. Hand-assembled and tuned before it ships."
    ),
    base_price=129_900,
    backorder=True,
    folder="bike",
    only_x_left_threshold=5,
    notify_below=3,
    main_view_name="Side",
    views=(DemoView("Cockpit", "400 120 320 240"),),
    layers=(
        DemoLayer("Backdrop", (DemoOption("Studio", "BK-STUDIO", 0, "backdrop.svg"),)),
        DemoLayer(
            "Wheels",
            (
                DemoOption("Road Classic", "WH-ROAD", 0, "wheels-road-classic.svg", quantity=40),
                DemoOption(
                    "Carbon Deep", "WH-CARBON", 45_000, "wheels-carbon-deep.svg", out_of_stock=True
                ),
                DemoOption("Gravel Tan", "WH-GRAVEL", 12_000, "wheels-gravel-tan.svg", quantity=12),
            ),
        ),
        DemoLayer(
            "Frame",
            (
                DemoOption("Racing Red", "FR-RED", 0, "frame-racing-red.svg", quantity=25),
                DemoOption("Midnight Blue", "FR-BLUE", 0, "frame-midnight-blue.svg", quantity=18),
                DemoOption("Forest Green", "FR-GREEN", 5_000, "frame-forest-green.svg", quantity=2),
            ),
        ),
        DemoLayer(
            "Saddle",
            (
                DemoOption("Classic Black", "SD-BLACK", 0, "saddle-classic-black.svg"),
                DemoOption(
                    "Honey Leather",
                    "SD-HONEY",
                    8_500,
                    "saddle-honey-leather.svg",
                    quantity=3,
                    backorders=Backorders.NO,
                ),
                DemoOption("White Race", "SD-WHITE", 2_500, "saddle-white-race.svg"),
            ),
        ),
        DemoLayer(
            "Handlebar",
            (
                DemoOption("Drop Bar, Black Tape", "HB-DROP", 0, "handlebar-drop-black.svg"),
                DemoOption("Flat Bar, Silver", "HB-FLAT", -2_000, "handlebar-flat-silver.svg"),
            ),
        ),
        DemoLayer(
            "Accessory",
            (
                DemoOption("Bottle Cage", "AC-CAGE", 2_900, "accessory-bottle-cage.svg"),
                DemoOption("Brass Bell", "AC-BELL", 1_900, "accessory-bell.svg"),
            ),
            required=False,
            default_index=None,
        ),
    ),
    rules=(
        DemoRule((("Wheels", "Gravel Tan"),), Action.HIDE, ("Handlebar", "Drop Bar, Black Tape")),
        DemoRule(
            (("Frame", "Racing Red"), ("Frame", "Midnight Blue")),
            Action.SHOW,
            ("Accessory", "Bottle Cage"),
            otherwise=True,
        ),
    ),
)

SNEAKER = DemoProduct(
    name="Court Sneaker",
    slug="court-sneaker",
    description=(
        "A classic low-top court sneaker made to order: choose the sole, the upper and the "
        "laces. Stitched by hand; laces are made in small batches."
    ),
    base_price=11_900,
    backorder=False,
    folder="sneaker",
    layers=(
        DemoLayer("Backdrop", (DemoOption("Studio", "SN-STUDIO", 0, "backdrop.svg"),)),
        DemoLayer(
            "Sole",
            (
                DemoOption("White", "SO-WHITE", 0, "sole-white.svg"),
                DemoOption("Gum", "SO-GUM", 1_000, "sole-gum.svg"),
                DemoOption("Black", "SO-BLACK", 0, "sole-black.svg"),
            ),
        ),
        DemoLayer(
            "Upper",
            (
                DemoOption("Canvas White", "UP-CANVAS", 0, "upper-canvas-white.svg"),
                DemoOption("Navy Suede", "UP-SUEDE", 2_500, "upper-navy-suede.svg"),
                DemoOption("Crimson Leather", "UP-LEATHER", 3_500, "upper-crimson-leather.svg"),
            ),
        ),
        DemoLayer(
            "Laces",
            (
                DemoOption("White", "LA-WHITE", 0, "laces-white.svg"),
                DemoOption(
                    "Neon Yellow", "LA-NEON", 500, "laces-neon-yellow.svg", out_of_stock=True
                ),
                DemoOption("Black", "LA-BLACK", 0, "laces-black.svg"),
            ),
        ),
    ),
)

DEMO_PRODUCTS = (BIKE, SNEAKER)


def _framed(art: bytes, view_box: str) -> bytes:
    """The same drawing with another part of its canvas in view."""
    return art.replace(b'viewBox="0 0 800 600"', f'viewBox="{view_box}"'.encode(), 1)


def _image_id(session: Session, path: Path, view_box: str | None = None) -> int:
    art = path.read_bytes()
    checked = check_image(_framed(art, view_box) if view_box else art)
    existing = session.exec(select(Image).where(Image.sha256 == checked.sha256)).first()
    if existing is not None and existing.id is not None:
        return existing.id
    image = Image(content_type=checked.content_type, sha256=checked.sha256, data=checked.data)
    session.add(image)
    session.flush()
    assert image.id is not None
    return image.id


def load_demo(session: Session) -> bool:
    """Load the demo catalog when there are no products. Returns whether it loaded."""
    with unit_of_work(session, write=True):
        if session.exec(select(Product.id)).first() is not None:
            return False
        for demo in DEMO_PRODUCTS:
            product = Product(
                name=demo.name,
                slug=demo.slug,
                description=demo.description,
                base_price_cents=demo.base_price,
                stock_management=True,
                backorders=(Backorders.ALLOW_AND_NOTIFY if demo.backorder else Backorders.NO).value,
                only_x_left_threshold=demo.only_x_left_threshold,
                notify_below=demo.notify_below,
                main_view_name=demo.main_view_name,
                published=True,
            )
            session.add(product)
            session.flush()
            assert product.id is not None
            views = []
            for view_position, demo_view in enumerate(demo.views, start=1):
                view = ProductView(
                    product_id=product.id, name=demo_view.name, position=view_position
                )
                session.add(view)
                views.append((view, demo_view))
            session.flush()
            for layer_position, demo_layer in enumerate(demo.layers, start=1):
                layer = Layer(
                    product_id=product.id,
                    name=demo_layer.name,
                    position=layer_position,
                    required=demo_layer.required,
                )
                session.add(layer)
                session.flush()
                assert layer.id is not None
                for option_position, demo_option in enumerate(demo_layer.options, start=1):
                    option = Option(
                        layer_id=layer.id,
                        name=demo_option.name,
                        sku=demo_option.sku,
                        price_delta_cents=demo_option.price_delta,
                        position=option_position,
                        image_id=_image_id(session, ASSETS / demo.folder / demo_option.image),
                        stock_management=True,
                        stock_status=(
                            StockStatus.OUT_OF_STOCK
                            if demo_option.out_of_stock
                            else StockStatus.IN_STOCK
                        ).value,
                    )
                    session.add(option)
                    session.flush()
                    art = ASSETS / demo.folder / demo_option.image
                    for view, demo_view in views:
                        assert option.id is not None and view.id is not None
                        image_id = _image_id(session, art, demo_view.view_box)
                        session.add(
                            OptionViewImage(option_id=option.id, view_id=view.id, image_id=image_id)
                        )
                    if demo_option.quantity is not None:
                        option.track_inventory = True
                        option.backorders = (
                            demo_option.backorders.value if demo_option.backorders else None
                        )
                        stock.set_quantity(
                            session,
                            option,
                            demo_option.quantity,
                            seen=None,
                            username="demo",
                            reason=stock.MovementReason.INITIAL,
                        )
                    if demo_layer.default_index == option_position - 1:
                        layer.default_option_id = option.id
                session.add(layer)
            _add_rules(session, product.id, demo.rules)
        return True


def _add_rules(session: Session, product_id: int, rules: tuple[DemoRule, ...]) -> None:
    session.flush()
    layers = {
        la.name: la for la in session.exec(select(Layer).where(Layer.product_id == product_id))
    }
    options = {
        (name, o.name): o.id
        for name, la in layers.items()
        for o in session.exec(select(Option).where(Option.layer_id == la.id))
    }
    for demo_rule in rules:
        target = demo_rule.target
        row = ProductRule(
            product_id=product_id,
            action=demo_rule.action.value,
            layer_id=layers[target].id if isinstance(target, str) else None,
            option_id=options[target] if isinstance(target, tuple) else None,
            otherwise=demo_rule.otherwise,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        for when in demo_rule.when:
            option_id = options[when]
            assert option_id is not None
            session.add(ProductRuleOption(rule_id=row.id, option_id=option_id))
