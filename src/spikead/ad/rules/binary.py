"""Rules for element-wise n-ary primitives: add/sub/mul/div, JVP-derived ones, select_n, clamp.

Operands have equal shapes, except scalar literals broadcast against arrays; a scalar
*vertex* operand then gets an unpaired (broadcast) input side. Multiplying by a scalar
gives a scaled identity (one stored value), e.g. ``0.9 * h``.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp

from ._common import elementwise, jvp_elementwise
from ._registry import RuleContext, per_input, register_rule


def _linear(ctx: RuleContext, signs: tuple[float, float]) -> list:
    """add / add_any / sub: identity (or -identity) per operand."""

    def make(i):
        if signs[i] == 1.0:
            return elementwise(ctx.in_shapes[i], ctx.out_shape, None)
        return elementwise(ctx.in_shapes[i], ctx.out_shape, jnp.asarray(signs[i], ctx.dtype))

    return per_input(ctx, make)


register_rule("add", functools.partial(_linear, signs=(1.0, 1.0)))
register_rule("add_any", functools.partial(_linear, signs=(1.0, 1.0)))
register_rule("sub", functools.partial(_linear, signs=(1.0, -1.0)))


def _mul(ctx: RuleContext) -> list:
    x, y = ctx.invals
    other = {0: y, 1: x}
    return per_input(
        ctx,
        lambda i: elementwise(ctx.in_shapes[i], ctx.out_shape, jnp.asarray(other[i], ctx.dtype)),
    )


register_rule("mul", _mul)


def _div(ctx: RuleContext) -> list:
    _x, y = ctx.invals
    out = ctx.outvals[0]

    def make(i):
        d = 1.0 / y if i == 0 else -out / y
        return elementwise(ctx.in_shapes[i], ctx.out_shape, jnp.asarray(d, ctx.dtype))

    return per_input(ctx, make)


register_rule("div", _div)


def _jvp_rule(ctx: RuleContext) -> list:
    return per_input(ctx, lambda i: jvp_elementwise(ctx, i))


for _name in ("pow", "atan2", "max", "min", "rem", "nextafter", "clamp"):
    register_rule(_name, _jvp_rule)


def _select_n(ctx: RuleContext) -> list:
    """select_n(pred, *cases): d out / d case_k = [pred == k] on the diagonal."""
    pred = jnp.asarray(ctx.invals[0]).astype(jnp.int32)

    def make(i):
        if i == 0:
            return None  # the predicate is never differentiable
        return elementwise(ctx.in_shapes[i], ctx.out_shape, (pred == i - 1).astype(ctx.dtype))

    return per_input(ctx, make)


register_rule("select_n", _select_n)
