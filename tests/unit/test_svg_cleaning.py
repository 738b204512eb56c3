"""Uploaded SVGs are rewritten to an allowlist: what draws stays, what runs, links out or loads
from elsewhere goes; what cannot be made safe is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from defusedxml import ElementTree

from configurator.core.images import MAX_SVG_DEPTH, ImageError, check_image, clean_svg
from configurator.services.demo import ASSETS as DEMO_ASSETS

DEMO_ART = sorted(DEMO_ASSETS.glob("*/*.svg"))
OPEN = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    b' viewBox="0 0 10 10">'
)
RECT = b'<rect width="10" height="10" fill="#c0ffee"/>'

ATTACKS: dict[str, bytes] = {
    # From issue #8: each of these was accepted as it was.
    "animated link to a phishing page": b'<a><set attributeName="xlink:href"'
    b' to="https://evil.example/phish"/>' + RECT + b"</a>",
    "image-set in a style attribute": b'<rect width="10" height="10" style="fill:#000;'
    b" background-image: image-set('https://evil.example/x.png' 1x)\"/>",
    "image-set in a style sheet": b'<style>rect { fill: red; background: image-set("https://'
    b'evil.example/x.png" 1x) }</style>' + RECT,
    "-webkit-image-set": b"<rect style=\"background:-webkit-image-set('https://evil.example/"
    b"x.png' 1x)\"/>",
    # The usual corpus.
    "script": b"<script>alert(1)</script>" + RECT,
    "script with a link": b'<script xlink:href="https://evil.example/x.js"/>' + RECT,
    "onload": b'<g onload="alert(1)">' + RECT + b"</g>",
    "onclick on a shape": b'<rect width="10" height="10" onclick="alert(1)"/>',
    "javascript link": b'<a xlink:href="javascript:alert(1)">' + RECT + b"</a>",
    "javascript link with a tab": b'<a href="java&#x09;script:alert(1)">' + RECT + b"</a>",
    "data:text/html link": b'<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">'
    + RECT
    + b"</a>",
    "outside link": b'<a href="https://evil.example/">' + RECT + b"</a>",
    "animate a link": b'<a><animate attributeName="href" values="javascript:alert(1)"/>'
    + RECT
    + b"</a>",
    "set a handler": b'<rect width="1" height="1"><set attributeName="onmouseover"'
    b' to="alert(1)"/></rect>',
    "animate a style": b'<rect><set attributeName="style" to="background:url(https://evil.'
    b'example/)"/></rect>',
    "outside image": b'<image xlink:href="https://evil.example/x.png" width="5" height="5"/>',
    "svg in a data image": b'<image href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0'
    b'KDEpPC9zY3JpcHQ+PC9zdmc+"/>',
    "outside use": b'<use href="https://evil.example/sprite.svg#icon"/>',
    "outside feImage": b'<filter id="f"><feImage href="https://evil.example/x.png"/></filter>',
    "foreignObject": b'<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml"'
    b' src="https://evil.example/"/></foreignObject>',
    "iframe": b'<iframe src="https://evil.example/"/>',
    "embed": b'<embed src="https://evil.example/x.swf"/>',
    "object": b'<object data="https://evil.example/x"/>',
    "handler element": b'<handler type="application/ecmascript">alert(1)</handler>',
    "XInclude": b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude"'
    b' href="file:///etc/passwd"/>',
    "xml:base": b'<g xml:base="https://evil.example/"><use href="#a"/></g>',
    "@import": b"<style>@import url(https://evil.example/x.css); rect { fill: red }</style>",
    "@import a string": b'<style>@import "https://evil.example/x.css";</style>' + RECT,
    "@font-face": b"<style>@font-face { font-family: x; src: url(https://evil.example/f.woff)"
    b" }</style>",
    "CSS escape in a style sheet": b"<style>rect { fill: \\75 rl(https://evil.example/a) }"
    b"</style>" + RECT,
    "CSS escape in an attribute": b'<rect style="background: \\75 rl(https://evil.example/)"/>',
    "CSS comment splitting url": b'<rect style="background: ur/**/l(https://evil.example/)"/>',
    "cursor": b'<rect style="cursor: url(https://evil.example/c.cur), auto"/>',
    "behavior and binding": b'<rect style="behavior: url(https://evil.example/x.htc);'
    b' -moz-binding: url(https://evil.example/x.xml#b)"/>',
    "expression": b'<rect style="width: expression(alert(1))"/>',
    "javascript in url()": b'<rect style="background: url(javascript:alert(1))"/>',
    "outside fill": b'<rect fill="url(https://evil.example/g.svg#g)"/>',
    "outside mask": b'<rect mask="url(https://evil.example/m.svg#m)"/>',
    "CDATA style sheet": b"<style><![CDATA[ rect { fill: url(https://evil.example/p) } ]]>"
    b"</style>" + RECT,
}
STYLESHEET_PI = b'<?xml-stylesheet type="text/css" href="https://evil.example/x.css"?>\n'
ROOT_STYLE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" style="background:'
    b" image-set('https://evil.example/x.png' 1x)\">" + RECT + b"</svg>"
)


def attack(inside: bytes) -> bytes:
    return OPEN + inside + b"</svg>"


ALL_ATTACKS = {
    **{name: attack(inside) for name, inside in ATTACKS.items()},
    "xml-stylesheet": STYLESHEET_PI + attack(RECT),
    "style on the root": ROOT_STYLE,
}


def harm_in(svg: bytes) -> list[str]:
    """What in a served SVG could run, navigate or load from elsewhere (an independent check,
    by plain search and a tree walk, not the sanitizer's own rules)."""
    text = svg.decode()
    found = [
        pattern
        for pattern in (
            r"<\?xml-stylesheet",
            r"<!DOCTYPE",
            r"<!ENTITY",
            r"(?i)javascript:",
            r"(?i)image-set",
            r"@import",
            r"@font-face",
            r"(?i)expression\(",
            r"\\",
            r"(?i)url\(\s*['\"]?\s*[^#'\"\s]",
            r"evil\.example",
            r"file:",
        )
        if re.search(pattern, text)
    ]
    for element in ElementTree.fromstring(svg).iter():
        name = str(element.tag).rsplit("}", 1)[-1].lower()
        if name in {"script", "foreignobject", "iframe", "embed", "object", "handler", "include"}:
            found.append(f"<{name}>")
        if name in {"set", "animate", "animatetransform", "animatemotion"}:
            found.append(f"<{name}> (animation)")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                found.append(f"handler {local}")
            if local == "href" and not value.startswith("#"):
                found.append(f"href={value}")
            if local == "base":
                found.append("xml:base")
    return found


def test_the_independent_check_sees_every_attack_as_it_was_uploaded() -> None:
    for name, svg in ALL_ATTACKS.items():
        if name != "xml-stylesheet":
            assert harm_in(svg), name
    assert harm_in(ALL_ATTACKS["xml-stylesheet"])


@pytest.mark.parametrize("name", list(ALL_ATTACKS))
def test_attacks_are_cleaned_out_and_the_drawing_stays(name: str) -> None:
    cleaned = check_image(ALL_ATTACKS[name])

    assert cleaned.content_type == "image/svg+xml"
    assert harm_in(cleaned.data) == []
    root = ElementTree.fromstring(cleaned.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    if RECT in ALL_ATTACKS[name] and name != "CDATA style sheet":
        assert any(e.tag.endswith("rect") and e.get("fill") == "#c0ffee" for e in root.iter()), name


def test_the_phishing_link_from_the_issue_no_longer_navigates() -> None:
    cleaned = clean_svg(ALL_ATTACKS["animated link to a phishing page"]).decode()
    assert "phish" not in cleaned
    assert "<set" not in cleaned
    assert "attributeName" not in cleaned


def test_safe_styles_survive_next_to_dropped_ones() -> None:
    cleaned = clean_svg(
        attack(
            b'<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/>'
            b"</linearGradient></defs>"
            b"<style>.a { fill: url(#g); stroke: rgb(1, 2, 3) } .b { background: image-set("
            b"'https://evil.example/x.png' 1x); opacity: 0.5 }</style>"
            b'<rect class="a" style="fill: url(#g); transform: rotate(5deg);'
            b' background: url(https://evil.example/)" width="5" height="5"/>'
        )
    ).decode()

    assert ".a { fill: url(#g); stroke: rgb(1, 2, 3) }" in cleaned
    assert "opacity: 0.5" in cleaned
    assert 'style="fill: url(#g); transform: rotate(5deg);' in cleaned
    assert harm_in(cleaned.encode()) == []


def canonical(svg: bytes) -> object:
    def walk(element: ElementTree.Element) -> object:
        return (
            element.tag,
            dict(element.attrib),
            (element.text or "").strip(),
            (element.tail or "").strip(),
            [walk(child) for child in element],
        )

    return walk(ElementTree.fromstring(svg))


def test_the_demo_art_is_found() -> None:
    assert len(DEMO_ART) >= 20, f"no demo art under {DEMO_ASSETS}"


@pytest.mark.parametrize("path", DEMO_ART, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_demo_art_passes_unchanged(path: Path) -> None:
    """Same elements, attributes and text: the layers draw exactly as before."""
    original = path.read_bytes()
    assert canonical(clean_svg(original)) == canonical(original)


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
            b'&a;&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
            "neither",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "neither",
        ),
        (
            OPEN + b"<g>" * (MAX_SVG_DEPTH + 1) + b"</g>" * (MAX_SVG_DEPTH + 1) + b"</svg>",
            "levels deep",
        ),
        (b"<svg><rect/></svg>", 'xmlns="http://www.w3.org/2000/svg"'),
        (b"<html><body>hi</body></html>", "neither"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect>', "neither"),
        (OPEN + b'<rect width="1"/>' * 70_000 + b"</svg>", "larger than 1000 KB"),
    ],
    ids=["billion laughs", "external entity", "too deep", "no namespace", "html", "broken", "big"],
)
def test_what_cannot_be_made_safe_is_refused_with_a_reason(svg: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=re.escape(message)):
        check_image(svg)
