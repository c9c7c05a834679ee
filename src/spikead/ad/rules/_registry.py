"""The rule table: primitive name -> structured partial-derivative rule.

A rule receives a :class:`RuleContext` (the equation's parameters, the primal values of its
inputs and outputs, and which inputs are differentiated vertices) and returns a list of
``(out_index, in_index, STensor)``: the partial of output ``out_index`` with respect to
input ``in_index``, for active inputs only. Partials that are identically zero are left
out. Primitives in :data:`ZERO_PRIMITIVES` have zero partials everywhere (their outputs are
treated as constants); a primitive in neither table raises
:class:`~spikead.ad.errors.UnsupportedPrimitiveError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .._stensor import STensor

Partial = tuple[int, int, STensor]


@dataclasses.dataclass
class RuleContext:
    """What a rule may look at. Values are arrays or tracers (abstract in make_graph)."""

    primitive: str
    params: dict[str, Any]
    invals: list[Any]
    outvals: list[Any]
    active: tuple[bool, ...]
    eqn: Any  # the JaxprEqn, for rules that re-evaluate the equation (custom calls, fallbacks)

    @property
    def in_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(getattr(x, "shape", ())) for x in self.invals]

    @property
    def out_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(getattr(x, "shape", ())) for x in self.outvals]

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.out_shapes[0]

    @property
    def dtype(self):
        return self.outvals[0].dtype

    def active_indices(self) -> list[int]:
        return [i for i, a in enumerate(self.active) if a]


Rule = Callable[[RuleContext], list[Partial]]

RULES: dict[str, Rule] = {}
ZERO_PRIMITIVES: set[str] = set()


def register_rule(name: str, rule: Rule) -> Rule:
    """Register (or replace) the partial rule of primitive ``name``."""
    RULES[name] = rule
    return rule


def register_zero(*names: str) -> None:
    """Declare primitives whose partials are identically zero (outputs become constants)."""
    ZERO_PRIMITIVES.update(names)


def supported_primitives() -> list[str]:
    """All primitive names with a rule or a zero declaration (plus inlined calls)."""
    from .._jaxpr import INLINED_CALLS

    return sorted(set(RULES) | ZERO_PRIMITIVES | set(INLINED_CALLS))


def per_input(ctx: RuleContext, make: Callable[[int], STensor | None]) -> list[Partial]:
    """Helper for single-output primitives: one partial per active input."""
    out = []
    for i in ctx.active_indices():
        t = make(i)
        if t is not None:
            out.append((0, i, t))
    return out
