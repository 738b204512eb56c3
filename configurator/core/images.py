"""Checking uploaded option images by their content: a PNG, or an SVG reduced to an allowlist
(drawing elements and attributes, links within the file only), size-capped."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from io import BytesIO

# Only for writing the cleaned tree back; every parse goes through defusedxml.
from xml.etree.ElementTree import Element, tostring

import py_svg_hush
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_IMAGE_BYTES = 1_000_000
MAX_SVG_DEPTH = 48
"""Drawings nest a few groups deep; a deeper file is refused before it is rewritten (the
rewrite indents every level, so thousands of levels would grow without bound)."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
SVG_NAMESPACE = "{" + SVG_NS + "}"
NOT_AN_IMAGE = "Only PNG and SVG images can be used, and this file is neither."

_ANIMATIONS = {"set", "animate", "animatetransform", "animatemotion", "animatecolor", "discard"}
"""Product layers are still pictures; an animation could change a link or a style later."""
_CSS_FUNCTIONS = {
    "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color",
    "calc", "min", "max", "clamp", "var",
    "matrix", "matrix3d", "translate", "translatex", "translatey", "translate3d",
    "scale", "scalex", "scaley", "scale3d", "rotate", "rotatex", "rotatey", "rotatez",
    "rotate3d", "skew", "skewx", "skewy", "perspective", "cubic-bezier", "steps",
    "url",
}  # fmt: skip
"""CSS functions kept in styles and attribute values; `url(` only for a #reference inside
the file. Anything else (image-set, expression, src, ...) drops its declaration."""
_CSS_FUNCTION = re.compile(r"([a-z_-][a-z0-9_-]*)\s*\(", re.I)
_LOCAL_URL = re.compile(r"url\(\s*['\"]?\s*#", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


class ImageError(ValueError):
    """An upload we refuse, with the reason for the merchant."""


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_image(data: bytes) -> CheckedImage:
    """Accept a PNG (by signature) or an SVG, rewritten to its allowlisted form (see
    `clean_svg`)."""
    if not data:
        raise ImageError("The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"The image is larger than {MAX_IMAGE_BYTES // 1000} KB.")
    if data.startswith(PNG_SIGNATURE):
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise ImageError("The file looks like a PNG but is damaged.")
        return CheckedImage("image/png", data)
    return CheckedImage("image/svg+xml", clean_svg(data))


def _local_name(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def clean_svg(data: bytes) -> bytes:
    """The SVG with only what draws: py-svg-hush's allowlist of elements, attributes and link
    schemes, then ours on its output (no processing instructions or comments, no animation,
    links to #references only, styles limited to plain values and same-file `url(#...)`).
    What cannot be made safe is refused: not SVG, a DTD or entities, too deep, too large."""
    _refuse_unsafe_xml(data)
    try:
        hushed = py_svg_hush.filter_svg(data)
        root = ElementTree.fromstring(hushed, forbid_dtd=True)
    except (ValueError, ElementTree.ParseError, DefusedXmlException):
        raise ImageError(NOT_AN_IMAGE) from None
    if root.tag != f"{SVG_NAMESPACE}svg":
        raise ImageError(NOT_AN_IMAGE)
    _keep_allowed(root)
    # Every element left is SVG: written without prefixes, in the SVG namespace.
    for element in root.iter():
        element.tag = str(element.tag).removeprefix(SVG_NAMESPACE)
    root.set("xmlns", SVG_NS)
    cleaned: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    if len(cleaned) > MAX_IMAGE_BYTES:
        raise ImageError(f"The image is larger than {MAX_IMAGE_BYTES // 1000} KB.")
    return cleaned


def _refuse_unsafe_xml(data: bytes) -> None:
    """Well-formed XML with an <svg> root, no DTD (so no entities or bombs), not too deep."""
    depth = 0
    try:
        for event, element in ElementTree.iterparse(
            BytesIO(data), events=("start", "end"), forbid_dtd=True
        ):
            if event == "end":
                depth -= 1
                element.clear()
                continue
            if depth == 0 and element.tag == "svg":
                raise ImageError(
                    f'The SVG does not say xmlns="{SVG_NS}", so browsers would not draw it; '
                    "add that to its <svg> element and upload again."
                )
            if depth == 0 and element.tag != f"{SVG_NAMESPACE}svg":
                raise ImageError(NOT_AN_IMAGE)
            depth += 1
            if depth > MAX_SVG_DEPTH:
                raise ImageError(
                    f"The SVG nests elements more than {MAX_SVG_DEPTH} levels deep; "
                    "flatten its groups and upload again."
                )
    except ImageError:
        raise
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise ImageError(NOT_AN_IMAGE) from None


def _keep_allowed(element: Element) -> None:
    """Clean the element's attributes and style text, drop disallowed children, recurse."""
    for attribute, value in list(element.attrib.items()):
        local = _local_name(attribute)
        if local == "style":
            kept = _safe_css(value)
            if kept.strip():
                element.set(attribute, kept)
            else:
                del element.attrib[attribute]
        elif (local == "href" and not value.strip().startswith("#")) or not _css_is_safe(value):
            del element.attrib[attribute]
    if _local_name(str(element.tag)) == "style":
        element.text = _safe_css(element.text or "")
    for child in list(element):
        tag = str(child.tag)
        if not tag.startswith(SVG_NAMESPACE) or _local_name(tag) in _ANIMATIONS:
            element.remove(child)
        else:
            _keep_allowed(child)


def _css_is_safe(text: str) -> bool:
    """A value or declaration with no escapes, no at-rule and only allowed functions."""
    if any(mark in text for mark in ("\\", "@", "/*", "<", "://")):
        return False
    for found in _CSS_FUNCTION.finditer(text):
        name = found.group(1).lower()
        if name not in _CSS_FUNCTIONS:
            return False
        if name == "url" and not _LOCAL_URL.match(text, found.start()):
            return False
    return True


def _safe_css(css: str) -> str:
    """The style sheet or style attribute with each unsafe declaration (or at-rule) dropped;
    the braces and semicolons stay, so the rules around them keep their shape."""
    css = _CSS_COMMENT.sub(" ", css).split("/*", 1)[0]
    return "".join(
        piece if piece in ";{}" or _css_is_safe(piece) else ""
        for piece in re.split(r"([;{}])", css)
    )
