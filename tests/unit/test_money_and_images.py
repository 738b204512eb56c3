"""Money parsing/formatting and image checks by content."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.images import MAX_IMAGE_BYTES, ImageError, check_image
from configurator.core.money import (
    MAX_CENTS,
    MoneyError,
    cents_to_input,
    format_cents,
    format_delta,
    parse_cents,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12", 1200), ("12.5", 1250), ("1,234.50", 123450), ("$3.05", 305), ("0", 0)],
)
def test_parse_cents(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


def test_negative_only_when_allowed() -> None:
    assert parse_cents("-5.00", allow_negative=True) == -500
    with pytest.raises(MoneyError):
        parse_cents("-5.00")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1.005",
        "NaN",
        "Infinity",
        "1e9",
        "99999999999",
        "1e3",
        "1_000",
        "\u0661\u0662",
        "1e30",
        "-1e30",
        "9" * 29,
        "--5",
        "5-",
        "1.2.3",
        ".",
        "-",
    ],
)
def test_parse_cents_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_cents(text)


@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_what_the_admin_shows_parses_back_to_the_same_cents(cents: int) -> None:
    assert parse_cents(cents_to_input(cents), allow_negative=True) == cents
    assert parse_cents(format_cents(cents), allow_negative=True) == cents


def test_formatting() -> None:
    assert format_cents(174900) == "$1,749.00"
    assert format_delta(45000) == "+$450.00"
    assert format_delta(-2000) == "-$20.00"
    assert format_delta(0) == ""


SVG_OK = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 6"><rect width="8" height="6"/></svg>'
)
PNG_OK = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17


def test_png_and_clean_svg_are_accepted_by_content() -> None:
    assert check_image(PNG_OK).content_type == "image/png"
    assert check_image(SVG_OK).content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>',
        b"GIF89a not a png",
        b"<html><body>hello</body></html>",
        b"\x89PNG\r\n\x1a\n broken",
        b"",
    ],
)
def test_hostile_or_fake_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageError):
        check_image(data)


def test_oversized_image_is_refused() -> None:
    with pytest.raises(ImageError, match="larger"):
        check_image(PNG_OK + b"\x00" * MAX_IMAGE_BYTES)


# Scripts, handlers, outside links and CSS tricks in an SVG are cleaned out rather than
# refused: see test_svg_cleaning.py.
