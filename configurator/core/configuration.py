"""A configurable product as plain values, and how a shopper's choices resolve against it.

Pure like `availability`: the catalog is loaded into these frozen dataclasses once, and the
storefront, the cart and checkout resolve selections here. Prices are integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from configurator.core.availability import (
    BACKORDER_NOTICE,
    SHIPS_ONCE_RESTOCKED,
    AddDecision,
    Availability,
    LineSplit,
    OptionStock,
    StockSettings,
    combined_availability,
    decide_add,
    option_availability,
    split_line,
    split_summary,
    with_timeframe,
)
from configurator.core.rules import (
    NO_RULES,
    Action,
    Change,
    Evaluation,
    LayerShape,
    Rule,
    dead_end,
    evaluate,
    find_loop,
)

LAYER_PARAM_PREFIX = "layer-"
NONE_CHOICE = "none"
MAX_QUANTITY = 99

Selection = dict[int, int | None]
"""layer id -> chosen option id, or None for an optional layer left empty."""


class SelectionError(ValueError):
    """The request names layers or options that do not belong to this product."""


class QuantityError(ValueError):
    """The quantity is not a whole number we accept."""


MAIN_VIEW = 0
"""The view every configurator has: the option's own image. Views the merchant adds (Back,
Detail...) have their database ids."""


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """One side the product is shown from."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LayerImage:
    """An option's image for one view: its id and content hash (what a composed picture of a
    build depends on)."""

    image_id: int
    sha256: str
    view_id: int = MAIN_VIEW

    @property
    def url(self) -> str:
        """Images are immutable per content hash, so the URL carries it for long caching."""
        return f"/media/{self.image_id}?v={self.sha256[:12]}"

    @property
    def swatch_url(self) -> str:
        """A small picture of what the image paints, beside the option's name."""
        return f"/media/{self.image_id}/swatch.webp?v={self.sha256[:12]}"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    id: int
    layer_id: int
    name: str
    sku: str
    price_delta: int
    image_url: str | None
    stock: OptionStock
    images: tuple[LayerImage, ...] = ()
    """Its image per view; a view it has none for shows nothing of it."""

    def image_for(self, view: int = MAIN_VIEW) -> LayerImage | None:
        return next((i for i in self.images if i.view_id == view), None)

    def image_url_for(self, view: int = MAIN_VIEW) -> str | None:
        image = self.image_for(view)
        return image.url if image else None


@dataclass(frozen=True, slots=True)
class LayerSpec:
    id: int
    name: str
    required: bool
    default_option_id: int | None
    options: tuple[OptionSpec, ...]

    def option(self, option_id: int) -> OptionSpec | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def shown_to_shopper(self) -> bool:
        """A required layer with a single option (a backdrop, say) offers no choice, so the
        configurator, the cart, checkout and the confirmation leave it out; orders still
        record it. The one rule every page asks."""
        return not (self.required and len(self.options) == 1)


@dataclass(frozen=True, slots=True)
class ConfiguratorSpec:
    """A configurable product with its layers and its Global Settings."""

    product_id: int
    slug: str
    name: str
    description: str
    base_price: int
    settings: StockSettings
    layers: tuple[LayerSpec, ...]
    published: bool = True
    """Shoppers see, configure and buy only a published configurator; a draft is the
    merchant's alone (see `publication_blockers`)."""
    views: tuple[ViewSpec, ...] = (ViewSpec(MAIN_VIEW, "Front"),)
    """The sides it is shown from, the main view first."""

    def view(self, view_id: int) -> ViewSpec | None:
        return next((v for v in self.views if v.id == view_id), None)

    rules: tuple[Rule, ...] = ()
    """Conditional logic (`core.rules`): one choice shows, hides, enables or disables others."""

    @property
    def shapes(self) -> tuple[LayerShape, ...]:
        """The layers as the rules read them."""
        return tuple(
            LayerShape(la.id, la.required, tuple(o.id for o in la.options), la.default_option_id)
            for la in self.layers
        )

    def layer(self, layer_id: int) -> LayerSpec | None:
        return next((la for la in self.layers if la.id == layer_id), None)

    def availability(self, option: OptionSpec) -> Availability:
        return option_availability(self.settings, option.stock)

    def option(self, option_id: int) -> OptionSpec | None:
        return next((o for la in self.layers for o in la.options if o.id == option_id), None)

    def backorder_overrides(self) -> tuple[tuple[LayerSpec, OptionSpec], ...]:
        """Options whose own Backorders setting differs from Global Settings: they do not
        follow the global choice until the merchant picks "Use global setting" for them."""
        return tuple(
            (layer, option)
            for layer in self.layers
            for option in layer.options
            if option.stock.backorders not in {None, self.settings.backorders}
        )

    def option_shown_to_shopper(self, option_id: int | None) -> bool:
        """Whether an order's option is on a layer shoppers see (an option no longer in the
        catalog is shown: nothing says it was hidden)."""
        option = self.option(option_id) if option_id is not None else None
        layer = self.layer(option.layer_id) if option else None
        return layer is None or layer.shown_to_shopper


@dataclass(frozen=True, slots=True)
class Choice:
    layer: LayerSpec
    option: OptionSpec | None
    availability: Availability | None

    @property
    def price_delta(self) -> int:
        return self.option.price_delta if self.option else 0


@dataclass(frozen=True, slots=True)
class Configuration:
    """A resolved configuration: one choice per layer, its price and what stops a purchase."""

    spec: ConfiguratorSpec
    choices: tuple[Choice, ...]
    problems: tuple[str, ...] = field(default=())
    rules: Evaluation = NO_RULES
    """What the configurator's rules hide and disable for this build."""

    def option_shown(self, option_id: int) -> bool:
        return self.rules.option_shown(option_id)

    def option_enabled(self, option_id: int) -> bool:
        return self.rules.option_enabled(option_id)

    def why_disabled(self, option_id: int) -> str:
        """Why the rules disable an option, in the shopper's words ("" when they do not)."""
        effect = self.rules.disabled_options.get(option_id)
        if effect is None:
            return ""
        reason = _rule_reason(self.spec, effect.rule, effect.direct, "cannot be chosen")
        return reason[:1].upper() + reason[1:]

    @property
    def unit_price(self) -> int:
        return self.spec.base_price + sum(c.price_delta for c in self.choices)

    @property
    def availability(self) -> Availability:
        return combined_availability(c.availability for c in self.choices if c.availability)

    @property
    def backordered(self) -> tuple[Choice, ...]:
        """Chosen options on backorder that the shopper is told about."""
        return tuple(
            c
            for c in self.choices
            if c.availability and c.availability.is_backorder and c.availability.tells_customer
        )

    @property
    def can_purchase(self) -> bool:
        return not self.problems

    @property
    def chosen(self) -> tuple[Choice, ...]:
        """The choices with an option (an optional layer left empty has none)."""
        return tuple(c for c in self.choices if c.option and c.availability)

    @property
    def only_left(self) -> Choice | None:
        """The chosen option with the fewest left, when its "Only X left" notice applies."""
        low = [c for c in self.chosen if c.availability and c.availability.only_left is not None]
        return min(
            low,
            key=lambda c: (c.availability.only_left if c.availability else None) or 0,
            default=None,
        )

    def split(self, quantity: int, taken: Mapping[int, int] | None = None) -> LineSplit:
        """In-stock and backordered units of `quantity`, after `taken` units per option id went
        to earlier cart lines."""
        taken = taken or {}
        chosen = self.chosen
        return split_line(
            [c.availability for c in chosen if c.availability],
            quantity,
            [taken.get(c.option.id, 0) for c in chosen if c.option],
        )

    def decide_add(
        self,
        quantity: int,
        taken: Mapping[int, int] | None = None,
        in_stock_taken: Mapping[int, int] | None = None,
    ) -> AddDecision:
        """`taken`: units per option id the rest of the cart holds (the salable limit counts
        them all); `in_stock_taken`: those held by ordinary lines, which have first claim on
        what is in stock (default: `taken`)."""
        taken = taken or {}
        chosen = self.chosen
        ids = [c.option.id for c in chosen if c.option]
        return decide_add(
            self.spec.settings,
            [c.availability for c in chosen if c.availability],
            quantity,
            [taken.get(i, 0) for i in ids],
            None if in_stock_taken is None else [in_stock_taken.get(i, 0) for i in ids],
        )

    @property
    def shown(self) -> tuple[Choice, ...]:
        """The choices on layers the shopper sees (see `LayerSpec.shown_to_shopper`)."""
        return tuple(c for c in self.choices if c.layer.shown_to_shopper)

    def total(self, quantity: int) -> int:
        """The price of `quantity` of this build."""
        return self.unit_price * quantity

    @property
    def selection(self) -> Selection:
        return {c.layer.id: (c.option.id if c.option else None) for c in self.choices}

    def query_pairs(self) -> list[tuple[str, str]]:
        """The configuration as query parameters, for shareable URLs."""
        return selection_to_pairs(self.selection)


@dataclass(frozen=True, slots=True)
class Notice:
    """One sentence the product page tells the shopper. `kind` names how it looks (error,
    backorder, low, instock); `lead`, when there is one, is said first and stands out."""

    kind: str
    text: str
    lead: str = ""


def _named(choice: Choice) -> str:
    assert choice.option is not None
    return f"{choice.layer.name} · {choice.option.name}"


def availability_notices(
    configuration: Configuration, quantity: int, decision: AddDecision | None
) -> tuple[Notice, ...]:
    """What the product page says about buying `quantity` of this build (`decision`: what
    adding it to the cart would do; None when it cannot be bought).

    What stops the purchase comes first; then the options on backorder the shopper is told of,
    a quantity refused (more than can be sold), a quantity that ships partly now, the "Only X
    left" notice, and otherwise that the build is in stock.
    """
    if configuration.problems:
        return tuple(Notice("error", problem) for problem in configuration.problems)
    notices: list[Notice] = []
    if configuration.backordered:
        names = ", ".join(
            with_timeframe(_named(c), c.availability.told_for(quantity) if c.availability else None)
            for c in configuration.backordered
        )
        notices.append(
            Notice("backorder", f"{names}. {SHIPS_ONCE_RESTOCKED}.", lead=f"{BACKORDER_NOTICE}:")
        )
    if decision is not None and decision.refused:
        limiting = (
            configuration.chosen[decision.limiting] if decision.limiting is not None else None
        )
        by = f" ({_named(limiting)} limits it)" if limiting else ""
        notices.append(Notice("error", f"Only {decision.limit} of this build can be ordered{by}."))
    if notices:
        return tuple(notices)
    if decision is not None and decision.partly_backordered:
        promised = [
            with_timeframe(_named(choice), told)
            for choice, split in zip(configuration.chosen, decision.split.options, strict=True)
            if split.backordered
            and choice.availability
            and (told := choice.availability.told_for(split.backordered, ahead=split.ahead))
        ]
        then = f" {', '.join(promised)}." if promised else ""
        return (Notice("backorder", f"Of {quantity}: {split_summary(decision.split)}{then}"),)
    low = configuration.only_left
    if low is not None and low.availability is not None:
        return (Notice("low", f"In stock. {low.availability.notice}: {_named(low)}."),)
    return (Notice("instock", "In stock, ready to build."),)


def with_quantities(spec: ConfiguratorSpec, quantities: Mapping[int, int]) -> ConfiguratorSpec:
    """The same configurator with some options' quantities on hand replaced (by option id)."""
    if not quantities:
        return spec
    return replace(
        spec,
        layers=tuple(
            replace(
                layer,
                options=tuple(
                    replace(o, stock=replace(o.stock, quantity=quantities[o.id]))
                    if o.id in quantities
                    else o
                    for o in layer.options
                ),
            )
            for layer in spec.layers
        ),
    )


def selection_to_pairs(selection: Selection) -> list[tuple[str, str]]:
    return [
        (f"{LAYER_PARAM_PREFIX}{layer_id}", str(option_id) if option_id else NONE_CHOICE)
        for layer_id, option_id in selection.items()
    ]


def parse_selection(spec: ConfiguratorSpec, params: Mapping[str, str]) -> Selection:
    """Read `layer-<id>=<option id>|none` parameters strictly; other keys are ignored.

    Raises SelectionError for a layer of another product, an option of another layer or
    product, a "none" on a required layer, or a value that is not an id.
    """
    selection: Selection = {}
    for key, raw in params.items():
        if not key.startswith(LAYER_PARAM_PREFIX):
            continue
        layer_id = parse_id(key.removeprefix(LAYER_PARAM_PREFIX))
        layer = spec.layer(layer_id) if layer_id is not None else None
        if layer is None:
            raise SelectionError("That layer is not part of this product.")
        value = raw.strip()
        if value == NONE_CHOICE:
            if layer.required:
                raise SelectionError(f"{layer.name} is required: choose one of its options.")
            selection[layer.id] = None
            continue
        option_id = parse_id(value)
        if option_id is None or layer.option(option_id) is None:
            raise SelectionError(f"That option is not one of the {layer.name} options.")
        selection[layer.id] = option_id
    return selection


def parse_id(text: str) -> int | None:
    """A database id from untrusted text, or None (no overflow, no signs, no spaces)."""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def default_option(spec: ConfiguratorSpec, layer: LayerSpec) -> OptionSpec | None:
    """The merchant's default for a layer, or the first option a shopper can buy."""
    default = layer.option(layer.default_option_id) if layer.default_option_id else None
    if default is not None and spec.availability(default).is_purchasable:
        return default
    if not layer.required:
        return None
    return next((o for o in layer.options if spec.availability(o).is_purchasable), default)


def evaluate_rules(spec: ConfiguratorSpec, selection: Selection) -> Evaluation:
    """The configurator's rules applied to a selection (`rules.evaluate`): what is hidden and
    disabled, and the nearest valid build with what changed."""
    if not spec.rules:
        return NO_RULES
    options = {o.id: o for la in spec.layers for o in la.options}

    def purchasable(option_id: int) -> bool:
        return spec.availability(options[option_id]).is_purchasable

    return evaluate(spec.shapes, spec.rules, selection, purchasable)


def _condition_names(spec: ConfiguratorSpec, rule: Rule) -> str:
    named = [
        f"{layer.name} · {option.name}"
        for layer in spec.layers
        for option in layer.options
        if option.id in rule.when
    ]
    return " or ".join(named) or "an option that is no longer offered"


def _rule_reason(spec: ConfiguratorSpec, rule: Rule, direct: bool, verb: str) -> str:
    """`verb` ("is not offered", "cannot be chosen") for a rule whose options are chosen; its
    "otherwise" says what the target needs instead."""
    names = _condition_names(spec, rule)
    if direct:
        return f"{verb} with {names}"
    only = "is only offered" if verb == "is not offered" else "can only be chosen"
    return f"{only} with {names}"


def _verb(change: Change) -> str:
    return "cannot be chosen" if change.effect.action is Action.DISABLE else "is not offered"


def rule_problem(spec: ConfiguratorSpec, change: Change) -> str:
    """Why a build asks for something the rules take away (cart and checkout refuse it)."""
    layer = spec.layer(change.layer_id)
    layer_name = layer.name if layer else "A part"
    reason = _rule_reason(spec, change.effect.rule, change.effect.direct, _verb(change))
    if change.layer_hidden:
        return f"{layer_name} {reason}."
    was = spec.option(change.was) if change.was is not None else None
    return f"{layer_name}: {was.name if was else 'that option'} {reason}."


def describe_change(spec: ConfiguratorSpec, change: Change) -> str:
    """What the nearest valid build changed, and why, in the shopper's words."""
    problem = rule_problem(spec, change).removesuffix(".")
    if change.layer_hidden:
        return f"{problem}, so it was left out."
    now = spec.option(change.now) if change.now is not None else None
    if now is None:
        return f"{problem}, so it was taken off."
    return f"{problem}, so {now.name} is chosen instead."


def resolve(
    spec: ConfiguratorSpec, selection: Selection, evaluation: Evaluation | None = None
) -> Configuration:
    """Resolve choices (missing layers take their default) and list what stops a purchase.

    Ids that no longer exist (a cart line after the merchant deleted an option) become
    problems, not errors: strict checking of requests is `parse_selection`'s job. A choice the
    rules take away (hidden or disabled, on a hidden layer) is a problem too: the build used
    is the nearest valid one (`nearest_build`), and a hidden layer is not part of it.
    `evaluation`: the rules already applied to this very selection, when the caller has it.
    """
    if evaluation is None:
        evaluation = evaluate_rules(spec, selection)
    effective = dict(evaluation.selection) if spec.rules else selection
    choices: list[Choice] = []
    problems: list[str] = [rule_problem(spec, change) for change in evaluation.changes]
    if any(spec.layer(layer_id) is None for layer_id in selection):
        problems.append("This product changed since you chose it: a part you picked is gone.")
    for layer in spec.layers:
        if not evaluation.layer_shown(layer.id):
            continue
        if layer.id in effective:
            option_id = effective[layer.id]
            option = layer.option(option_id) if option_id is not None else None
            if option_id is not None and option is None:
                problems.append(f"The {layer.name} option you chose is no longer offered.")
        else:
            option = default_option(spec, layer)
        if option is None:
            problems.extend(_nothing_chosen(layer, problems))
            choices.append(Choice(layer, None, None))
            continue
        availability = spec.availability(option)
        if not availability.is_purchasable:
            problems.append(f"{layer.name}: {option.name} is out of stock and cannot be ordered.")
        choices.append(Choice(layer, option, availability))
    configuration = Configuration(spec, tuple(choices), tuple(problems), evaluation)
    if configuration.unit_price < 0:
        problems.append("This configuration cannot be priced; please contact the shop.")
        configuration = Configuration(spec, tuple(choices), tuple(problems), evaluation)
    return configuration


def _nothing_chosen(layer: LayerSpec, problems: list[str]) -> list[str]:
    """What to say of a layer left without a choice (unless something was said of it)."""
    already_told = any(p.startswith(f"The {layer.name} ") for p in problems)
    if not layer.required or already_told:
        return []
    # No options at all: a layer the merchant has just added (`structure_gaps`).
    return [
        f"Choose a {layer.name}."
        if layer.options
        else f"This product cannot be ordered yet: {layer.name} has no options."
    ]


def nearest_build(
    spec: ConfiguratorSpec, selection: Selection
) -> tuple[Configuration, tuple[str, ...]]:
    """The build the storefront shows for a selection: the nearest one the rules allow (a
    hidden or disabled choice gives way to the layer's default, or its first option a shopper
    can choose), and what changed to get there, in the shopper's words."""
    evaluation = evaluate_rules(spec, selection)
    if not evaluation.changes:
        return resolve(spec, selection, evaluation), ()
    changed = tuple(describe_change(spec, change) for change in evaluation.changes)
    return resolve(spec, dict(evaluation.selection)), changed


@dataclass(frozen=True, slots=True)
class StructureGap:
    """Something a shopper needs to build a configurator and it lacks, whatever the stock:
    a layer at all (`layer_id` None), or an option on a required layer."""

    layer_id: int | None = None
    layer_name: str = field(default="", compare=False)

    @property
    def blocker(self) -> str:
        """How Publish names it."""
        if self.layer_id is None:
            return "Add at least one layer."
        return f"{self.layer_name} is required but has no options yet."


def structure_gaps(spec: ConfiguratorSpec) -> tuple[StructureGap, ...]:
    """What stops any shopper from building this configurator, by its structure alone: no
    layers, or a required layer with no options. Stock is not structure: an option running out
    never opens a gap (it is the storefront's "Out of Stock", and a restock ends it)."""
    if not spec.layers:
        return (StructureGap(),)
    return tuple(
        StructureGap(layer.id, layer.name)
        for layer in spec.layers
        if layer.required and not layer.options
    )


def publication_blockers(spec: ConfiguratorSpec) -> tuple[str, ...]:
    """What stops a configurator from being published, in the merchant's words; empty when it
    can be. A shopper must be able to build it: no `structure_gaps`, and every required layer
    with at least one option a shopper can choose now (in stock, or available on backorder)."""
    gaps = structure_gaps(spec)
    if gaps and gaps[0].layer_id is None:
        return (gaps[0].blocker,)
    gap_ids = {gap.layer_id for gap in gaps}
    missing: list[str] = []
    for layer in spec.layers:
        if layer.id in gap_ids:
            missing.append(StructureGap(layer.id, layer.name).blocker)
        elif layer.required and not any(spec.availability(o).is_purchasable for o in layer.options):
            missing.append(
                f"{layer.name} is required but every option is Out of Stock: "
                "a shopper could not choose one."
            )
    dead_end_of_rules = rules_refusal(spec, spec.rules) if spec.rules and not missing else None
    if dead_end_of_rules:
        missing.append(dead_end_of_rules)
    return tuple(missing)


def published_edit_refusal(before: ConfiguratorSpec, after: ConfiguratorSpec) -> str | None:
    """Why an edit (a delete, a layer made required) must not be saved, or None.

    A published configurator must stay buildable: an edit that opens a new `structure_gap` is
    refused, and the merchant is told what would break and how to go on (unpublish first, or
    add what it needs). Gaps that were already there (a layer just added, still without
    options) are an edit in progress and do not block other edits. A draft takes any edit."""
    if not before.published:
        return None
    old = set(structure_gaps(before))
    gap = next((g for g in structure_gaps(after) if g not in old), None)
    if gap is None:
        # The rules too: no build may be left with a required layer and nothing to choose.
        stuck = rules_refusal(after, after.rules) if after.rules else None
        if stuck and not rules_refusal(before, before.rules):
            return f"This would leave a build shoppers could not finish. {stuck}"
        return None
    unpublish = f"Unpublish {after.name} first"
    if gap.layer_id is None:
        return (
            f"This would leave {after.name} with no layers, so shoppers could not build it. "
            f"{unpublish}, or add another layer: a published product needs at least one layer."
        )
    had = before.layer(gap.layer_id)
    another = "another" if had is not None and had.options else "an"
    return (
        f"This would leave {gap.layer_name}, a required layer, with no options, so shoppers "
        f"could not build {after.name}. {unpublish}, or add {another} option to "
        f"{gap.layer_name}: a published product needs an option on every required layer."
    )


def describe_rule(spec: ConfiguratorSpec, rule: Rule) -> str:
    """A rule as the admin lists it: "IF Wheels · Gravel Tan THEN Hide Handlebar · Drop Bar",
    with ", otherwise Show" when it has a reverse action."""
    if rule.option_id is not None:
        option = spec.option(rule.option_id)
        layer = spec.layer(option.layer_id) if option else None
        target = f"{layer.name} · {option.name}" if option and layer else "an option"
    else:
        layer = spec.layer(rule.layer_id) if rule.layer_id is not None else None
        target = f"the layer {layer.name}" if layer else "a layer"
    otherwise = f", otherwise {rule.action.reverse.label}" if rule.otherwise else ""
    return f"IF {_condition_names(spec, rule)} THEN {rule.action.label} {target}{otherwise}"


def rules_refusal(spec: ConfiguratorSpec, rules: tuple[Rule, ...]) -> str | None:
    """Why a configurator's rules must not be saved, in the merchant's words, or None: rules
    that change each other in a loop, or a build in which a required layer is shown with no
    option a shopper could choose (`rules.dead_end`; stock does not count)."""
    loop = find_loop(spec.shapes, rules)
    if loop is not None:
        names = [layer.name for i in loop if (layer := spec.layer(i)) is not None]
        if len(loop) == 2:
            return (
                f"This rule would make a loop: its options are on {names[0]}, the layer it "
                "changes. A rule must change another layer than the one its options are on."
            )
        return (
            f"This rule would make a loop: {' changes '.join(names)}. A layer cannot change, "
            "through rules, the layers its own options depend on."
        )
    end = dead_end(spec.shapes, rules)
    if end is None:
        return None
    layer = spec.layer(end.layer_id)
    name = layer.name if layer else "A layer"
    build = ", ".join(
        f"{la.name} · {chosen.name}" if (chosen := la.option(option_id)) else f"no {la.name}"
        for la in spec.layers
        if la.id in end.selection
        for option_id in [end.selection[la.id] or 0]
    )
    when = f"With {build}" if build else "With the default build"
    return (
        f"{when}, {name} is required but every one of its options would be hidden or "
        f"disabled, so a shopper could not finish the build. Change the rules, or make {name} "
        "optional."
    )


def cheapest_price(spec: ConfiguratorSpec, *, purchasable_only: bool = False) -> int:
    """The lowest total any configuration can reach: over every option (the admin refuses
    prices that could go below zero), or only over options a shopper can buy now (the
    storefront's "from" price)."""
    total = spec.base_price
    for layer in spec.layers:
        options = [
            o for o in layer.options if not purchasable_only or spec.availability(o).is_purchasable
        ]
        deltas = [o.price_delta for o in options]
        if not layer.required or not deltas:
            deltas.append(0)
        total += min(deltas)
    return total


def parse_quantity(text: str | None) -> int:
    """A cart quantity: a whole number from 1 to MAX_QUANTITY."""
    message = f"Quantity must be a whole number from 1 to {MAX_QUANTITY}."
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise QuantityError(message)
    quantity = int(value)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise QuantityError(message)
    return quantity
