"""The charge policy (Global Settings): when backordered items are charged.

- **Charge now** (seed 000, Magento 2; the default): backordered options are priced normally,
  counted in the subtotal and charged with the order.
- **Charge on restock** (seed 001): "the customer will ONLY be charged for the items that are
  currently available". The backordered units of each cart line stay in the cart but are left
  out of the subtotal; when the order is placed they move into a separate **Pending order**
  (its own number, linked to the main order both ways) that the merchant charges when they
  ship: no shipping, no discounts on it.

Which units are backordered is the cart's plan (`checkout.plan_cart`: an item ships now only
when every one of its options does); this module only divides each line's split by the policy.
Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from configurator.core.availability import LineSplit, Split


class ChargePolicy(StrEnum):
    CHARGE_NOW = "charge_now"
    CHARGE_ON_RESTOCK = "charge_on_restock"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def explanation(self) -> str:
        """The hint under the choice in Global Settings."""
        return _EXPLANATIONS[self]


_LABELS = {
    ChargePolicy.CHARGE_NOW: "Charge now",
    ChargePolicy.CHARGE_ON_RESTOCK: "Charge on restock",
}
_EXPLANATIONS = {
    ChargePolicy.CHARGE_NOW: "Backordered options are priced normally, counted in the subtotal "
    "and charged with the order; they ship once restocked.",
    ChargePolicy.CHARGE_ON_RESTOCK: "Backordered items stay in the cart but are left out of the "
    "subtotal: the customer is only charged for what is in stock now. At checkout they move to "
    "a separate Pending order (no shipping, no discounts) that you charge when they ship. "
    'Options on a silent backorder ("Allow backorders", not notifying the customer) are '
    "charged now, with the order, so nothing tells the customer they are backordered.",
}

DEFAULT_CHARGE_POLICY = ChargePolicy.CHARGE_NOW

CHARGE_POLICY_KEY = "checkout.charge_policy"
"""Where the choice is kept (`app_setting`): one policy for the whole shop, so a cart holding
several products is charged by one rule."""

CHARGED_ON_RESTOCK = (
    "Backordered items are charged when they ship, not now: they are left out of the "
    "subtotal. When you place your order they move to a separate Pending order, and you are "
    "only charged now for the items that are currently available."
)
"""The policy in the shopper's words (cart, checkout, confirmation)."""

PENDING_ORDER_TERMS = (
    "Charged when the items ship: no shipping and no discounts are added to a Pending order."
)


class ChargePolicyError(ValueError):
    """Not one of the offered charge policies."""


def parse_charge_policy(text: str) -> ChargePolicy:
    """The policy a form sent; `ChargePolicyError` (with the choices) for anything else."""
    try:
        return ChargePolicy(text.strip())
    except ValueError:
        choices = " or ".join(f'"{policy.label}"' for policy in ChargePolicy)
        raise ChargePolicyError(f"Choose {choices}.") from None


def stored_charge_policy(value: str | None) -> ChargePolicy:
    """The saved policy, or the default when none (or an unknown one) is saved."""
    try:
        return ChargePolicy(value) if value else DEFAULT_CHARGE_POLICY
    except ValueError:
        return DEFAULT_CHARGE_POLICY


@dataclass(frozen=True, slots=True)
class ChargeSplit:
    """One cart line divided by the charge policy: the units charged with the order (`now`)
    and those moved to the Pending order (`later`), each with its own split (None: no units).
    """

    now: LineSplit | None
    later: LineSplit | None

    @property
    def charged_later(self) -> int:
        """Units of the line left out of the subtotal."""
        return self.later.in_stock + self.later.backordered if self.later else 0


def charge_split(
    policy: ChargePolicy, split: LineSplit, told: Sequence[bool] | None = None
) -> ChargeSplit:
    """Divide a line whose quantity splits as `split` (whole items in stock, whole items
    backordered; per option, `split.options`); `told[i]`: the shopper is told that option i
    is backordered (None: told of every option).

    Under Charge now, or when nothing the shopper is told of is backordered, the whole line is
    charged now. Under Charge on restock the items that wait for an option the shopper is told
    of go to the Pending order and the rest stay: an option on a silent backorder ("Allow
    backorders" without notifying the customer) is charged now, as under Charge now, since
    a Pending order would tell what the merchant chose not to. The pending part keeps each
    option's remaining backordered units (an option with more stock than the bottleneck has
    the rest of those items in stock; they still wait for the bottleneck) and the units of it
    backordered before them, on the cart's earlier lines and on the charged part (`ahead`),
    which queue first, so each order keeps the date the cart promised.
    """
    told = tuple(told) if told is not None else (True,) * len(split.options)
    quantity = split.in_stock + split.backordered
    later = max((o.backordered for o, t in zip(split.options, told, strict=True) if t), default=0)
    if policy is ChargePolicy.CHARGE_NOW or not later:
        return ChargeSplit(split, None)
    now = quantity - later
    kept = tuple(
        Split(min(now, o.in_stock), now - min(now, o.in_stock), o.ahead) for o in split.options
    )
    now_in_stock = min((s.in_stock for s in kept), default=now)
    charged = LineSplit(now_in_stock, now - now_in_stock, kept) if now else None
    pending = LineSplit(
        0,
        later,
        tuple(
            Split(
                later - (o.backordered - k.backordered),
                o.backordered - k.backordered,
                o.ahead + k.backordered,
            )
            for o, k in zip(split.options, kept, strict=True)
        ),
    )
    return ChargeSplit(charged, pending)


def line_reason(charge: ChargeSplit, quantity: int) -> str:
    """What a cart line says when some of it is not charged now ("" when all of it is)."""
    later = charge.charged_later
    if not later:
        return ""
    if later == quantity:
        return (
            "Not charged now: backordered, so it is charged when it ships "
            "(it moves to your Pending order)."
        )
    return (
        f"{later} of {quantity} are backordered: they are charged when they ship, not now "
        f"(they move to your Pending order)."
    )
