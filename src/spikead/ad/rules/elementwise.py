"""Rules for element-wise unary primitives (and the zero-derivative ones).

Each derivative is given as ``d(x, y, params)`` with ``x`` the input and ``y`` the output;
less common primitives use JAX's own JVP with a ones tangent (:func:`jvp_elementwise`),
which is exact and keeps the diagonal structure.
"""

from __future__ import annotations

import functools
import math

import jax.numpy as jnp
from jax import lax

from ._common import elementwise, jvp_elementwise
from ._registry import RuleContext, per_input, register_rule, register_zero


def _unary(ctx: RuleContext, deriv) -> list:
    x, y = ctx.invals[0], ctx.outvals[0]
    return per_input(
        ctx, lambda i: elementwise(ctx.in_shapes[0], ctx.out_shape, deriv(x, y, ctx.params))
    )


_FORMULAS = {
    "exp": lambda x, y, p: y,
    "exp2": lambda x, y, p: y * math.log(2.0),
    "log": lambda x, y, p: 1.0 / x,
    "log1p": lambda x, y, p: 1.0 / (1.0 + x),
    "expm1": lambda x, y, p: y + 1.0,
    "sin": lambda x, y, p: jnp.cos(x),
    "cos": lambda x, y, p: -jnp.sin(x),
    "tan": lambda x, y, p: 1.0 + y * y,
    "tanh": lambda x, y, p: 1.0 - y * y,
    "logistic": lambda x, y, p: y * (1.0 - y),
    "sqrt": lambda x, y, p: 0.5 / y,
    "rsqrt": lambda x, y, p: -0.5 * y / x,
    "square": lambda x, y, p: 2.0 * x,
    "sinh": lambda x, y, p: jnp.cosh(x),
    "cosh": lambda x, y, p: jnp.sinh(x),
}

for _name, _formula in _FORMULAS.items():
    register_rule(_name, functools.partial(_unary, deriv=_formula))


def _integer_pow(ctx: RuleContext) -> list:
    """``x ** n``: ``n x ** (n - 1)``; ``x ** 0`` is constant (no partial: a zero edge)."""
    n = ctx.params["y"]
    if n == 0:
        return []
    return _unary(ctx, lambda x, y, p: n * (x if n == 2 else lax.integer_pow(x, n - 1)))


register_rule("integer_pow", _integer_pow)


def _scaled(ctx: RuleContext, factor: float) -> list:
    """Linear element-wise maps: neg (factor -1)."""
    return per_input(
        ctx, lambda i: elementwise(ctx.in_shapes[0], ctx.out_shape, jnp.asarray(factor, ctx.dtype))
    )


register_rule("neg", functools.partial(_scaled, factor=-1.0))


def _identity(ctx: RuleContext) -> list:
    """Value-preserving maps (copy, float->float conversion): identity, no values."""
    return per_input(ctx, lambda i: elementwise(ctx.in_shapes[0], ctx.out_shape, None))


for _name in ("copy", "copy_p", "convert_element_type", "reduce_precision", "name"):
    register_rule(_name, _identity)


def _identity_each(ctx: RuleContext) -> list:
    """Value-preserving maps of several operands (device_put, optimization_barrier):
    output k is input k."""
    return [
        (i, i, elementwise(ctx.in_shapes[i], ctx.out_shapes[i], None)) for i in ctx.active_indices()
    ]


for _name in ("device_put", "optimization_barrier"):
    register_rule(_name, _identity_each)


def _jvp_rule(ctx: RuleContext) -> list:
    """Element-wise primitives differentiated by JAX's own JVP (ones tangent)."""
    return per_input(ctx, lambda i: jvp_elementwise(ctx, i))


for _name in (
    "cbrt",
    "abs",
    "erf",
    "erfc",
    "erf_inv",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "lgamma",
    "digamma",
):
    register_rule(_name, _jvp_rule)

register_zero(
    "sign",
    "floor",
    "ceil",
    "round",
    "is_finite",
    "stop_gradient",
    "iota",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "argmax",
    "argmin",
    "and",
    "or",
    "not",
    "xor",
    "shift_left",
    "shift_right_logical",
    "shift_right_arithmetic",
    "population_count",
    "random_bits",
    "random_seed",
    "random_wrap",
    "random_unwrap",
    "threefry2x32",
)
