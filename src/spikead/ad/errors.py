"""Exceptions of the AD engine; each message names the bad value, what was expected and the fix."""

from __future__ import annotations

_LOOP = (
    "jacve differentiates straight-line programs: unroll the loop into a Python loop with a "
    "static trip count (lax.scan(..., unroll=True) and lax.fori_loop still emit one '{name}' "
    "equation), or differentiate this function with jax.jacrev / jax.jacfwd"
)

#: what to do, per primitive that jacve deliberately does not differentiate
ADVICE: dict[str, str] = {
    "scan": _LOOP.format(name="scan"),
    "while": (
        "jacve differentiates straight-line programs: a while_loop (or fori_loop with traced "
        "bounds) has no static trip count; rewrite it as a Python loop with a static trip count, "
        "or use jax.jacfwd (reverse mode does not support while_loop)"
    ),
    "cond": (
        "jacve differentiates straight-line programs: compute both branches and pick one with "
        "jnp.where / lax.select (select_n is supported) instead of lax.cond / lax.switch, "
        "or use jax.jacrev"
    ),
    "custom_linear_solve": (
        "linear solves (jnp.linalg.solve, lax.custom_linear_solve, cg, ...) have no structured "
        "partial: use jax.jacrev for this function"
    ),
    "custom_transpose_call": "custom transposes have no structured partial: use jax.jacrev",
    "sort": "sorting has no structured partial: use jax.jacrev, or sort a constant outside the differentiated path",
    "pure_callback": "a host callback has no derivative here: give it one with jax.custom_jvp (its rule is honoured)",
}


class UnsupportedPrimitiveError(NotImplementedError):
    """A jaxpr equation uses a primitive without a partial-derivative rule."""

    def __init__(self, primitive: str, where: str, supported: list[str]):
        self.primitive = primitive
        advice = ADVICE.get(primitive)
        what_to_do = f"What to do: {advice}. " if advice else ""
        super().__init__(
            f"no structured partial rule for primitive '{primitive}' (seen in {where}). "
            f"{what_to_do}"
            f"Supported primitives: {', '.join(sorted(supported))}. "
            "Register a rule with spikead.ad.rules.register_rule(name, rule) "
            "(see src/spikead/ad/rules/), or rewrite the function without it "
            "(control flow such as while/scan/cond/sort is not supported inside jacve; "
            "jax.jacrev differentiates it)."
        )


class UnsupportedCustomRuleError(NotImplementedError):
    """A ``jax.custom_jvp`` / ``jax.custom_vjp`` function whose rule the engine cannot use."""

    def __init__(self, function: str, kind: str, problem: str, fix: str):
        self.function = function
        super().__init__(f"{kind} function '{function}': {problem}. {fix}")


class InvalidOrderError(ValueError):
    """An explicit elimination order is not a permutation of the eliminable vertices."""


class OrderMismatchError(ValueError):
    """A saved elimination order belongs to a graph with a different fingerprint."""
