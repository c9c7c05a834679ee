"""Rules for index maps: broadcast_in_dim, reshape, squeeze, transpose (pure relabelling,
no values), and selections: slice, dynamic_slice, dynamic_update_slice, concatenate, split,
pad, rev, gather.

Selections keep every untouched dim identity-paired and pair every touched dim through an
index map (``S_d[o_d, i_d]`` with at most one 1 per row and column: slice, strided slice,
pad, concatenate, split, rev, and dynamic slices and one-dim gathers whose indices are
known while tracing), gathered and never multiplied; indices known only at run time and
other gathers store their 0/1 partials as dense values (products with them are counted
like any stored values). A reshape that
merges or splits dims stores an identity matrix over each merged/split group of dims; dims
of size 1 are dropped and unchanged dims stay identity-paired.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from .._jaxpr import known_value
from .._stensor import STensor
from .._structure import IndexMap, Structure
from ._common import PAIR, dense_jacobian, elementwise, selection, shift_matrix
from ._registry import RuleContext, per_input, register_rule


def _broadcast_in_dim(ctx: RuleContext) -> list:
    dims = tuple(ctx.params["broadcast_dimensions"])
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shape
    pair = tuple(d if in_shape[q] == out_shape[d] else None for q, d in enumerate(dims))
    return (
        [(0, 0, STensor(None, Structure(out_shape, in_shape, pair, None)))] if ctx.active[0] else []
    )


register_rule("broadcast_in_dim", _broadcast_in_dim)


def _squeeze(ctx: RuleContext) -> list:
    dims = {d % max(len(ctx.in_shapes[0]), 1) for d in ctx.params["dimensions"]}
    kept = [q for q in range(len(ctx.in_shapes[0])) if q not in dims]
    pair = tuple(kept.index(q) if q in kept else None for q in range(len(ctx.in_shapes[0])))
    return per_input(
        ctx, lambda i: STensor(None, Structure(ctx.out_shape, ctx.in_shapes[0], pair, None))
    )


register_rule("squeeze", _squeeze)


def _transpose(ctx: RuleContext) -> list:
    perm = tuple(ctx.params["permutation"])
    pair = [None] * len(perm)
    for p, q in enumerate(perm):
        pair[q] = p
    return per_input(
        ctx, lambda i: STensor(None, Structure(ctx.out_shape, ctx.in_shapes[0], tuple(pair), None))
    )


register_rule("transpose", _transpose)


def reshape_groups(in_shape, out_shape) -> list[tuple[list[int], list[int]]]:
    """Group the non-unit dims of a reshape into (out dims, in dims) with equal products."""
    ins = [q for q, n in enumerate(in_shape) if n != 1]
    outs = [p for p, n in enumerate(out_shape) if n != 1]
    groups = []
    i = o = 0
    while i < len(ins) or o < len(outs):
        gi, go = [ins[i]], [outs[o]]
        pi, po = in_shape[ins[i]], out_shape[outs[o]]
        i, o = i + 1, o + 1
        while pi != po:
            if pi < po:
                gi.append(ins[i])
                pi *= in_shape[ins[i]]
                i += 1
            else:
                go.append(outs[o])
                po *= out_shape[outs[o]]
                o += 1
        groups.append((go, gi))
    return groups


def _reshape(ctx: RuleContext) -> list:
    if ctx.params.get("dimensions") is not None:
        return per_input(ctx, lambda i: dense_jacobian(ctx, i))
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shape
    P = len(out_shape)
    pair = [None] * len(in_shape)
    operands, labels = [], set()
    for go, gi in reshape_groups(in_shape, out_shape):
        if len(go) == 1 and len(gi) == 1:
            pair[gi[0]] = go[0]
            continue
        n = math.prod(in_shape[q] for q in gi)
        eye = np.eye(n, dtype=ctx.dtype).reshape(
            tuple(out_shape[p] for p in go) + tuple(in_shape[q] for q in gi)
        )
        group_labels = list(go) + [P + q for q in gi]
        operands += [eye, group_labels]
        labels.update(group_labels)
    if not operands:
        s = Structure(out_shape, in_shape, tuple(pair), None)
        return per_input(ctx, lambda i: STensor(None, s))
    val_dims = tuple(sorted(labels))
    val = np.einsum(*operands, list(val_dims))  # a compile-time constant
    s = Structure(out_shape, in_shape, tuple(pair), val_dims)
    return per_input(ctx, lambda i: STensor(val, s))


register_rule("reshape", _reshape)


def _slice(ctx: RuleContext) -> list:
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shape
    starts = ctx.params["start_indices"]
    strides = ctx.params["strides"] or (1,) * len(in_shape)
    per_dim = [
        PAIR
        if (out_shape[d] == in_shape[d] and strides[d] == 1)
        else shift_matrix(out_shape[d], in_shape[d], int(starts[d]), int(strides[d]), ctx.dtype)
        for d in range(len(in_shape))
    ]
    return per_input(ctx, lambda i: selection(out_shape, in_shape, per_dim, ctx.dtype))


register_rule("slice", _slice)


def _starts(values, limits) -> list:
    """Start indices as JAX clamps them: Python ints where known while tracing (the
    selection is then an index map), else the clipped traced values."""
    out = []
    for start, limit in zip(values, limits):
        known = known_value(start)
        out.append(
            int(np.clip(known, 0, limit)) if known is not None else jnp.clip(start, 0, limit)
        )
    return out


def _dynamic_slice(ctx: RuleContext) -> list:
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shape
    starts = _starts(ctx.invals[1:], [n - m for n, m in zip(in_shape, out_shape)])

    def make(i):
        if i != 0:
            return None  # start indices are integers
        per_dim = []
        for d, (n_in, n_out) in enumerate(zip(in_shape, out_shape)):
            if n_in == n_out:
                per_dim.append(PAIR)
            else:
                per_dim.append(shift_matrix(n_out, n_in, starts[d], 1, ctx.dtype))
        return selection(out_shape, in_shape, per_dim, ctx.dtype)

    return per_input(ctx, make)


register_rule("dynamic_slice", _dynamic_slice)


def _dynamic_update_slice(ctx: RuleContext) -> list:
    op_shape, up_shape = ctx.in_shapes[0], ctx.in_shapes[1]
    starts = _starts(ctx.invals[2:], [n - m for n, m in zip(op_shape, up_shape)])

    def make(i):
        if i == 0:
            mask = lax.dynamic_update_slice(
                jnp.ones(op_shape, ctx.dtype), jnp.zeros(up_shape, ctx.dtype), list(starts)
            )
            return elementwise(op_shape, op_shape, mask)
        if i == 1:
            per_dim = []
            for d, (n_op, n_up) in enumerate(zip(op_shape, up_shape)):
                if n_op == n_up:
                    per_dim.append(PAIR)
                else:
                    per_dim.append(shift_matrix(n_up, n_op, starts[d], 1, ctx.dtype).T)
            return selection(op_shape, up_shape, per_dim, ctx.dtype)
        return None

    return per_input(ctx, make)


register_rule("dynamic_update_slice", _dynamic_update_slice)


def _concatenate(ctx: RuleContext) -> list:
    axis = ctx.params["dimension"]
    out_shape = ctx.out_shape
    offsets = [0]
    for shape in ctx.in_shapes:
        offsets.append(offsets[-1] + shape[axis])

    def make(i):
        shape = ctx.in_shapes[i]
        per_dim = [PAIR] * len(shape)
        per_dim[axis] = shift_matrix(shape[axis], out_shape[axis], offsets[i], 1, ctx.dtype).T
        return selection(out_shape, shape, per_dim, ctx.dtype)

    return per_input(ctx, make)


register_rule("concatenate", _concatenate)


def _split(ctx: RuleContext) -> list:
    axis = ctx.params["axis"]
    in_shape = ctx.in_shapes[0]
    out = []
    if not ctx.active[0]:
        return out
    offset = 0
    for k, size in enumerate(ctx.params["sizes"]):
        out_shape = ctx.out_shapes[k]
        per_dim = [PAIR] * len(in_shape)
        per_dim[axis] = shift_matrix(int(size), in_shape[axis], offset, 1, ctx.dtype)
        out.append((k, 0, selection(out_shape, in_shape, per_dim, ctx.dtype)))
        offset += int(size)
    return out


register_rule("split", _split)


def _pad(ctx: RuleContext) -> list:
    config = ctx.params["padding_config"]
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shape

    def make(i):
        per_dim = []
        for d, (lo, hi, interior) in enumerate(config):
            if (lo, hi, interior) == (0, 0, 0):
                per_dim.append(PAIR)
            else:
                per_dim.append(
                    shift_matrix(in_shape[d], out_shape[d], int(lo), int(interior) + 1, ctx.dtype).T
                )
        sel = selection(out_shape, in_shape, per_dim, ctx.dtype)
        if i == 0:
            return sel
        # the padding value: 1 where the output is not a copy of the operand
        mask = lax.pad(jnp.zeros(in_shape, ctx.dtype), jnp.asarray(1, ctx.dtype), config)
        return elementwise((), out_shape, mask)

    return per_input(ctx, make)


register_rule("pad", _pad)


def _rev(ctx: RuleContext) -> list:
    dims = set(ctx.params["dimensions"])
    shape = ctx.in_shapes[0]
    per_dim = [np.eye(n, dtype=ctx.dtype)[::-1] if d in dims else PAIR for d, n in enumerate(shape)]
    return per_input(ctx, lambda i: selection(shape, shape, per_dim, ctx.dtype))


register_rule("rev", _rev)


def _gather_map(ctx: RuleContext):
    """The index map of a gather that takes entries along one operand dim with indices
    known while tracing (``x[np.array([2, 0, 1])]``, ``jnp.take``), or ``None``.

    The form: one index per output entry of a 1-D batch of indices (index vector last),
    one collapsed operand dim ``d`` indexed, every other operand dim taken whole and
    kept in order; distinct indices (a repeated index reads an entry twice: not an
    index map). Out-of-range indices are clamped (``clip``, ``promise_in_bounds``) or
    read as the fill value (``fill``: an empty output entry).
    """
    dn = ctx.params["dimension_numbers"]
    operand, indices = ctx.in_shapes[0], ctx.in_shapes[1]
    known = known_value(ctx.invals[1])
    if known is None or len(indices) != 2 or indices[1] != 1:
        return None
    if len(dn.start_index_map) != 1 or tuple(dn.collapsed_slice_dims) != tuple(dn.start_index_map):
        return None
    if getattr(dn, "operand_batching_dims", ()) or getattr(dn, "start_indices_batching_dims", ()):
        return None
    d = dn.start_index_map[0]
    rest = [q for q in range(len(operand)) if q != d]
    sizes = tuple(ctx.params["slice_sizes"])
    if any(sizes[q] != operand[q] for q in rest) or sizes[d] != 1:
        return None
    batch_dim = [p for p in range(len(ctx.out_shape)) if p not in dn.offset_dims]
    if len(batch_dim) != 1 or len(dn.offset_dims) != len(rest):
        return None
    idx = known[:, 0].astype(np.int64)
    n = operand[d]
    if "FILL" in str(ctx.params["mode"]).upper():
        src = np.where((idx >= 0) & (idx < n), idx, -1)
    else:
        src = np.clip(idx, 0, n - 1)
    valid = src[src >= 0]
    if len(np.unique(valid)) != len(valid):
        return None
    per_dim = [PAIR] * len(operand)
    per_dim[d] = IndexMap(tuple(int(i) for i in src), n)
    pair = [None] * len(operand)
    pair[d] = batch_dim[0]
    for q, p in zip(rest, dn.offset_dims):
        pair[q] = p
    return pair, per_dim


def _gather(ctx: RuleContext) -> list:
    """gather: an index map where :func:`_gather_map` finds one, else the dense fallback
    (``O x I`` values from jacfwd); indices are not differentiable."""

    def make(i):
        if i != 0:
            return None
        found = _gather_map(ctx)
        if found is None:
            return dense_jacobian(ctx, 0)
        pair, per_dim = found
        return selection(ctx.out_shape, ctx.in_shapes[0], per_dim, ctx.dtype, pair=pair)

    return per_input(ctx, make)


register_rule("gather", _gather)


def _stack(ctx: RuleContext) -> list:
    """stack(axis): operand k is identity-paired into the output with a one-hot on the new axis."""
    axis = ctx.params["axis"]
    out_shape = ctx.out_shape
    n = out_shape[axis]

    def make(i):
        in_shape = ctx.in_shapes[i]
        pair = tuple(q if q < axis else q + 1 for q in range(len(in_shape)))
        onehot = (np.arange(n) == i).astype(ctx.dtype)
        return STensor(onehot, Structure(out_shape, in_shape, pair, (axis,)))

    return per_input(ctx, make)


register_rule("stack", _stack)
