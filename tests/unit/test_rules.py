"""Conditional logic: the rules engine alone, then through a configurator."""

from dataclasses import replace
from itertools import product

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from configurator.core.configuration import (
    LayerSpec,
    nearest_build,
    publication_blockers,
    published_edit_refusal,
    resolve,
    rules_refusal,
)
from configurator.core.rules import (
    Action,
    LayerShape,
    Rule,
    dead_end,
    evaluate,
    evaluation_order,
    find_loop,
)
from tests.unit.specs import bike, option

# Wheels 1 (11, 12), Frame 2 (21, 22), Bell 3 optional (31).
WHEELS, FRAME, BELL = 1, 2, 3
LAYERS = (
    LayerShape(WHEELS, True, (11, 12), 11),
    LayerShape(FRAME, True, (21, 22), 21),
    LayerShape(BELL, False, (31,), None),
)


def test_without_rules_nothing_changes() -> None:
    evaluation = evaluate(LAYERS, (), {WHEELS: 12})
    assert evaluation.selection == {WHEELS: 12}
    assert not evaluation.changes and evaluation.layer_shown(BELL)


def test_hide_an_option_when_another_is_chosen_gives_the_default_instead() -> None:
    rule = Rule(1, frozenset({12}), Action.HIDE, option_id=22)
    evaluation = evaluate(LAYERS, (rule,), {WHEELS: 12, FRAME: 22})
    assert not evaluation.option_shown(22)
    assert evaluation.selection[FRAME] == 21
    (change,) = evaluation.changes
    assert (change.layer_id, change.was, change.now, change.effect.direct) == (FRAME, 22, 21, True)
    # The other wheels: the rule does not apply and the frame stays.
    assert evaluate(LAYERS, (rule,), {WHEELS: 11, FRAME: 22}).selection[FRAME] == 22


def test_hidden_layer_is_not_part_of_the_build() -> None:
    rule = Rule(1, frozenset({12}), Action.HIDE, layer_id=BELL)
    evaluation = evaluate(LAYERS, (rule,), {WHEELS: 12, BELL: 31})
    assert not evaluation.layer_shown(BELL)
    assert BELL not in evaluation.selection
    assert evaluation.changes[0].layer_hidden


def test_show_only_with_some_options_uses_otherwise() -> None:
    """The Bottle Cage is only offered with two of the frames."""
    rule = Rule(1, frozenset({21}), Action.SHOW, option_id=31, otherwise=True)
    assert evaluate(LAYERS, (rule,), {FRAME: 21, BELL: 31}).option_shown(31)
    evaluation = evaluate(LAYERS, (rule,), {FRAME: 22, BELL: 31})
    assert not evaluation.option_shown(31)
    assert evaluation.selection[BELL] is None  # an optional layer is left empty
    assert not evaluation.changes[0].effect.direct
    # Without "otherwise", a show rule whose options are not chosen changes nothing.
    plain = replace(rule, otherwise=False)
    assert evaluate(LAYERS, (plain,), {FRAME: 22, BELL: 31}).option_shown(31)


def test_disable_keeps_the_option_shown_but_not_choosable() -> None:
    rule = Rule(1, frozenset({12}), Action.DISABLE, option_id=22)
    evaluation = evaluate(LAYERS, (rule,), {WHEELS: 12})
    assert evaluation.option_shown(22) and not evaluation.option_enabled(22)
    assert not evaluation.choosable(22)


def test_a_chosen_rule_beats_an_otherwise_and_hide_beats_show() -> None:
    show = Rule(1, frozenset({12}), Action.SHOW, option_id=31, otherwise=True)
    hide = Rule(2, frozenset({22}), Action.HIDE, option_id=31)
    # Wheels 11: show's otherwise hides; frame 21: hide does not apply.
    assert not evaluate(LAYERS, (show, hide), {WHEELS: 11, FRAME: 21}).option_shown(31)
    # Wheels 12: show applies (direct) and hide does not.
    assert evaluate(LAYERS, (show, hide), {WHEELS: 12, FRAME: 21}).option_shown(31)
    # Both apply directly: hide wins.
    assert not evaluate(LAYERS, (show, hide), {WHEELS: 12, FRAME: 22}).option_shown(31)


def test_rules_chain_in_one_pass_upstream_first() -> None:
    """Bell hidden by frame 22, frame 22 forced by wheels 12 hiding frame 21: evaluated in
    the rules' order even though the layers are listed the other way round."""
    layers = tuple(reversed(LAYERS))
    rules = (
        Rule(1, frozenset({22}), Action.HIDE, layer_id=BELL),
        Rule(2, frozenset({12}), Action.HIDE, option_id=21),
    )
    assert evaluation_order(layers, rules) == (WHEELS, FRAME, BELL)
    evaluation = evaluate(layers, rules, {WHEELS: 12, FRAME: 21, BELL: 31})
    assert evaluation.selection == {WHEELS: 12, FRAME: 22}
    assert [c.layer_id for c in evaluation.changes] == [FRAME, BELL]


def test_loops_are_found() -> None:
    to_frame = Rule(1, frozenset({11}), Action.HIDE, option_id=22)
    to_wheels = Rule(2, frozenset({22}), Action.DISABLE, option_id=12)
    assert find_loop(LAYERS, (to_frame,)) is None
    assert find_loop(LAYERS, (to_frame, to_wheels)) == (WHEELS, FRAME, WHEELS)
    same_layer = Rule(3, frozenset({11}), Action.DISABLE, option_id=12)
    assert find_loop(LAYERS, (same_layer,)) == (WHEELS, WHEELS)


def test_dead_end_names_the_build_that_empties_a_required_layer() -> None:
    rules = (
        Rule(1, frozenset({12}), Action.HIDE, option_id=21),
        Rule(2, frozenset({12}), Action.DISABLE, option_id=22),
    )
    end = dead_end(LAYERS, rules)
    assert end is not None and end.layer_id == FRAME and end.selection == {WHEELS: 12}
    # Hiding the whole layer instead is fine: a hidden layer is not part of the build.
    assert dead_end(LAYERS, (Rule(1, frozenset({12}), Action.HIDE, layer_id=FRAME),)) is None
    # An optional layer may be left with nothing.
    assert dead_end(LAYERS, (Rule(1, frozenset({12}), Action.HIDE, option_id=31),)) is None


# Through a configurator -------------------------------------------------------------------


def test_resolve_refuses_a_hidden_choice_and_nearest_build_says_what_changed() -> None:
    spec = replace(bike(), rules=(Rule(1, frozenset({11}), Action.HIDE, option_id=22),))
    refused = resolve(spec, {WHEELS: 11, FRAME: 22})
    assert refused.problems == ("Frame: Option 22 is not offered with Wheels · Option 11.",)
    assert not refused.can_purchase
    configuration, changed = nearest_build(spec, {WHEELS: 11, FRAME: 22})
    assert configuration.can_purchase
    assert configuration.selection[FRAME] == 21
    assert changed == (
        "Frame: Option 22 is not offered with Wheels · Option 11, so Option 21 is chosen instead.",
    )


def test_a_hidden_layer_is_not_priced() -> None:
    spec = replace(bike(), rules=(Rule(1, frozenset({22}), Action.HIDE, layer_id=BELL),))
    with_bell = resolve(spec, {FRAME: 21, BELL: 31})
    configuration, changed = nearest_build(spec, {FRAME: 22, BELL: 31})
    assert BELL not in configuration.selection
    assert configuration.unit_price == with_bell.unit_price - 1_900 + 5_000
    assert changed == ("Bell is not offered with Frame · Option 22, so it was left out.",)


def test_otherwise_reason_and_disabled_reason_are_told() -> None:
    spec = replace(
        bike(),
        rules=(Rule(1, frozenset({22}), Action.ENABLE, option_id=31, otherwise=True),),
    )
    configuration = resolve(spec, {FRAME: 21})
    assert configuration.why_disabled(31) == "Can only be chosen with Frame · Option 22"
    assert resolve(spec, {FRAME: 21, BELL: 31}).problems == (
        "Bell: Option 31 can only be chosen with Frame · Option 22.",
    )


def test_default_falls_back_past_an_out_of_stock_option() -> None:
    """Frame 21 hidden: the layer's first option a shopper can buy is chosen, not one out of
    stock."""
    spec = bike(backorder=False)
    frame = LayerSpec(
        FRAME, "Frame", True, 21, (option(21, 2), option(23, 2, out=True), option(22, 2))
    )
    spec = replace(
        spec,
        layers=(spec.layers[0], frame, spec.layers[2]),
        rules=(Rule(1, frozenset({11}), Action.HIDE, option_id=21),),
    )
    configuration, _ = nearest_build(spec, {WHEELS: 11})
    assert configuration.selection[FRAME] == 22


def test_rules_refusal_words_loops_and_dead_ends() -> None:
    spec = bike()
    loop = rules_refusal(spec, (Rule(1, frozenset({11}), Action.DISABLE, option_id=12),))
    assert loop is not None and "loop" in loop and "Wheels" in loop
    two = (
        Rule(1, frozenset({11}), Action.HIDE, option_id=22),
        Rule(2, frozenset({22}), Action.DISABLE, option_id=12),
    )
    assert rules_refusal(spec, two) == (
        "This rule would make a loop: Wheels changes Frame changes Wheels. A layer cannot "
        "change, through rules, the layers its own options depend on."
    )
    dead = (
        Rule(1, frozenset({12}), Action.HIDE, option_id=21),
        Rule(2, frozenset({12}), Action.HIDE, option_id=22),
    )
    refusal = rules_refusal(spec, dead)
    assert refusal is not None
    assert refusal.startswith("With Wheels · Option 12, Frame is required but every one")
    assert rules_refusal(spec, dead[:1]) is None


# Properties -------------------------------------------------------------------------------


@st.composite
def configurators(
    draw: st.DrawFn, *, acyclic: bool = True
) -> tuple[tuple[LayerShape, ...], tuple[Rule, ...]]:
    """Up to four layers of one to three options, and up to five rules; with `acyclic`, each
    rule's options are on layers before its target (any rule set that passes `find_loop` can be
    laid out so)."""
    count = draw(st.integers(1, 4))
    layers = []
    for index in range(1, count + 1):
        options = tuple(index * 10 + j for j in range(1, draw(st.integers(1, 3)) + 1))
        default = draw(st.sampled_from((*options, None)))
        layers.append(LayerShape(index, draw(st.booleans()), options, default))
    rules = []
    for rule_id in range(1, draw(st.integers(0, 5)) + 1):
        target_index = draw(st.integers(0, count - 1))
        sources = [o for la in layers[: target_index if acyclic else count] for o in la.options]
        if not sources:
            continue
        when = frozenset(draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3)))
        action = draw(st.sampled_from(list(Action)))
        target = layers[target_index]
        on_layer = action.on_layers and draw(st.booleans())
        rules.append(
            Rule(
                rule_id,
                when,
                action,
                layer_id=target.id if on_layer else None,
                option_id=None if on_layer else draw(st.sampled_from(target.options)),
                otherwise=draw(st.booleans()),
            )
        )
    return tuple(layers), tuple(rules)


@st.composite
def selections(draw: st.DrawFn, layers: tuple[LayerShape, ...]) -> dict[int, int | None]:
    selection: dict[int, int | None] = {}
    for layer in layers:
        if draw(st.booleans()):
            empty = () if layer.required else (None,)  # parse_selection refuses the rest
            selection[layer.id] = draw(st.sampled_from((*layer.options, *empty)))
    return selection


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_nearest_build_only_holds_what_can_be_chosen_and_is_stable(data: st.DataObject) -> None:
    layers, rules = data.draw(configurators())
    selection = data.draw(selections(layers))
    evaluation = evaluate(layers, rules, selection)
    for layer in layers:
        if not evaluation.layer_shown(layer.id):
            assert layer.id not in evaluation.selection
            continue
        chosen = evaluation.selection.get(layer.id)
        if chosen is not None:
            assert evaluation.choosable(chosen)
    again = evaluate(layers, rules, evaluation.selection)
    assert not again.changes
    assert again.selection == evaluation.selection


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_no_rule_set_empties_a_required_layer_unless_saving_says_so(data: st.DataObject) -> None:
    """If `dead_end` (what the admin checks on save) finds nothing, every build leaves every
    shown required layer with an option; if it finds a build, that build really is stuck."""
    layers, rules = data.draw(configurators())
    end = dead_end(layers, rules)
    if end is not None:
        evaluation = evaluate(layers, rules, end.selection)
        assert evaluation.layer_shown(end.layer_id)
        assert evaluation.selection[end.layer_id] is None
        return
    choices = ((*la.options, *(() if la.required else (None,))) for la in layers)
    for values in product(*choices):
        selection = {la.id: v for la, v in zip(layers, values, strict=True)}
        evaluation = evaluate(layers, rules, selection)
        for layer in layers:
            if layer.required and evaluation.layer_shown(layer.id):
                assert evaluation.selection[layer.id] is not None


# Rule sets drawn freely often loop; those are filtered out on purpose.
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(configurators(acyclic=False))
def test_rules_without_a_loop_are_evaluated_upstream_first(
    drawn: tuple[tuple[LayerShape, ...], tuple[Rule, ...]],
) -> None:
    layers, rules = drawn
    assume(find_loop(layers, rules) is None)
    order = evaluation_order(layers, rules)
    layer_of = {o: la.id for la in layers for o in la.options}
    for rule in rules:
        target = rule.layer_id if rule.option_id is None else layer_of[rule.option_id]
        for source in rule.when:
            assert order.index(layer_of[source]) < order.index(target)


@settings(max_examples=30, deadline=None)
@given(configurators(acyclic=False))
def test_a_rule_on_its_own_layer_is_always_a_loop(
    drawn: tuple[tuple[LayerShape, ...], tuple[Rule, ...]],
) -> None:
    layers, _rules = drawn
    first = layers[0]
    rule = Rule(99, frozenset({first.options[0]}), Action.HIDE, layer_id=first.id)
    assert find_loop(layers, (rule,)) is not None


def test_an_edit_that_leaves_rules_with_a_dead_end_is_refused_while_published() -> None:
    """Frame 22 hidden with wheels 12: deleting frame 21 would leave Frame empty then."""
    spec = replace(bike(), rules=(Rule(1, frozenset({12}), Action.HIDE, option_id=22),))
    frame = spec.layers[1]
    after = replace(
        spec, layers=(spec.layers[0], replace(frame, options=frame.options[1:]), spec.layers[2])
    )
    refusal = published_edit_refusal(spec, after)
    assert refusal is not None
    assert refusal.startswith("This would leave a build shoppers could not finish. With Wheels")
    assert published_edit_refusal(replace(spec, published=False), after) is None
    assert publication_blockers(replace(after, published=False))[-1].startswith("With Wheels")
