"""Building blocks shared by the rule families (element-wise, selections, jvp fallbacks)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from .._jaxpr import eqn_as_fun
from .._stensor import STensor
from .._structure import IndexMap, Structure, as_index_map
from ._registry import RuleContext

PAIR = "pair"  # per-dim marker for selection structures: the dim is identity-paired


def elementwise(in_shape: tuple[int, ...], out_shape: tuple[int, ...], d: Array | None) -> STensor:
    """Partial of an element-wise op: ``J[o, i] = d[o] delta(o, i)``.

    ``d`` broadcasts against the output shape (a scalar gives a scaled identity), or is
    None (identity). Input dims of size 1 broadcast against larger output dims (as lax
    binary ops allow) and a rank-0 input broadcast against an array are unpaired; values
    are stored only along the dims where ``d`` varies.
    """
    p = len(out_shape)
    if len(in_shape) == p and all(n in (1, m) for n, m in zip(in_shape, out_shape)):
        pair = tuple(q if n == out_shape[q] else None for q, n in enumerate(in_shape))
    elif in_shape == ():
        pair = ()
    else:
        raise ValueError(f"element-wise rule: input shape {in_shape} vs output {out_shape}")
    if d is None:
        return STensor(None, Structure(out_shape, in_shape, pair, None))
    d = jnp.asarray(d)
    if d.ndim < p:
        d = d.reshape((1,) * (p - d.ndim) + d.shape)
    keep = tuple(q for q in range(p) if d.shape[q] == out_shape[q] and out_shape[q] != 1)
    d = d.reshape(tuple(d.shape[q] for q in keep))
    return STensor(d, Structure(out_shape, in_shape, pair, keep))


def var_inputs(ctx: RuleContext) -> tuple:
    """``(fun, positions, primals)``: the equation as a function of its non-literal input
    positions (see :func:`~spikead.ad._jaxpr.eqn_as_fun`) and their values."""
    fun, positions = eqn_as_fun(ctx.eqn)
    return fun, positions, [ctx.invals[k] for k in positions]


def jvp_elementwise(ctx: RuleContext, i: int, out_index: int = 0) -> STensor:
    """Element-wise partial computed with ``jax.jvp`` of the equation (ones tangent on input i).

    Exact for element-wise primitives (it is JAX's own derivative, ties included); the
    tangent seeds input *position* i only, so ``max(x, x)`` gets one partial per operand.
    """
    fun, positions, primals = var_inputs(ctx)
    tangents = [
        jnp.ones_like(x) if k == i else jnp.zeros_like(x) for k, x in zip(positions, primals)
    ]
    _, out_t = jax.jvp(lambda *a: fun(*a), primals, tangents)
    d = out_t[out_index]
    return elementwise(ctx.in_shapes[i], ctx.out_shapes[out_index], d)


def dense_jacobian(ctx: RuleContext, i: int, out_index: int = 0, mode: str = "fwd") -> STensor:
    """Dense partial (all dims unpaired, ``O x I`` values) from jacfwd/jacrev of the equation.

    The fallback for primitives without a structured rule (e.g. gather); its products are
    counted like any dense edge. Differentiates input position i only.
    """
    fun, positions, primals = var_inputs(ctx)
    k = positions.index(i)

    def f(x):
        args = list(primals)
        args[k] = x
        return fun(*args)[out_index]

    jac = (jax.jacfwd if mode == "fwd" else jax.jacrev)(f)(primals[k])
    out_shape = ctx.out_shapes[out_index]
    in_shape = ctx.in_shapes[i]
    n = len(out_shape) + len(in_shape)
    return STensor(
        jac.astype(ctx.outvals[out_index].dtype),
        Structure(out_shape, in_shape, (None,) * len(in_shape), tuple(range(n))),
    )


def selection(
    out_shape: Sequence[int],
    in_shape: Sequence[int],
    per_dim: Sequence[str | Array],
    dtype,
    pair: Sequence[int] | None = None,
) -> STensor:
    """A separable index map: per dim ``PAIR`` (identity), an :class:`IndexMap`, or a matrix
    ``S_d[o_d, i_d]``.

    Input dim ``q`` belongs to output dim ``pair[q]`` (default ``q``: same rank, same order).

    ``J = prod_d S_d[o_d, i_d]``. A static (NumPy) 0/1 matrix with at most one 1 per row
    and column (slice, pad, concatenate, split, rev) becomes an :class:`IndexMap` pair: no
    values, gathered and never multiplied. A traced matrix (a ``dynamic_slice`` start
    known only at run time) is stored densely: its matrices are multiplied out into
    ``val`` and products with it are counted like any stored values.
    """
    out_shape, in_shape = tuple(out_shape), tuple(in_shape)
    p = len(out_shape)
    partner = list(range(len(in_shape))) if pair is None else list(pair)
    pairs: list[int | None] = []
    maps: list[IndexMap | None] = []
    mats = []
    for d, m in enumerate(per_dim):
        if isinstance(m, IndexMap):
            index_map = m
        elif isinstance(m, np.ndarray):
            index_map = as_index_map(m)
        else:
            index_map = None
        pairs.append(partner[d] if isinstance(m, str) or index_map is not None else None)
        maps.append(index_map)
        if not isinstance(m, str) and index_map is None:
            mats.append((d, m))
    pair = tuple(pairs)
    if not mats:
        return STensor(None, Structure(out_shape, in_shape, pair, None, tuple(maps)))
    operands = []
    concrete = all(isinstance(m, np.ndarray) for _, m in mats)
    xnp = np if concrete else jnp  # static selections stay compile-time constants
    for d, m in mats:
        operands += [xnp.asarray(m, dtype), [partner[d], p + d]]
    labels = sorted({partner[d] for d, _ in mats} | {p + d for d, _ in mats})
    val = xnp.einsum(*operands, labels)
    return STensor(val, Structure(out_shape, in_shape, pair, tuple(labels), tuple(maps)))


def shift_matrix(n_out: int, n_in: int, offset, stride: int = 1, dtype=jnp.float32) -> Array:
    """``S[o, i] = 1`` where ``i == offset + stride * o`` (``offset`` may be traced).

    A static (integer) offset gives a NumPy array: a constant of the compiled program, not
    ops that rebuild it on every call.
    """
    if isinstance(offset, (int, np.integer)):
        o, i = np.arange(n_out)[:, None], np.arange(n_in)[None, :]
        return (i == offset + stride * o).astype(dtype)
    o = jnp.arange(n_out)[:, None]
    i = jnp.arange(n_in)[None, :]
    return (i == offset + stride * o).astype(dtype)
