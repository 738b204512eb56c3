"""Resolving a shopper's choices: strict parsing, defaults, prices, refusals."""

from dataclasses import replace

import pytest

from configurator.core.configuration import (
    MAX_QUANTITY,
    LayerSpec,
    QuantityError,
    SelectionError,
    cheapest_price,
    parse_quantity,
    parse_selection,
    publication_blockers,
    published_edit_refusal,
    resolve,
    structure_gaps,
)
from tests.unit.specs import bike, option


def test_defaults_fill_every_layer_and_price_is_the_base() -> None:
    configuration = resolve(bike(), {})
    assert [c.option.id if c.option else None for c in configuration.choices] == [11, 21, None]
    assert configuration.unit_price == 100_000
    assert configuration.can_purchase
    assert not configuration.backordered


def test_backordered_option_is_priced_normally_and_listed() -> None:
    configuration = resolve(bike(backorder=True), parse_selection(bike(), {"layer-1": "12"}))
    assert configuration.unit_price == 145_000
    assert configuration.can_purchase
    assert [c.option.name for c in configuration.backordered if c.option] == ["Option 12"]


def test_unavailable_option_is_refused_with_a_message() -> None:
    spec = bike(backorder=False)
    configuration = resolve(spec, parse_selection(spec, {"layer-1": "12"}))
    assert not configuration.can_purchase
    assert configuration.problems == ("Wheels: Option 12 is out of stock and cannot be ordered.",)


def test_default_that_became_unavailable_falls_back_to_an_available_option() -> None:
    spec = bike(backorder=False)
    wheels = replace(spec.layers[0], default_option_id=12)
    spec = replace(spec, layers=(wheels, *spec.layers[1:]))
    configuration = resolve(spec, {})
    assert configuration.choices[0].option is not None
    assert configuration.choices[0].option.id == 11
    assert configuration.can_purchase


@pytest.mark.parametrize(
    "params",
    [
        {"layer-9": "11"},  # a layer of another product
        {"layer-1": "21"},  # an option of another layer
        {"layer-1": "999"},  # an unknown option
        {"layer-1": "abc"},
        {"layer-1": "-1"},
        {"layer-1": "1e3"},
        {"layer-1": "99999999999999999999999"},
        {"layer-x": "11"},
        {"layer-1": "none"},  # required layers cannot be empty
    ],
)
def test_tampered_selections_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(SelectionError):
        parse_selection(bike(), params)


def test_optional_layer_may_be_empty_and_other_parameters_are_ignored() -> None:
    selection = parse_selection(bike(), {"layer-3": "none", "quantity": "2", "_csrf_token": "x"})
    assert selection == {3: None}
    selection = parse_selection(bike(), {"layer-3": "31"})
    assert resolve(bike(), selection).unit_price == 101_900


def test_options_deleted_after_adding_to_cart_become_problems_not_errors() -> None:
    configuration = resolve(bike(), {1: 404})
    assert not configuration.can_purchase
    assert "no longer offered" in configuration.problems[0]


def test_query_pairs_round_trip() -> None:
    spec = bike()
    configuration = resolve(spec, {1: 12, 3: None})
    again = resolve(spec, parse_selection(spec, dict(configuration.query_pairs())))
    assert again.selection == configuration.selection


@pytest.mark.parametrize("text", ["1", "2", str(MAX_QUANTITY), " 3 "])
def test_quantity_accepts_whole_numbers_in_range(text: str) -> None:
    assert parse_quantity(text) == int(text)


@pytest.mark.parametrize(
    "text", ["0", "-1", "", "1.5", "abc", str(MAX_QUANTITY + 1), "10000000000", "\u0661", None]
)
def test_quantity_refuses_everything_else(text: str | None) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_cheapest_price_takes_negative_deltas_and_optional_layers_into_account() -> None:
    assert cheapest_price(bike()) == 100_000


def test_a_required_layer_with_a_single_option_is_not_shown_to_shoppers() -> None:
    spec = bike()
    backdrop = LayerSpec(4, "Backdrop", True, 41, (option(41, 4),))
    spec = replace(spec, layers=(backdrop, *spec.layers))
    configuration = resolve(spec, {})

    assert [c.layer.name for c in configuration.shown] == ["Wheels", "Frame", "Bell"]
    assert configuration.chosen[0].layer.name == "Backdrop", "still ordered"
    assert not spec.option_shown_to_shopper(41)
    assert spec.option_shown_to_shopper(11)
    assert spec.option_shown_to_shopper(31), "an optional layer of one option is a choice"
    assert spec.option_shown_to_shopper(999), "an option no longer sold: nothing says hidden"


def test_the_total_is_the_unit_price_times_the_quantity() -> None:
    configuration = resolve(bike(), {1: 12})
    assert configuration.total(5) == 5 * 145_000


# Publication --------------------------------------------------------------------------------


def test_a_configurator_a_shopper_can_build_can_be_published() -> None:
    assert publication_blockers(bike()) == ()
    assert structure_gaps(bike()) == ()


def test_a_configurator_without_layers_cannot_be_published() -> None:
    assert publication_blockers(replace(bike(), layers=())) == ("Add at least one layer.",)


def test_every_required_layer_needs_an_option_a_shopper_can_choose() -> None:
    spec = bike(backorder=False)
    wheels, frame, bell = spec.layers
    no_frames = replace(spec, layers=(wheels, replace(frame, options=()), bell))
    assert publication_blockers(no_frames) == ("Frame is required but has no options yet.",)

    sold_out = (option(11, 1, out=True), option(12, 1, out=True))
    no_wheels = replace(spec, layers=(replace(wheels, options=sold_out), frame, bell))
    (blocker,) = publication_blockers(no_wheels)
    assert blocker.startswith("Wheels is required but every option is Out of Stock")
    # With backorders allowed, an Out of Stock option is still choosable.
    assert publication_blockers(replace(no_wheels, settings=bike().settings)) == ()
    # Running out is not structure: only the layer without options is a gap.
    assert [gap.layer_name for gap in structure_gaps(no_wheels)] == []
    assert [gap.layer_name for gap in structure_gaps(no_frames)] == ["Frame"]


def test_an_optional_layer_without_options_does_not_stop_publishing() -> None:
    spec = bike()
    wheels, frame, bell = spec.layers
    no_bells = replace(spec, layers=(wheels, frame, replace(bell, options=())))
    assert publication_blockers(no_bells) == ()
    assert structure_gaps(no_bells) == ()


def test_a_published_configurator_refuses_an_edit_that_leaves_nothing_to_build() -> None:
    spec = bike()
    wheels, frame, bell = spec.layers
    no_frames = replace(spec, layers=(wheels, replace(frame, options=()), bell))
    refusal = published_edit_refusal(spec, no_frames)
    assert refusal == (
        "This would leave Frame, a required layer, with no options, so shoppers could not "
        "build Bike. Unpublish Bike first, or add another option to Frame: a published "
        "product needs an option on every required layer."
    )
    no_layers = published_edit_refusal(spec, replace(spec, layers=()))
    assert no_layers is not None
    assert no_layers.startswith("This would leave Bike with no layers")
    assert "Unpublish Bike first, or add another layer" in no_layers
    # An empty layer made required: "an" option, not "another".
    empty_bell = replace(bell, options=())
    before = replace(spec, layers=(wheels, frame, empty_bell))
    after = replace(spec, layers=(wheels, frame, replace(empty_bell, required=True)))
    assert "or add an option to Bell:" in (published_edit_refusal(before, after) or "")


def test_a_draft_or_a_gap_already_there_or_stock_never_refuses_an_edit() -> None:
    spec = bike(backorder=False)
    wheels, frame, bell = spec.layers
    no_frames = replace(spec, layers=(wheels, replace(frame, options=()), bell))
    assert published_edit_refusal(replace(spec, published=False), no_frames) is None
    # A required layer just added, still empty: other edits go on (renaming it too).
    with_new = replace(spec, layers=(*spec.layers, LayerSpec(4, "Light", True, None, ())))
    renamed = replace(with_new, layers=(wheels, frame, LayerSpec(4, "Lamp", True, None, ())))
    assert published_edit_refusal(with_new, renamed) is None
    # Deleting the wheels that are in stock leaves only sold-out ones: stock, not structure.
    only_sold_out = replace(
        spec, layers=(replace(wheels, options=(wheels.options[1],)), frame, bell)
    )
    assert published_edit_refusal(spec, only_sold_out) is None


def test_a_required_layer_without_options_says_the_product_cannot_be_ordered_yet() -> None:
    spec = bike()
    spec = replace(spec, layers=(*spec.layers, LayerSpec(4, "Light", True, None, ())))
    configuration = resolve(spec, {})
    assert not configuration.can_purchase
    assert configuration.problems == ("This product cannot be ordered yet: Light has no options.",)
