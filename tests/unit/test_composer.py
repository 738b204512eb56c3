"""Drawing pictures without a database: layers fitted and cut, stacked, and the byte-bounded
cache that keeps them."""

from __future__ import annotations

from io import BytesIO

from PIL import Image as PILImage

from configurator.services.composer import ByteBoundedCache, draw_layer, encode, stack

CANVAS = (480, 360)


def svg(body: str, view_box: str = "0 0 800 600") -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}">{body}</svg>').encode()


def png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    out = BytesIO()
    PILImage.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def test_an_svg_layer_is_scaled_to_the_canvas_and_cut_to_what_it_paints() -> None:
    layer = draw_layer(
        "image/svg+xml", svg('<rect x="400" y="300" width="200" height="100"/>'), CANVAS
    )

    assert layer is not None
    assert layer.offset == (240, 180)  # 800 -> 480 wide: everything times 0.6
    assert layer.image.size == (120, 60)


def test_a_layer_of_another_shape_is_fitted_and_centred() -> None:
    layer = draw_layer("image/png", png((100, 100), (255, 0, 0, 255)), CANVAS)

    assert layer is not None
    assert layer.image.size == (360, 360)
    assert layer.offset == (60, 0)


def test_what_cannot_be_drawn_or_paints_nothing_is_left_out() -> None:
    assert draw_layer("image/png", b"\x89PNG\r\n\x1a\nbroken", CANVAS) is None
    assert draw_layer("image/svg+xml", b"<svg", CANVAS) is None
    assert draw_layer("image/svg+xml", svg(""), CANVAS) is None


def test_layers_stack_bottom_first() -> None:
    red = draw_layer("image/svg+xml", svg('<rect width="800" height="600" fill="#f00"/>'), CANVAS)
    blue = draw_layer("image/svg+xml", svg('<rect width="400" height="600" fill="#00f"/>'), CANVAS)
    assert red is not None and blue is not None

    picture = stack([red, blue], CANVAS)

    assert picture.getpixel((10, 10)) == (0, 0, 255, 255)
    assert picture.getpixel((470, 10)) == (255, 0, 0, 255)
    assert PILImage.open(BytesIO(encode(picture, "webp"))).size == CANVAS
    assert PILImage.open(BytesIO(encode(picture, "png"))).format == "PNG"


def test_the_cache_keeps_the_most_recently_used_within_its_bytes() -> None:
    cache: ByteBoundedCache[str, bytes] = ByteBoundedCache(10, len)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    assert cache.get("a") == b"aaaa"  # now the most recent
    cache.put("c", b"cccc")

    assert cache.get("b") is None
    assert cache.get("a") == b"aaaa"
    assert cache.total_bytes == 8
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None
