"""A composed picture of one build: which images stack up, at which size, under which key.

Pure: the service (`services.composer`) reads the images and draws them; what to draw, the
sizes we offer, the address of a build's picture and the key its cache and ETag use are
decided here, from plain values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from configurator.core.configuration import (
    MAIN_VIEW,
    Configuration,
    ConfiguratorSpec,
    LayerImage,
    parse_id,
)
from configurator.core.urls import query_string

SIZES = (160, 480, 960)
"""The widths a composed build is drawn at: a cart thumbnail, a card, a large preview (and
twice a card for sharp screens). Any other width is refused, so nobody can fill the cache
with sizes."""
DEFAULT_SIZE = 480
ASPECT = (4, 3)
"""Every build is drawn on a 4:3 canvas, the preview's (layers are 800 x 600)."""
FORMATS = {"webp": "image/webp", "png": "image/png"}
"""WebP for pages; PNG for link previews (`og:image`), which some readers cannot decode."""
SIZE_PARAM = "size"
VIEW_PARAM = "view"
VERSION_PARAM = "v"
VERSION_LENGTH = 12


class CompositionError(ValueError):
    """A request for a picture we do not draw (an unknown size, view or format)."""


def parse_size(text: str | None) -> int:
    """One of `SIZES`, or `DEFAULT_SIZE` when none is asked for."""
    if text is None or text == "":
        return DEFAULT_SIZE
    value = parse_id(text.strip())
    if value not in SIZES:
        sizes = ", ".join(str(s) for s in SIZES)
        raise CompositionError(f"Pictures of a build come in widths {sizes} only.")
    return value


def parse_view(spec: ConfiguratorSpec, text: str | None) -> int:
    """A view of this configurator by id (absent: its main view)."""
    if text is None or text == "":
        return MAIN_VIEW
    value = parse_id(text.strip())
    if value is None or spec.view(value) is None:
        raise CompositionError("That view is not one of this product's views.")
    return value


def canvas_size(width: int) -> tuple[int, int]:
    return width, width * ASPECT[1] // ASPECT[0]


def layer_images(configuration: Configuration, view: int = MAIN_VIEW) -> tuple[LayerImage, ...]:
    """The images to stack, bottom first: each chosen option's image for this view (an option
    with no image for it adds nothing)."""
    found = (c.option.image_for(view) for c in configuration.choices if c.option)
    return tuple(image for image in found if image is not None)


def composition_key(images: Iterable[LayerImage], width: int, fmt: str) -> str:
    """What the picture depends on and nothing else: the images' contents in order, the width
    and the format. Two builds that look alike share it; replacing an image makes a new one.
    Used as the cache key and the ETag."""
    digest = hashlib.sha256(f"{width}:{fmt}".encode())
    for image in images:
        digest.update(b"|" + image.sha256.encode())
    return digest.hexdigest()[:32]


def build_image_url(
    configuration: Configuration,
    *,
    size: int = DEFAULT_SIZE,
    view: int = MAIN_VIEW,
    fmt: str = "webp",
) -> str:
    """The address of this build's picture: the product's, with the full selection (so it
    does not change with the defaults), the view when not the main one, the width, and a
    short form of its key (`v`), so the address changes when an image does and the picture
    can be cached for a year."""
    pairs = configuration.query_pairs()
    if view != MAIN_VIEW:
        pairs.append((VIEW_PARAM, str(view)))
    pairs.append((SIZE_PARAM, str(size)))
    key = composition_key(layer_images(configuration, view), size, fmt)
    pairs.append((VERSION_PARAM, key[:VERSION_LENGTH]))
    return f"/products/{configuration.spec.slug}/build.{fmt}?{query_string(pairs)}"


RECORDED_IMAGES_PARAM = "images"
MAX_RECORDED_IMAGES = 64
"""More layers than any configurator has; a longer list is refused."""
SIGNATURE_PARAM = "sig"
SIGNATURE_LENGTH = 32
"""Hex digits of the HMAC-SHA256 kept in a recorded picture's address (128 bits)."""


def recorded_picture_signature(key: bytes, ids: Sequence[int], width: int, fmt: str) -> str:
    """What the shop signs a recorded picture's address with: an HMAC, under the shop's secret
    `key`, of the image ids in order, the width and the format. Only the shop writes these
    addresses (order pages, mails), so nobody else can make it draw a list of their choosing."""
    message = f"recorded-picture|{fmt}|{width}|{'-'.join(str(i) for i in ids)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def is_signed_picture(
    key: bytes, ids: Sequence[int], width: int, fmt: str, signature: str | None
) -> bool:
    """Whether an address's `sig` is the shop's for these very images, width and format
    (compared in constant time)."""
    if not signature:
        return False
    expected = recorded_picture_signature(key, ids, width, fmt)
    return hmac.compare_digest(expected.encode(), signature.encode())


def recorded_picture_url(
    images: Sequence[LayerImage], *, key: bytes, size: int = DEFAULT_SIZE, fmt: str = "webp"
) -> str:
    """The address of the picture an order recorded: the very images (by id: stored once per
    content hash and never rewritten) stacked bottom first, whatever the catalog says now.
    Like a build's address it carries `v`, a short form of its key; and `sig`, the shop's
    signature (`recorded_picture_signature`), without which the picture is not drawn. The
    same images give the same address, so it caches like any other."""
    ids = [image.image_id for image in images]
    pairs = [
        (RECORDED_IMAGES_PARAM, "-".join(str(i) for i in ids)),
        (SIZE_PARAM, str(size)),
        (VERSION_PARAM, composition_key(images, size, fmt)[:VERSION_LENGTH]),
        (SIGNATURE_PARAM, recorded_picture_signature(key, ids, size, fmt)),
    ]
    return f"/pictures/build.{fmt}?{query_string(pairs)}"


def parse_recorded_images(text: str | None) -> tuple[int, ...]:
    """The image ids of a recorded picture's address ("12-40-7"), bottom first."""
    parts = (text or "").split("-")
    ids = tuple(parse_id(part.strip()) for part in parts)
    if not text or len(ids) > MAX_RECORDED_IMAGES or any(i is None for i in ids):
        raise CompositionError("That is not a picture of an order's build.")
    return tuple(i for i in ids if i is not None)


def build_srcset(configuration: Configuration, *, view: int = MAIN_VIEW) -> str:
    """Every width, for `srcset`: the browser picks what the layout and screen need."""
    return ", ".join(
        f"{build_image_url(configuration, size=size, view=view)} {size}w" for size in SIZES
    )


def is_current_version(key: str, version: str | None) -> bool:
    """Whether an address's `v` names this very picture (then it may be cached for a year)."""
    return version is not None and version == key[:VERSION_LENGTH]
