"""Exceptions of the AD engine; each message names the bad value, what was expected and the fix."""

from __future__ import annotations


class UnsupportedPrimitiveError(NotImplementedError):
    """A jaxpr equation uses a primitive without a partial-derivative rule."""

    def __init__(self, primitive: str, where: str, supported: list[str]):
        self.primitive = primitive
        super().__init__(
            f"no structured partial rule for primitive '{primitive}' (seen in {where}). "
            f"Supported primitives: {', '.join(sorted(supported))}. "
            "Register a rule with spikead.ad.rules.register_rule(name, rule) "
            "(see src/spikead/ad/rules/), or rewrite the function without it "
            "(control flow such as while/scan/cond/sort is not supported inside jacve)."
        )


class InvalidOrderError(ValueError):
    """An explicit elimination order is not a permutation of the eliminable vertices."""


class OrderMismatchError(ValueError):
    """A saved elimination order belongs to a graph with a different fingerprint."""
