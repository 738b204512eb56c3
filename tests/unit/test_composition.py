"""What a composed picture of a build is made of, its sizes, views, address and key."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.core.composition import (
    SIZES,
    CompositionError,
    build_image_url,
    canvas_size,
    composition_key,
    is_current_version,
    is_signed_picture,
    layer_images,
    parse_recorded_images,
    parse_size,
    parse_view,
    recorded_picture_signature,
    recorded_picture_url,
)
from configurator.core.configuration import (
    MAIN_VIEW,
    ConfiguratorSpec,
    LayerImage,
    ViewSpec,
    resolve,
)
from tests.unit.specs import bike

BACK = 7


def illustrated() -> ConfiguratorSpec:
    """The unit bike with an image per option for the main view, and for the Back view only
    the wheels and the frame 22."""
    spec = bike()

    def images(option_id: int) -> tuple[LayerImage, ...]:
        main = LayerImage(option_id * 10, f"{option_id:064x}")
        back = LayerImage(option_id * 10 + 1, f"b{option_id:063x}", BACK)
        return (main, back) if option_id in {11, 12, 22} else (main,)

    layers = tuple(
        replace(layer, options=tuple(replace(o, images=images(o.id)) for o in layer.options))
        for layer in spec.layers
    )
    return replace(spec, layers=layers, views=(ViewSpec(MAIN_VIEW, "Side"), ViewSpec(BACK, "Back")))


@pytest.mark.parametrize("text", ["160", "480", "960", " 480 "])
def test_the_offered_widths(text: str) -> None:
    assert parse_size(text) == int(text)


def test_no_width_is_the_card_width() -> None:
    assert parse_size(None) == parse_size("") == 480


@given(st.text(max_size=12))
def test_any_other_width_is_refused(text: str) -> None:
    if text.strip() in {str(s) for s in SIZES} or text == "":
        return
    with pytest.raises(CompositionError):
        parse_size(text)


def test_views_by_id_and_the_main_view_by_default() -> None:
    spec = illustrated()
    assert parse_view(spec, None) == MAIN_VIEW
    assert parse_view(spec, str(BACK)) == BACK
    for text in ("8", "back", "-7", "7.0"):
        with pytest.raises(CompositionError):
            parse_view(spec, text)


def test_a_four_by_three_canvas() -> None:
    assert [canvas_size(s) for s in SIZES] == [(160, 120), (480, 360), (960, 720)]


def test_the_layers_stack_bottom_first_and_a_view_without_an_image_adds_nothing() -> None:
    spec = illustrated()
    configuration = resolve(spec, {1: 11, 2: 21, 3: 31})

    main = layer_images(configuration)
    back = layer_images(configuration, BACK)

    assert [i.image_id for i in main] == [110, 210, 310]
    assert [i.image_id for i in back] == [111]  # frame 21 and the bell have no back image


def test_an_empty_optional_layer_adds_nothing() -> None:
    assert [i.image_id for i in layer_images(resolve(illustrated(), {3: None}))] == [110, 210]


def test_the_key_follows_the_images_contents_order_width_and_format() -> None:
    a, b = LayerImage(1, "a" * 64), LayerImage(2, "b" * 64)
    key = composition_key((a, b), 480, "webp")

    assert composition_key((LayerImage(9, "a" * 64), b), 480, "webp") == key  # same content
    assert composition_key((b, a), 480, "webp") != key
    assert composition_key((a, LayerImage(2, "c" * 64)), 480, "webp") != key
    assert composition_key((a, b), 160, "webp") != key
    assert composition_key((a, b), 480, "png") != key


def test_the_address_names_the_whole_build_the_view_width_and_version() -> None:
    configuration = resolve(illustrated(), {2: 22})

    url = build_image_url(configuration, size=160, view=BACK)

    path, query = urlsplit(url).path, dict(parse_qsl(urlsplit(url).query))
    assert path == "/products/bike/build.webp"
    assert query == {
        "layer-1": "11",
        "layer-2": "22",
        "layer-3": "none",
        "view": str(BACK),
        "size": "160",
        "v": query["v"],
    }
    key = composition_key(layer_images(configuration, BACK), 160, "webp")
    assert is_current_version(key, query["v"])
    assert not is_current_version(key, None)
    assert "view=" not in build_image_url(configuration)


KEY = b"k" * 32


def test_a_recorded_picture_names_its_images_bottom_first_its_width_and_version() -> None:
    images = (LayerImage(12, "a" * 64), LayerImage(7, "b" * 64))
    url = recorded_picture_url(images, key=KEY, size=160, fmt="png")

    path, query = url.split("?")
    params = dict(parse_qsl(query))
    assert path == "/pictures/build.png"
    assert params["images"] == "12-7"
    assert parse_recorded_images(params["images"]) == (12, 7)
    assert is_current_version(composition_key(images, 160, "png"), params["v"])
    assert is_signed_picture(KEY, (12, 7), 160, "png", params["sig"])
    # The same images give the same address (so it caches); another key another signature.
    assert recorded_picture_url(images, key=KEY, size=160, fmt="png") == url
    assert recorded_picture_signature(b"x" * 32, (12, 7), 160, "png") != params["sig"]


@pytest.mark.parametrize(
    ("ids", "width", "fmt", "signature"),
    [
        ((7, 12), 160, "png", None),  # another order of the same images
        ((12, 7, 7), 160, "png", None),  # another list
        ((12,), 160, "png", None),
        ((12, 7), 960, "png", None),  # another width
        ((12, 7), 160, "webp", None),  # another format
        ((12, 7), 160, "png", ""),  # no signature
        ((12, 7), 160, "png", "0" * 32),  # a wrong one
        ((12, 7), 160, "png", "é" * 32),  # not even ASCII
    ],
)
def test_a_recorded_picture_s_signature_fits_only_its_own_images_width_and_format(
    ids: tuple[int, ...], width: int, fmt: str, signature: str | None
) -> None:
    signed = recorded_picture_signature(KEY, (12, 7), 160, "png")
    assert not is_signed_picture(KEY, ids, width, fmt, signed if signature is None else signature)


@pytest.mark.parametrize(
    "text", [None, "", "12-", "-12", "12-x", "+1", "1 2", "-".join(["1"] * 65)]
)
def test_a_malformed_list_of_recorded_images_is_refused(text: str | None) -> None:
    with pytest.raises(CompositionError):
        parse_recorded_images(text)
