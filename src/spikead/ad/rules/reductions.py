"""Rules for reductions: reduce_sum (broadcast, no values), reduce_max/min (one-hot over the
reduced axes, ties shared as in JAX), cumsum (triangular matrix on the scanned axis), and a
dense fallback for reduce_prod and the other cumulative ops."""

from __future__ import annotations

import functools

import jax.numpy as jnp

from .._stensor import STensor
from .._structure import Structure
from ._common import dense_jacobian
from ._registry import RuleContext, per_input, register_rule


def _kept_pairs(in_shape, axes) -> tuple:
    kept = [q for q in range(len(in_shape)) if q not in axes]
    return tuple(kept.index(q) if q in kept else None for q in range(len(in_shape))), kept


def _reduce_sum(ctx: RuleContext) -> list:
    axes = tuple(ctx.params["axes"])
    pair, _ = _kept_pairs(ctx.in_shapes[0], axes)
    return per_input(
        ctx, lambda i: STensor(None, Structure(ctx.out_shape, ctx.in_shapes[0], pair, None))
    )


register_rule("reduce_sum", _reduce_sum)


def _reduce_chooser(ctx: RuleContext) -> list:
    """d max / d x = [x == max] / (number of ties), like JAX's JVP."""
    axes = tuple(ctx.params["axes"])
    x, y = ctx.invals[0], ctx.outvals[0]
    in_shape = ctx.in_shapes[0]
    pair, kept = _kept_pairs(in_shape, axes)
    mask = (x == jnp.expand_dims(y, axes)).astype(ctx.dtype)
    val = mask / jnp.sum(mask, axis=axes, keepdims=True)
    reduced = [q for q in range(len(in_shape)) if q in axes]
    P = len(ctx.out_shape)
    val = jnp.transpose(val, kept + reduced)
    labels = tuple(range(len(kept))) + tuple(P + q for q in reduced)
    return per_input(ctx, lambda i: STensor(val, Structure(ctx.out_shape, in_shape, pair, labels)))


register_rule("reduce_max", _reduce_chooser)
register_rule("reduce_min", _reduce_chooser)


def _cumsum(ctx: RuleContext) -> list:
    axis, reverse = ctx.params["axis"], ctx.params["reverse"]
    shape = ctx.in_shapes[0]
    n = shape[axis]
    P = len(shape)
    tri = jnp.tril(jnp.ones((n, n), ctx.dtype))  # out o depends on in i <= o
    if reverse:
        tri = tri.T
    pair = tuple(None if q == axis else q for q in range(P))
    return per_input(ctx, lambda i: STensor(tri, Structure(shape, shape, pair, (axis, P + axis))))


register_rule("cumsum", _cumsum)


def _dense_rule(ctx: RuleContext, mode: str = "fwd") -> list:
    """Documented dense fallback: the full O x I partial from jacfwd of the equation."""
    return [
        (k, i, dense_jacobian(ctx, i, k, mode))
        for k in range(len(ctx.outvals))
        for i in ctx.active_indices()
    ]


for _name in ("reduce_prod", "cumprod", "cummax", "cummin", "cumlogsumexp"):
    register_rule(_name, functools.partial(_dense_rule, mode="fwd"))
