"""A layer's radio group, rendered once per layer, chosen option and stock, then reused.

An option change re-renders every layer's choices (their notices must stay current), yet a
layer's markup depends only on the layer as the merchant saved it, the option chosen in it,
and the stock of its options under the product's Global Settings. Rendering it from the
template on every request was most of the cost of an uncached option change in `make bench`'s
profile (per-option attribute lookups and escaping, growing with the options on the page), so
each layer is rendered from `storefront/_layer.html` once and kept.

The configurator objects are immutable and cached per product version and stock (see
`services.catalog`): the same layer object with the same Global Settings object and the same
effects of the rules on its options always renders the same markup, so entries are found by
object identity and checked to be the very same objects, never compared field by field. A
sale or an edit makes new objects, whose markup is rendered once when first asked for; old
entries go when the memo is full.
"""

from __future__ import annotations

import threading
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from configurator.core.configuration import (
    Choice,
    Configuration,
    ConfiguratorSpec,
    LayerSpec,
)

LAYER_TEMPLATE = "storefront/_layer.html"

_Entry = tuple[LayerSpec, object, Markup]
RuleEffects = tuple[tuple[int, bool, str], ...]
"""Per option of a layer: whether the rules show it and why they disable it ("" if not)."""


class LayerMarkup:
    """`layer_choices(spec, configuration, choice)` in templates: one layer's `<fieldset>`."""

    def __init__(self, env: Environment, size: int = 8192) -> None:
        self._env = env
        self._size = size
        self._memo: dict[tuple[int, int, int | None, RuleEffects], _Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __call__(
        self, spec: ConfiguratorSpec, configuration: Configuration, choice: Choice
    ) -> Markup:
        layer, settings = choice.layer, spec.settings
        chosen = choice.option.id if choice.option else None
        key = (id(layer), id(settings), chosen, _rule_effects(spec, configuration, layer))
        entry = self._memo.get(key)
        if entry is not None and entry[0] is layer and entry[1] is settings:
            self.hits += 1
            return entry[2]
        self.misses += 1
        markup = Markup(self._render(spec, configuration, choice))  # noqa: S704 (rendered by an autoescaping template)
        with self._lock:
            if len(self._memo) >= self._size:
                self._memo.clear()
            self._memo[key] = (layer, settings, markup)
        return markup

    def _render(self, spec: ConfiguratorSpec, configuration: Configuration, choice: Choice) -> str:
        context: dict[str, Any] = {
            "spec": spec,
            "configuration": configuration,
            "choice": choice,
            "layer": choice.layer,
        }
        return self._env.get_template(LAYER_TEMPLATE).render(context)


def _rule_effects(
    spec: ConfiguratorSpec, configuration: Configuration, layer: LayerSpec
) -> RuleEffects:
    """What conditional logic does to this layer's options in this build (nothing without
    rules): part of what the markup depends on."""
    if not spec.rules:
        return ()
    return tuple(
        (o.id, configuration.option_shown(o.id), configuration.why_disabled(o.id))
        for o in layer.options
    )
