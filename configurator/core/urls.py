"""Query strings of the shop's own addresses (a build's choices, its view and size).

`urllib.parse.urlencode` quotes every character of every name and value; the shop's own pairs
are names like `layer-12` and ids, which need no quoting, and a page or fragment builds a
dozen such addresses (the share link, the views' tabs, the pictures' sizes). Values that do
need quoting still get `urlencode`'s."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlencode

_PLAIN = re.compile(r"[A-Za-z0-9_.\-]*")


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """The same text `urlencode(pairs)` gives, without quoting what needs none."""
    return "&".join(
        f"{name}={value}"
        if _PLAIN.fullmatch(name) and _PLAIN.fullmatch(value)
        else urlencode([(name, value)])
        for name, value in pairs
    )
