"""The shop's query strings read exactly as urlencode's."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from configurator.core.urls import query_string


def test_ids_and_names_are_written_as_they_are() -> None:
    pairs = [("layer-12", "34"), ("view", "2"), ("size", "480"), ("v", "a1b2c3")]
    assert query_string(pairs) == "layer-12=34&view=2&size=480&v=a1b2c3"


def test_what_needs_quoting_is_quoted() -> None:
    assert query_string([("added", "Added 5 in stock & 5 back ordered.")]) == urlencode(
        [("added", "Added 5 in stock & 5 back ordered.")]
    )


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6))
def test_any_pairs_read_as_urlencode_writes_them(pairs: list[tuple[str, str]]) -> None:
    assert query_string(pairs) == urlencode(pairs)
