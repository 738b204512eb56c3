"""Checking uploaded option images by their content: PNG or a script-free SVG, size-capped."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_IMAGE_BYTES = 1_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction"}
_CSS_DANGER = re.compile(r"(javascript:|expression\s*\(|@import|url\s*\(\s*['\"]?\s*(?!#))", re.I)


_ANIMATION_ELEMENTS = {"set", "animate", "animatetransform", "animatemotion"}
_SCRIPT_URL = re.compile(r"(java|vb)script:|data:text/html", re.I)


def _css_is_dangerous(css: str) -> bool:
    """Outside loads or scripts in CSS; any backslash escape is refused too, since escapes are
    how "url(" or "expression(" get past a simple search."""
    return "\\" in css or bool(_CSS_DANGER.search(css))


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
    """Accept a PNG (by signature) or an SVG without scripts, handlers or outside references."""
    if not data:
        raise ImageError("The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"The image is larger than {MAX_IMAGE_BYTES // 1000} KB.")
    if data.startswith(PNG_SIGNATURE):
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise ImageError("The file looks like a PNG but is damaged.")
        return CheckedImage("image/png", data)
    return CheckedImage("image/svg+xml", _check_svg(data))


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _check_svg(data: bytes) -> bytes:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise ImageError("Only PNG and SVG images can be used, and this file is neither.") from None
    if root.tag not in (f"{SVG_NAMESPACE}svg", "svg"):
        raise ImageError("Only PNG and SVG images can be used, and this file is neither.")
    for element in root.iter():
        name = _local_name(str(element.tag))
        if name in _FORBIDDEN_ELEMENTS:
            raise ImageError(f"The SVG contains a <{name}> element; remove it and upload again.")
        if name == "style" and _css_is_dangerous(element.text or ""):
            raise ImageError("The SVG's styles load outside content; remove that and try again.")
        if name in _ANIMATION_ELEMENTS and _local_name(element.attrib.get("attributeName", "")) in (
            _URL_ATTRIBUTES | {"style"}
        ):
            raise ImageError("The SVG animates a link or a style; remove that and upload again.")
        for attribute, value in element.attrib.items():
            local = _local_name(attribute)
            if _SCRIPT_URL.search("".join(value.split())):
                raise ImageError("The SVG contains a script link; remove it and upload again.")
            if local.startswith("on"):
                raise ImageError(
                    f"The SVG contains an event handler ({local}); remove it and upload again."
                )
            if local in _URL_ATTRIBUTES and not value.strip().startswith("#"):
                raise ImageError("The SVG links to outside content; only #references are allowed.")
            if local == "style" and _css_is_dangerous(value):
                raise ImageError(
                    "The SVG's styles load outside content; remove that and try again."
                )
    return data
