"""Rule for ``dot_general`` (any contracting and batch dimensions).

With respect to the lhs the partial is identity-paired on the batch and lhs-free dims,
unpaired on the lhs contracting dims (source side) and rhs-free dims (target side), and
its values are the rhs (batch dims become diagonal). Symmetrically for the rhs. For
``W @ x`` with ``W: (N, M)``: ``d/dW`` stores ``x`` (M values; dense would be N x N x M).
"""

from __future__ import annotations

import jax.numpy as jnp

from .._stensor import STensor
from .._structure import Structure
from ._registry import RuleContext, per_input, register_rule


def _dot_general(ctx: RuleContext) -> list:
    (lc, rc), (lb, rb) = ctx.params["dimension_numbers"]
    lc, rc, lb, rb = map(tuple, (lc, rc, lb, rb))
    shapes = ctx.in_shapes
    out_shape = ctx.out_shape
    P = len(out_shape)
    nb = len(lb)
    free = [
        [d for d in range(len(shapes[0])) if d not in lc and d not in lb],
        [d for d in range(len(shapes[1])) if d not in rc and d not in rb],
    ]
    contract = (lc, rc)
    batch = (lb, rb)
    free_offset = (nb, nb + len(free[0]))  # first out dim of each operand's free dims

    def make(i: int) -> STensor:
        j = 1 - i
        # source (operand i) side
        pair = []
        for q in range(len(shapes[i])):
            if q in batch[i]:
                pair.append(batch[i].index(q))
            elif q in contract[i]:
                pair.append(None)
            else:
                pair.append(free_offset[i] + free[i].index(q))
        # values: the other operand, labelled in this partial's canonical labels
        labels = []
        for q in range(len(shapes[j])):
            if q in batch[j]:
                labels.append(batch[j].index(q))
            elif q in contract[j]:
                labels.append(P + contract[i][contract[j].index(q)])
            else:
                labels.append(free_offset[j] + free[j].index(q))
        order = sorted(range(len(labels)), key=lambda a: labels[a])
        val = jnp.transpose(jnp.asarray(ctx.invals[j]), order).astype(ctx.dtype)
        s = Structure(out_shape, shapes[i], tuple(pair), tuple(labels[a] for a in order))
        return STensor(val, s)

    return per_input(ctx, make)


register_rule("dot_general", _dot_general)
