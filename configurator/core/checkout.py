"""Plans for the cart and checkout: what each line ships now, what is refused, what to take.

Pure like `availability`: resolved configurations and quantities in, a plan out. The services
read the cart's lines and the catalog, ask for a plan, and apply it (write the order, take the
stock) in a few lines of database work; these rules are tested here without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from configurator.core.availability import LineSplit, lowest_quantity_after_sale
from configurator.core.configuration import (
    Choice,
    Configuration,
    ConfiguratorSpec,
    with_quantities,
)

CART_EMPTY = "Your cart is empty."
CART_NEEDS_ATTENTION = "Some items in your cart need your attention."


def choice_name(choice: Choice) -> str:
    """How the shopper reads one chosen option: "Carbon Deep (Wheels)"."""
    assert choice.option is not None
    return f"{choice.option.name} ({choice.layer.name})"


# The cart --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CartLineIn:
    """A cart line whose product is on sale, resolved against the catalog as it is now."""

    line_id: int
    quantity: int
    backorder_line: bool
    configuration: Configuration


@dataclass(frozen=True, slots=True)
class LinePlan:
    """What one cart line ships now and later, and what stops it from being checked out."""

    split: LineSplit
    problems: tuple[str, ...]


def plan_cart(lines: Sequence[CartLineIn]) -> dict[int, LinePlan]:
    """Each line's split and problems, by line id.

    In-stock units go to ordinary lines first, then to lines the shopper chose to back order
    (in cart order within each); each option's stock is shared by all lines that use it. A
    cart asking for more of an option than can still be sold says so on each line that uses
    it.
    """
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        for choice in line.configuration.chosen:
            assert choice.option is not None
            demand[choice.option.id] += line.quantity

    taken: dict[int, int] = defaultdict(int)
    plans: dict[int, LinePlan] = {}
    for line in sorted(lines, key=lambda line: line.backorder_line):
        configuration = line.configuration
        split = configuration.split(line.quantity, taken)
        problems = list(configuration.problems)
        for choice in configuration.chosen:
            assert choice.option is not None and choice.availability is not None
            taken[choice.option.id] += line.quantity
            salable = choice.availability.salable
            wanted = demand[choice.option.id]
            if salable is not None and choice.availability.is_purchasable and wanted > salable:
                problems.append(
                    f"Only {salable} of {choice_name(choice)} can be ordered, and your cart "
                    f"has {wanted}. Lower the quantity."
                )
        plans[line.line_id] = LinePlan(split, tuple(problems))
    return plans


def stock_demand(lines: Iterable[tuple[Configuration, int]]) -> dict[int, int]:
    """Units per option id whose stock is counted (tracked), over these (configuration,
    quantity) lines."""
    totals: dict[int, int] = defaultdict(int)
    for configuration, quantity in lines:
        for choice in configuration.chosen:
            assert choice.option is not None and choice.availability is not None
            if choice.availability.on_hand is not None:
                totals[choice.option.id] += quantity
    return dict(totals)


# Checkout --------------------------------------------------------------------------------------


class CheckoutLine(Protocol):
    """A line of the cart as checkout reads it (the cart's items have these)."""

    @property
    def configuration(self) -> Configuration | None: ...

    @property
    def quantity(self) -> int: ...

    @property
    def problems(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class CheckoutPlan:
    """What placing the order does: refuse (`refusal`), or take `demand` units per tracked
    option id, each down to no lower than its floor (None: no floor).

    `seen` is the quantity on hand each option had when the cart was read; if the stock
    actually taken started elsewhere (another order came first), the lines are split again by
    what was there (`specs_as_taken`).
    """

    refusal: str
    demand: dict[int, int]
    floors: dict[int, int | None]
    seen: dict[int, int]
    specs: dict[int, ConfiguratorSpec]
    names: dict[int, str]

    def specs_as_taken(self, before: Mapping[int, int]) -> dict[int, ConfiguratorSpec | None]:
        """The catalog with the quantities on hand the order actually took from, by product
        id; empty when they are the ones the cart was read with (nothing to split again)."""
        if all(self.seen.get(option_id) == quantity for option_id, quantity in before.items()):
            return {}
        return {pid: with_quantities(spec, before) for pid, spec in self.specs.items()}

    def sold_out(self, option_id: int) -> str:
        """What the shopper is told when an option ran out between reading and taking."""
        name = self.names.get(option_id, "An option")
        return f"{name} sold out while you were checking out; nothing was ordered."


def plan_checkout(lines: Sequence[CheckoutLine]) -> CheckoutPlan:
    """Refuse an empty cart or one with problems; otherwise plan what to take from stock."""
    refusal = ""
    if not lines:
        refusal = CART_EMPTY
    elif any(line.problems for line in lines):
        refusal = CART_NEEDS_ATTENTION
    resolved = [(line.configuration, line.quantity) for line in lines if line.configuration]
    demand = stock_demand(resolved) if not refusal else {}
    floors: dict[int, int | None] = {}
    seen: dict[int, int] = {}
    specs: dict[int, ConfiguratorSpec] = {}
    names: dict[int, str] = {}
    for configuration, _quantity in resolved:
        spec = configuration.spec
        specs[spec.product_id] = spec
        for choice in configuration.chosen:
            option = choice.option
            assert option is not None
            seen[option.id] = option.stock.quantity
            names.setdefault(option.id, choice_name(choice))
            if option.id in demand:
                floors[option.id] = lowest_quantity_after_sale(option.stock, spec.settings)
    return CheckoutPlan(refusal, demand, floors, seen, specs, names)
