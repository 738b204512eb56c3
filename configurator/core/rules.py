"""Conditional logic: one choice changes what else is offered.

Pure, like `availability`: plain values in, plain answers out. A merchant's rule reads
**IF** an option (or any of several options) is chosen **THEN** show / hide a layer or an
option, or enable / disable an option, with an optional reverse action ("otherwise") when
none of them is chosen. Without a rule everything is shown and enabled.

When rules disagree about one layer or option, a rule whose options are chosen beats an
"otherwise"; between equals, hide beats show and disable beats enable.

Rules run along the layers they connect: a rule's options are on some layers and its target
on another, and a rule set whose layers form a loop (a layer that, through rules, changes
what its own options depend on) is refused when saved (`find_loop`), so a build is
evaluated in one pass, upstream layers first (`evaluate`). A hidden layer is not part of the
build; a hidden or disabled option cannot be chosen, and a build that asks for one gets the
nearest valid build instead (the layer's default, or its first option a shopper can choose)
with the list of what changed. `dead_end` finds a build in which a required layer is shown
with no option to choose, which the admin refuses when a rule is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    SHOW = "show"
    HIDE = "hide"
    ENABLE = "enable"
    DISABLE = "disable"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def reverse(self) -> Action:
        return _REVERSE[self]

    @property
    def restricts(self) -> bool:
        """Hide and disable take something away from the shopper."""
        return self in {Action.HIDE, Action.DISABLE}

    @property
    def on_layers(self) -> bool:
        """Show and hide apply to a layer or an option; enable and disable to an option."""
        return self in {Action.SHOW, Action.HIDE}


_REVERSE = {
    Action.SHOW: Action.HIDE,
    Action.HIDE: Action.SHOW,
    Action.ENABLE: Action.DISABLE,
    Action.DISABLE: Action.ENABLE,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """IF any option of `when` is chosen THEN `action` on the target (a layer, or an option),
    and, with `otherwise`, the reverse action when none of them is chosen."""

    id: int
    when: frozenset[int]
    action: Action
    layer_id: int | None = None
    option_id: int | None = None
    otherwise: bool = False


@dataclass(frozen=True, slots=True)
class LayerShape:
    """What the rules need of a layer: its options in order and which one is the default."""

    id: int
    required: bool
    options: tuple[int, ...]
    default: int | None = None


@dataclass(frozen=True, slots=True)
class Effect:
    """Why a layer or an option is as it is: the rule, and whether its options are chosen
    (`direct`) or it applies its "otherwise"."""

    rule: Rule
    direct: bool

    @property
    def action(self) -> Action:
        return self.rule.action if self.direct else self.rule.action.reverse


@dataclass(frozen=True, slots=True)
class Change:
    """What the nearest valid build changed: on `layer_id`, `was` (asked for) became `now`
    (None: the layer is hidden, or left empty), because of `effect`."""

    layer_id: int
    was: int | None
    now: int | None
    effect: Effect
    layer_hidden: bool = False


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A build after the rules: what is shown, what can be chosen, and the valid selection."""

    selection: Mapping[int, int | None]
    """Layer id -> option id (None: left empty) for every shown layer; hidden layers absent."""
    hidden_layers: Mapping[int, Effect]
    hidden_options: Mapping[int, Effect]
    disabled_options: Mapping[int, Effect]
    changes: tuple[Change, ...]

    def layer_shown(self, layer_id: int) -> bool:
        return layer_id not in self.hidden_layers

    def option_shown(self, option_id: int) -> bool:
        return option_id not in self.hidden_options

    def option_enabled(self, option_id: int) -> bool:
        return option_id not in self.disabled_options

    def choosable(self, option_id: int) -> bool:
        return self.option_shown(option_id) and self.option_enabled(option_id)


NO_RULES = Evaluation({}, {}, {}, {}, ())


def _target_layer(rule: Rule, layer_of: Mapping[int, int]) -> int | None:
    if rule.option_id is not None:
        return layer_of.get(rule.option_id)
    return rule.layer_id


def _layer_of(layers: Sequence[LayerShape]) -> dict[int, int]:
    return {option: layer.id for layer in layers for option in layer.options}


def _edges(layers: Sequence[LayerShape], rules: Iterable[Rule]) -> dict[int, set[int]]:
    """Layer -> layers whose shown or enabled options it changes through rules."""
    layer_of = _layer_of(layers)
    edges: dict[int, set[int]] = {layer.id: set() for layer in layers}
    for rule in rules:
        target = _target_layer(rule, layer_of)
        if target is None or target not in edges:
            continue
        for option in rule.when:
            source = layer_of.get(option)
            if source is not None:
                edges[source].add(target)
    return edges


def find_loop(layers: Sequence[LayerShape], rules: Iterable[Rule]) -> tuple[int, ...] | None:
    """Layer ids that change each other in a loop (the first layer repeated at the end), or
    None. A rule that changes the layer its own options are on is a loop of one."""
    edges = _edges(layers, rules)
    order = [layer.id for layer in layers]
    state: dict[int, int] = {}  # 1: on the path, 2: done
    path: list[int] = []

    def visit(node: int) -> tuple[int, ...] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node], key=order.index):
            if state.get(nxt) == 1:
                return (*path[path.index(nxt) :], nxt)
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in order:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def evaluation_order(layers: Sequence[LayerShape], rules: Iterable[Rule]) -> tuple[int, ...]:
    """Layer ids with every layer after the layers its rules' options are on; the merchant's
    layer order otherwise. A loop (refused when saved) is cut in the merchant's order."""
    edges = _edges(layers, rules)
    incoming = {layer.id: 0 for layer in layers}
    for targets in edges.values():
        for target in targets:
            incoming[target] += 1
    remaining = [layer.id for layer in layers]
    order: list[int] = []
    while remaining:
        ready = next((n for n in remaining if incoming[n] == 0), remaining[0])
        remaining.remove(ready)
        order.append(ready)
        for target in edges[ready]:
            incoming[target] -= 1
    return tuple(order)


def _decide(effects: Iterable[Effect]) -> Effect | None:
    """The effect that wins: a rule whose options are chosen over an "otherwise", then
    restricting over allowing. None: no rule speaks."""
    return max(effects, key=lambda e: (e.direct, e.action.restricts), default=None)


@dataclass(frozen=True, slots=True)
class _LayerState:
    hidden: Effect | None
    hidden_options: dict[int, Effect]
    disabled_options: dict[int, Effect]
    choosable: tuple[int, ...]


class _Rules:
    """Rules grouped by their target, for one configurator."""

    def __init__(self, layers: Sequence[LayerShape], rules: Iterable[Rule]) -> None:
        self.layers = {layer.id: layer for layer in layers}
        self.rules = tuple(rules)
        self.order = evaluation_order(layers, self.rules)
        layer_of = _layer_of(layers)
        self.by_layer: dict[int, list[Rule]] = {}
        for rule in self.rules:
            target = _target_layer(rule, layer_of)
            if target is not None:
                self.by_layer.setdefault(target, []).append(rule)
        self.condition_layers = {
            layer_of[o] for rule in self.rules for o in rule.when if o in layer_of
        }

    def state(self, layer: LayerShape, chosen: set[int]) -> _LayerState:
        layer_effects: list[Effect] = []
        shown_effects: dict[int, list[Effect]] = {}
        enabled_effects: dict[int, list[Effect]] = {}
        for rule in self.by_layer.get(layer.id, ()):
            direct = bool(rule.when & chosen)
            if not direct and not rule.otherwise:
                continue
            effect = Effect(rule, direct)
            if rule.option_id is None:
                if rule.action.on_layers:
                    layer_effects.append(effect)
            elif rule.action.on_layers:
                shown_effects.setdefault(rule.option_id, []).append(effect)
            else:
                enabled_effects.setdefault(rule.option_id, []).append(effect)
        hidden = _decide(layer_effects)
        hidden_options = {
            o: e
            for o, effects in shown_effects.items()
            if (e := _decide(effects)) and e.action.restricts
        }
        disabled = {
            o: e
            for o, effects in enabled_effects.items()
            if (e := _decide(effects)) and e.action.restricts
        }
        choosable = tuple(o for o in layer.options if o not in hidden_options and o not in disabled)
        return _LayerState(
            hidden if hidden and hidden.action.restricts else None,
            hidden_options,
            disabled,
            choosable,
        )


def _fallback(
    layer: LayerShape, choosable: Sequence[int], purchasable: Callable[[int], bool]
) -> int | None:
    """The layer's default if it can be chosen; an optional layer is otherwise left empty; a
    required one takes its first option a shopper can buy, or its first that can be chosen."""
    default = layer.default if layer.default in choosable else None
    if default is not None and purchasable(default):
        return default
    if not layer.required:
        return None
    return next(
        (o for o in choosable if purchasable(o)),
        default if default is not None else (choosable[0] if choosable else None),
    )


def evaluate(
    layers: Sequence[LayerShape],
    rules: Iterable[Rule],
    selection: Mapping[int, int | None],
    purchasable: Callable[[int], bool] = lambda _option: True,
) -> Evaluation:
    """Apply the rules to a shopper's selection (layer id -> option id or None; a layer not
    named takes its default). Returns the nearest valid build and what was changed to get it.

    Options the configurator does not have are kept as asked (resolving reports them)."""
    grouped = _Rules(layers, rules)
    if not grouped.rules:
        # Nothing changes: defaults are resolving's job.
        return Evaluation(dict(selection), {}, {}, {}, ())
    chosen: set[int] = set()
    result: dict[int, int | None] = {}
    hidden_layers: dict[int, Effect] = {}
    hidden_options: dict[int, Effect] = {}
    disabled_options: dict[int, Effect] = {}
    changes: list[Change] = []
    for layer_id in grouped.order:
        layer = grouped.layers[layer_id]
        state = grouped.state(layer, chosen)
        hidden_options |= state.hidden_options
        disabled_options |= state.disabled_options
        asked = selection.get(layer_id)
        if state.hidden is not None:
            hidden_layers[layer_id] = state.hidden
            if asked is not None:
                changes.append(Change(layer_id, asked, None, state.hidden, layer_hidden=True))
            continue
        if layer_id not in selection:
            option = _fallback(layer, state.choosable, purchasable)
        elif asked is None or asked not in layer.options or asked in state.choosable:
            option = asked
        else:
            option = _fallback(layer, state.choosable, purchasable)
            effect = state.hidden_options.get(asked) or state.disabled_options[asked]
            changes.append(Change(layer_id, asked, option, effect))
        result[layer_id] = option
        if option is not None:
            chosen.add(option)
    for layer_id, option in selection.items():
        if layer_id not in grouped.layers:
            result[layer_id] = option  # another product's layer: resolving says so
    return Evaluation(result, hidden_layers, hidden_options, disabled_options, tuple(changes))


@dataclass(frozen=True, slots=True)
class DeadEnd:
    """A build (the options chosen on the layers before it) that leaves the required layer
    `layer_id` shown with no option a shopper can choose."""

    layer_id: int
    selection: Mapping[int, int | None]


def dead_end(
    layers: Sequence[LayerShape], rules: Iterable[Rule], *, limit: int = 20_000
) -> DeadEnd | None:
    """A build in which a required layer is shown with every option hidden or disabled, or
    None when no build can get there. Structure only: stock never counts (running out is the
    storefront's "Out of Stock", and a restock ends it). Only the layers rules depend on are
    branched on; past `limit` builds the search stops (None)."""
    grouped = _Rules(layers, rules)
    if not grouped.rules:
        return None
    order = grouped.order
    budget = [limit]

    def search(index: int, chosen: set[int], selection: dict[int, int | None]) -> DeadEnd | None:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if index == len(order):
            return None
        layer = grouped.layers[order[index]]
        state = grouped.state(layer, chosen)
        if state.hidden is not None:
            return search(index + 1, chosen, selection)
        if layer.required and layer.options and not state.choosable:
            return DeadEnd(layer.id, dict(selection))
        branches: list[int | None] = [None]
        if layer.id in grouped.condition_layers:
            branches = [*state.choosable, *([None] if not layer.required else [])]
        for option in branches:
            found = search(
                index + 1,
                chosen | ({option} if option is not None else set()),
                {**selection, layer.id: option}
                if layer.id in grouped.condition_layers
                else selection,
            )
            if found:
                return found
        return None

    return search(0, set(), {})
