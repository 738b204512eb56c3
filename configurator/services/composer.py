"""Drawing one picture of a build: its layers' images stacked, at one of a few widths.

SVG layers are rasterized by resvg (resvg-py: a wheel with resvg built in, nothing to install
on the system), PNG layers read by Pillow, and Pillow stacks them and writes WebP or PNG.
What to stack and the cache key come from `core.composition`. Two per-worker caches keep it
cheap: each layer drawn at each width (so a thousand builds of one configurator rasterize
each image once per width), and each finished picture by its key (the images' hashes, the
width and the format), both bounded in bytes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Generic, TypeVar

import resvg_py
from PIL import Image as PILImage
from sqlmodel import Session, col, select

from configurator.core.composition import FORMATS, canvas_size, composition_key
from configurator.core.configuration import LayerImage
from configurator.services.accounts import shared_secret
from configurator.store.models import Image, OrderLineOption

log = logging.getLogger("configurator")

MAX_LAYER_PIXELS = 40_000_000
"""A PNG may be small on disk and huge once decoded: larger ones are left out of the picture."""
WEBP_QUALITY = 85
WEBP_METHOD = 2
"""Fast encoding (method 4, the default, took twice the time for 5% fewer bytes)."""
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ComposedImage:
    key: str
    content_type: str
    data: bytes


class ByteBoundedCache(Generic[K, V]):
    """A least-recently-used cache bounded by the total size of what it holds (thread-safe:
    pictures are drawn in worker threads)."""

    def __init__(self, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[K, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        size = self._size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= self._size_of(old)
            self._items[key] = value
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= self._size_of(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def total_bytes(self) -> int:
        return self._bytes


@dataclass(frozen=True, slots=True)
class DrawnLayer:
    """A layer drawn for one canvas width, cut to what it paints (most layers cover a small
    part of the picture, so stacking and caching them costs that part only)."""

    image: PILImage.Image
    offset: tuple[int, int]

    @property
    def bytes(self) -> int:
        return self.image.width * self.image.height * 4


_LAYERS: ByteBoundedCache[tuple[str, int], DrawnLayer] = ByteBoundedCache(
    96_000_000, lambda layer: layer.bytes
)
"""Layers drawn for one width, by (image hash, width)."""
_BUILDS: ByteBoundedCache[str, ComposedImage] = ByteBoundedCache(32_000_000, lambda c: len(c.data))
"""Finished pictures by `composition_key`."""


def clear_caches() -> None:
    _LAYERS.clear()
    _BUILDS.clear()


def cached_picture(key: str) -> ComposedImage | None:
    return _BUILDS.get(key)


def compose(
    session: Session, images: tuple[LayerImage, ...], width: int, fmt: str = "webp"
) -> ComposedImage:
    """The picture of these layers (bottom first) at this width, from the cache or drawn now."""
    key = composition_key(images, width, fmt)
    found = _BUILDS.get(key)
    if found is not None:
        return found
    layers = _layers_on_canvas(session, images, width)
    picture = stack(layers, canvas_size(width))
    composed = ComposedImage(key, FORMATS[fmt], encode(picture, fmt))
    _BUILDS.put(key, composed)
    return composed


PICTURE_SETTING = "picture_secret"


def picture_key(session: Session) -> bytes:
    """The secret recorded pictures' addresses are signed with (`composition.
    recorded_picture_signature`): random, made once and kept in the database beside the CSRF
    secret, so every worker signs and checks alike."""
    return shared_secret(session, PICTURE_SETTING).encode()


def stored_images(session: Session, ids: Sequence[int]) -> tuple[LayerImage, ...] | None:
    """These images (by id, in this order) with their content hashes; None when one is not
    stored (any more)."""
    hashes = dict(
        session.exec(select(Image.id, Image.sha256).where(col(Image.id).in_(set(ids)))).all()
    )
    if any(i not in hashes for i in ids):
        return None
    return tuple(LayerImage(i, hashes[i]) for i in ids)


def recorded_images(
    session: Session, options: Iterable[OrderLineOption]
) -> dict[int, tuple[LayerImage, ...]]:
    """Each order line's picture as recorded at checkout: its options' images, bottom first
    (by `position`), read in one query; a line whose options had no image has none."""
    options = sorted(options, key=lambda o: (o.order_line_id, o.position))
    ids = {o.image_id for o in options if o.image_id is not None}
    hashes = (
        dict(session.exec(select(Image.id, Image.sha256).where(col(Image.id).in_(ids))).all())
        if ids
        else {}
    )
    pictures: dict[int, tuple[LayerImage, ...]] = {}
    for option in options:
        if option.image_id is not None and option.image_id in hashes:
            image = LayerImage(option.image_id, hashes[option.image_id])
            pictures[option.order_line_id] = (*pictures.get(option.order_line_id, ()), image)
    return pictures


SWATCH = (96, 72)
SWATCH_QUALITY = 70
"""Shown at 48 x 36 CSS pixels beside an option's name (twice that for sharp screens)."""


def swatch(session: Session, image_id: int) -> ComposedImage | None:
    """What one option's image paints, cut to that and fitted into a small 4:3 picture (its
    layer alone would be a large empty canvas with a small part in it); None when there is no
    such image or it paints nothing."""
    stored = session.get(Image, image_id)
    if stored is None:
        return None
    key = f"swatch-{stored.sha256[:32]}"
    found = _BUILDS.get(key)
    if found is not None:
        return found
    layer = draw_layer(stored.content_type, stored.data, canvas_size(480))
    if layer is None:
        return None
    part = layer.image.resize(_fit(layer.image.size, SWATCH), PILImage.Resampling.LANCZOS)
    picture = PILImage.new("RGBA", SWATCH, (0, 0, 0, 0))
    picture.alpha_composite(part, ((SWATCH[0] - part.width) // 2, (SWATCH[1] - part.height) // 2))
    composed = ComposedImage(key, FORMATS["webp"], _encode_swatch(picture))
    _BUILDS.put(key, composed)
    return composed


def _layers_on_canvas(
    session: Session, images: tuple[LayerImage, ...], width: int
) -> list[DrawnLayer]:
    drawn = {image.image_id: _LAYERS.get((image.sha256, width)) for image in images}
    missing = [image_id for image_id, layer in drawn.items() if layer is None]
    for stored in _read_images(session, missing):
        layer = draw_layer(stored.content_type, stored.data, canvas_size(width))
        if layer is not None:
            _LAYERS.put((stored.sha256, width), layer)
        drawn[stored.id or 0] = layer
    return [layer for image in images if (layer := drawn.get(image.image_id)) is not None]


def _read_images(session: Session, ids: Iterable[int]) -> list[Image]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(session.exec(select(Image).where(col(Image.id).in_(wanted))))


def draw_layer(content_type: str, data: bytes, canvas: tuple[int, int]) -> DrawnLayer | None:
    """One layer fitted inside the canvas (kept in proportion, centred), cut to what it
    paints; None for an image that cannot be drawn or paints nothing (it is left out)."""
    try:
        if content_type == "image/svg+xml":
            picture = _rasterize_svg(data, canvas)
        else:
            picture = _read_png(data, canvas)
    except (ValueError, OSError) as exc:
        log.warning("a layer image could not be drawn: %s", exc)
        return None
    left, top = (canvas[0] - picture.width) // 2, (canvas[1] - picture.height) // 2
    painted = picture.getchannel("A").getbbox()
    if painted is None:
        return None
    return DrawnLayer(picture.crop(painted), (left + painted[0], top + painted[1]))


def _fit(size: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
    """The largest size of this shape that fits in the canvas."""
    scale = min(canvas[0] / size[0], canvas[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _rasterize_svg(data: bytes, canvas: tuple[int, int]) -> PILImage.Image:
    svg = data.decode("utf-8")
    png = resvg_py.svg_to_bytes(svg_string=svg, width=canvas[0])
    picture = PILImage.open(BytesIO(png))
    if picture.height > canvas[1]:  # taller than 4:3: fit the height instead
        png = resvg_py.svg_to_bytes(svg_string=svg, height=canvas[1])
        picture = PILImage.open(BytesIO(png))
    return picture.convert("RGBA")


def _read_png(data: bytes, canvas: tuple[int, int]) -> PILImage.Image:
    picture = PILImage.open(BytesIO(data))
    if picture.width * picture.height > MAX_LAYER_PIXELS:
        raise ValueError(f"{picture.width} x {picture.height} pixels is too large to draw")
    return picture.convert("RGBA").resize(_fit(picture.size, canvas), PILImage.Resampling.LANCZOS)


def stack(layers: Iterable[DrawnLayer], canvas: tuple[int, int]) -> PILImage.Image:
    """The layers composited bottom first on a transparent canvas."""
    picture = PILImage.new("RGBA", canvas, (0, 0, 0, 0))
    for layer in layers:
        picture.alpha_composite(layer.image, dest=layer.offset)
    return picture


def _encode_swatch(picture: PILImage.Image) -> bytes:
    """A swatch is small and many are on the page (they count towards its first load): a
    lower quality and lossy alpha halve its bytes at 48 x 36 CSS pixels, at the cost of a
    slower encoding done once per image."""
    out = BytesIO()
    picture.save(out, "WEBP", quality=SWATCH_QUALITY, alpha_quality=50, method=6)
    return out.getvalue()


def encode(picture: PILImage.Image, fmt: str) -> bytes:
    out = BytesIO()
    if fmt == "webp":
        picture.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    else:
        picture.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()
