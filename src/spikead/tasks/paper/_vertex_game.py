"""A reconstruction of the AlphaGrad paper's cost model (its "vertex game"), for analysis.

Table 1 of the AlphaGrad paper (Lohoff & Neftci 2024) was counted by the authors'
vertex game (AlphaGrad repository, ``src/alphagrad/vertexgame/``: the graph builder
``interpreter/from_jaxpr.py`` with the per-primitive rules of ``interpreter/prim_mapper.py``,
the elimination ``core.py`` ``vertex_eliminate`` and the greedy order
``transforms/markowitz.py``). Graphax itself cannot be installed here, so this module
restates those rules, in our own code, precisely enough to count an elimination order
the way the paper did. It is an *analysis* tool (``spikead.tasks.paper._causes`` uses it
to name the cause of each Table 1 difference); the engine's own cost model stays
:mod:`spikead.ad._structure`.

The game's state, restated:

* One vertex per jaxpr equation (constant-only equations included), numbered from 1 in
  jaxpr order; inputs are the jaxpr's input variables. Every tensor is seen as 2-D:
  scalars (and any size-1 tensor) as (1, 1), vectors (n,) as (n, 1), matrices as they
  are (rank 3 and above is not supported by the game; :func:`build` raises).
* Each edge ``i -> j`` is five integers: a *sparsity code* and two 2-D shapes
  ``(code, o1, o2, p1, p2)`` (the target's, then the source's; the one-input rules write
  them the other way round, which is equal for their same-shape edges). Codes: 0 no edge,
  1 dense, 2..7 diagonal over index pairs, -1 copy, -2..-7 Kronecker (identity) pairs,
  8, 9, -8, -9 mixed (see ``CODE_DOC`` below).
* Eliminating vertex ``j``: for each successor ``k`` and each predecessor ``i``, the
  product of edge ``j -> k`` with edge ``i -> j`` costs the product of six factors
  (k's two dims from the out-edge, j's two dims from the out-edge's source shape, i's
  two dims from the in-edge), each kept or replaced by 1 according to a per-code-pair
  mask (:data:`CONTRACTION`); a pair whose mask is all zero costs 0 (a copy or identity
  out-edge is free). The product's code is :data:`MUL_CODE` ``[in, out]``; it is merged
  with an existing edge ``i -> k`` by :data:`ADD_CODE` ``[existing, new]``.
* Markowitz: repeatedly the vertex of least degree (in-count x out-count, counted per
  code as in ``markowitz.py``), ties to the lowest number; the counts are then those of
  eliminating that order.
* An output used by a later equation gets an extra masked vertex fed by a code-8 copy
  edge. The source writes that edge's *source* row as ``idx - num_i - 1`` (the column
  index of the output, not its row); :func:`build` reproduces that.

The three code tables are data of the published game, transcribed (19 x 19 over codes
-9..9; rows are the in-edge's code, columns the out-edge's).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...ad._jaxpr import is_literal

__all__ = ["Game", "build", "eliminate", "forward", "markowitz_order", "reverse", "run_order"]

CODE_DOC = {
    9: "K(1,4) and (2,3)",
    8: "K(1,3) and (2,4)",
    7: "(1,4) and (2,3)",
    6: "(1,3) and (2,4)",
    5: "(2,3)",
    4: "(1,4)",
    3: "(2,4)",
    2: "(1,3)",
    1: "dense",
    0: "no edge",
    -1: "copy",
    -2: "K(1,3)",
    -3: "K(2,4)",
    -4: "K(1,4)",
    -5: "K(2,3)",
    -6: "K(1,3) and K(2,4)",
    -7: "K(1,4) and K(2,3)",
    -8: "(1,3) and K(2,4)",
    -9: "(1,4) and K(2,3)",
}
"""Sparsity codes of an edge ``J[o1, o2, p1, p2]``: (a, b) is a diagonal between index a
and b, K(a, b) a Kronecker delta (identity) between them."""

_C = np.array  # the tables below are 19 x 19, index = code + 9

CONTRACTION = _C(
    [
        [
            [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            [1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1],
        ],
        [
            [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0] * 19,
            [0] * 19,
            [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        ],
        [
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
        ],
        [
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0] * 19,
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0] * 19,
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
            [0] * 19,
        ],
        [
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
        ],
        [
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0] * 19,
            [0] * 19,
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0],
        ],
    ]
)
"""Mask (6, 19, 19): which of the six factors (o1, o2 of k; p1, p2 of j; p1, p2 of i) a
product of an in-edge code (axis 1) and an out-edge code (axis 2) multiplies."""

MUL_CODE = _C(
    [
        [6, 7, 8, -9, 3, -2, -5, 4, -9, 0, 1, 5, 4, 3, 2, 7, 6, -9, 6],
        [-9, -8, 9, -8, 5, -4, -3, 2, -8, 0, 1, 2, 3, 4, 5, 6, 7, 6, 7],
        [-8, -9, -6, -7, -3, -2, -5, -4, -7, 0, 1, 4, 5, 2, 3, 7, 6, 9, 8],
        [-9, -8, -7, -6, -5, -4, -3, -2, -6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [2, -5, -2, -5, 1, -2, -5, 1, -5, 0, 1, 1, 5, 2, 1, 5, 2, 5, -2],
        [-3, 4, -3, -4, -3, 1, 1, -4, -4, 0, 1, 4, 1, 1, 3, 4, 3, -4, 3],
        [4, -3, -4, -3, 1, 1, -3, 1, -3, 0, 1, 1, 3, 3, 1, 3, 4, 3, -4],
        [-5, 2, -5, -2, -5, -4, 1, -2, -2, 0, 1, 2, 1, 1, 5, 2, 5, -2, 5],
        [-9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [0] * 19,
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        [5, 2, 5, 2, 5, 4, 1, 2, 2, 0, 1, 2, 1, 1, 5, 2, 5, 2, 5],
        [4, 3, 4, 3, 1, 1, 3, 1, 3, 0, 1, 1, 3, 4, 1, 3, 4, 3, 4],
        [3, 4, 3, 4, 3, 1, 1, 4, 4, 0, 1, 4, 1, 1, 3, 4, 3, 4, 3],
        [2, 5, 2, 5, 1, 2, 5, 1, 5, 0, 1, 1, 5, 2, 1, 5, 2, 5, 2],
        [7, 6, 7, 6, 5, 4, 3, 2, 6, 0, 1, 2, 3, 4, 5, 6, 7, 6, 7],
        [6, 7, 6, 7, 3, 2, 5, 4, 7, 0, 1, 4, 5, 2, 3, 7, 6, 7, 6],
        [7, 6, -9, 8, -5, -4, 3, -2, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [-9, 9, -8, 9, -3, 2, 5, -4, 9, 0, 1, 5, 4, 3, 2, 7, 6, 7, 6],
    ]
)
"""Code (19, 19) of the product of an in-edge code (row) and an out-edge code (column)."""

ADD_CODE = _C(
    [
        [-9, 1, -9, 1, -5, 4, 1, 1, -9, -7, 1, 1, 1, 4, 5, 1, 7, 1, 7],
        [1, -8, 1, -8, 1, 1, -3, 2, -8, -8, 1, 2, 3, 1, 1, 6, 1, 6, 1],
        [-9, 1, -7, 1, -5, -4, 1, 1, -7, -7, 1, 1, 1, 4, 5, 1, 7, 1, 9],
        [1, -8, 1, -6, 1, 1, -3, -2, -6, -6, 1, 2, 3, 1, 1, 6, 1, 8, 1],
        [-5, 1, -5, 1, -5, 1, 1, 1, -5, -5, 1, 1, 1, 1, 5, 1, 5, 1, 5],
        [4, 1, -4, 1, 1, -4, 1, 1, -4, -4, 1, 1, 1, 4, 1, 1, 4, 1, -4],
        [1, -3, 1, -3, 1, 1, -3, 1, -3, -3, 1, 1, 3, 1, 1, 3, 1, 3, 1],
        [1, 2, 1, -2, 1, 1, 1, -2, -2, -2, 1, 2, 1, 1, 1, 2, 1, -2, 1],
        [-9, -8, -7, -6, -5, -4, -3, -2, -1, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [-9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1] * 19,
        [1, 2, 1, 2, 1, 1, 1, 2, 2, 2, 1, 2, 1, 1, 1, 2, 1, 2, 1],
        [1, 3, 1, 3, 1, 1, 3, 1, 3, 3, 1, 1, 3, 1, 1, 3, 1, 3, 1],
        [4, 1, 4, 1, 1, 4, 1, 1, 4, 4, 1, 1, 1, 4, 1, 1, 4, 1, 4],
        [5, 1, 5, 1, 5, 1, 1, 1, 5, 5, 1, 1, 1, 1, 5, 1, 5, 1, 5],
        [1, 6, 1, 6, 1, 1, 3, 2, 6, 6, 1, 2, 3, 1, 1, 6, 1, 6, 1],
        [7, 1, 7, 1, 5, 4, 1, 1, 7, 7, 1, 1, 1, 4, 5, 1, 7, 1, 7],
        [1, 6, 1, 8, 1, 1, 3, -2, 8, 8, 1, 2, 3, 1, 1, 6, 1, 8, 1],
        [7, 1, 9, 1, 5, -4, 1, 1, 9, 9, 1, 1, 1, 4, 5, 1, 7, 1, 9],
    ]
)
"""Code (19, 19) of the sum of an existing edge (row) and a new product (column)."""


# ------------------------------------------------------------------------ graph
MONO = frozenset(
    {
        "neg",
        "abs",
        "exp",
        "log",
        "log1p",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "asinh",
        "acosh",
        "atanh",
        "integer_pow",
        "sqrt",
        "rsqrt",
        "logistic",
        "erf",
        "custom_jvp_call",
        "square",  # JAX >= 0.4.36; JAX 0.4.26 emitted integer_pow (same rule)
    }
)
"""Primitives of the game's one-input rule (elementwise; the code follows the input's 2-D
shape: (1,1) -> 1, (n,1) -> 2, (1,n) -> 3, matrix -> 6)."""

BI = frozenset({"add", "atan2", "mul", "sub", "div", "add_any", "eq", "pow"})
"""Primitives of the game's two-input (broadcasting) rule."""

NOT_IN_GAME = frozenset({"max", "min"})
"""Primitives of JAX 0.10's jaxprs that the game has no rule for (``max`` comes from the
inlined ``jax.nn.softmax``); counted with the two-input rule and reported as such."""

COPY = frozenset(
    {"reshape", "slice", "dynamic_slice", "dynamic_update_slice", "convert_element_type", "pad"}
)
"""Primitives whose edge is the game's code -1 (copy: free as an out-edge)."""

NO_EDGE = frozenset({"stop_gradient", "iota"})
"""Primitives that get a vertex but no in-edge."""


def shape2(shape: tuple[int, ...]) -> tuple[int, int]:
    """The game's 2-D view of a shape: size 1 -> (1, 1), (n,) -> (n, 1), (m, n) as is."""
    size = int(np.prod(shape)) if shape else 1
    if size == 1:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    if len(shape) == 2:
        return tuple(shape)
    raise ValueError(
        f"the vertex game has no rule for rank-{len(shape)} shape {shape}; "
        "it only knows scalars, vectors and matrices"
    )


def _kind(s: tuple[int, int]) -> str:
    if s == (1, 1):
        return "scalar"
    if s[1] == 1:
        return "col"
    if s[0] == 1:
        return "row"
    return "matrix"


@dataclasses.dataclass
class Game:
    """The game's state: ``edges[:, row, col]`` = (code, o1, o2, p1, p2) of edge row -> col.

    Rows: 1..n_in the inputs, ``n_in + v`` vertex ``v`` (1-based); column ``v - 1`` holds
    the in-edges of vertex ``v``. ``masked[v - 1]``: eliminated or output; ``output``:
    output vertices. ``eqn_of[v - 1]``: jaxpr equation index of vertex ``v`` (None for an
    added copy vertex); ``prims[v - 1]``: its primitive; ``notes``: rule substitutions made.
    """

    n_in: int
    edges: np.ndarray
    masked: np.ndarray
    output: np.ndarray
    eqn_of: list
    prims: list
    notes: list

    @property
    def n_vertices(self) -> int:
        return self.edges.shape[2]

    @property
    def n_eliminable(self) -> int:
        return int((~self.output).sum())

    def copy(self) -> Game:
        return Game(
            self.n_in,
            self.edges.copy(),
            self.masked.copy(),
            self.output.copy(),
            list(self.eqn_of),
            list(self.prims),
            list(self.notes),
        )


def build(closed) -> Game:
    """The game's graph of a closed jaxpr (top-level equations; no nested calls).

    Rules of ``prim_mapper.py`` (version read: AlphaGrad commit 12f6ebf); literals and
    constant variables are not graph variables (the source would fail on a constvar).
    """
    jaxpr = closed.jaxpr
    eqns = jaxpr.eqns
    n_in, n_v = len(jaxpr.invars), len(eqns)
    edges = np.zeros((5, n_in + n_v + 1, n_v), dtype=np.int64)
    row: dict = {}
    for r, v in enumerate(jaxpr.invars, start=1):
        row[v] = r
    notes: list = []
    used: set = set()
    prims = []

    def is_var(x) -> bool:
        return not is_literal(x) and x in row

    def put(src_row: int, v: int, code: int, a, b, with_code: bool = True) -> None:
        entry = np.array([code, *a, *b], dtype=np.int64)
        if with_code:
            edges[:, src_row, v - 1] = entry
        else:  # the source sets only the shape rows (the code stays 0: no edge)
            edges[1:, src_row, v - 1] = entry[1:]

    for n, eqn in enumerate(eqns):
        v = n + 1
        name = eqn.primitive.name
        prims.append(name)
        for x in eqn.invars:
            if not is_literal(x):
                used.add(x)
        for o in eqn.outvars:
            row[o] = n_in + v
        out = shape2(eqn.outvars[0].aval.shape)
        ins = [x for x in eqn.invars if is_var(x)]
        if name in MONO:
            if not ins:
                continue
            s = shape2(ins[0].aval.shape)
            code = {"scalar": 1, "col": 2, "row": 3, "matrix": 6}[_kind(s)]
            put(row[ins[0]], v, code, s, out)  # the source writes (in, out) here
        elif name in BI or name in NOT_IN_GAME:
            if name in NOT_IN_GAME:
                notes.append(f"eqn {n}: {name} has no rule in the game; two-input rule used")
            for x in ins:
                s = shape2(x.aval.shape)
                other = shape2(eqn.invars[1 - eqn.invars.index(x)].aval.shape)
                k, ko, kout = _kind(s), _kind(other), _kind(out)
                if k == "scalar":
                    code = 1
                elif k == "col":
                    code = -2 if (kout == "col" and ko == "scalar") else 2
                elif k == "row":
                    code = -3 if (kout == "row" and ko == "scalar") else 3
                else:  # the source's -6 for a scalar other is overwritten by its else branch
                    code = {"col": -8, "row": 8}.get(ko, 6)
                put(row[x], v, code, out, s)
        elif name == "dot_general":
            s0, s1 = (shape2(x.aval.shape) for x in eqn.invars)
            k0, k1 = _kind(s0), _kind(s1)
            c0, c1 = 1, 1
            if k0 == "row" and k1 in ("scalar", "matrix"):
                c1 = -3
            elif k0 == "matrix" and k1 == "col":
                c0 = -2
            elif k0 == "matrix" and k1 == "matrix":
                c0, c1 = -2, -3
            v0, v1 = is_var(eqn.invars[0]), is_var(eqn.invars[1])
            if v0:
                put(row[eqn.invars[0]], v, c0, out, s0)
            if v1:
                put(row[eqn.invars[1]], v, c1, out, s1, with_code=v0)
        elif name == "reduce_sum":
            s = shape2(ins[0].aval.shape)
            code = {"col": -2, "row": -3}.get(_kind(out), 1) if _kind(s) == "matrix" else 1
            put(row[ins[0]], v, code, out, s)
        elif name in ("reduce_max", "reduce_min"):
            s = shape2(ins[0].aval.shape)
            code = {"col": 2, "row": 3}.get(_kind(out), 6) if _kind(s) == "matrix" else 6
            put(row[ins[0]], v, code, out, s)
        elif name == "transpose":
            s = shape2(ins[0].aval.shape)
            code = {"scalar": 1, "col": -4, "row": -5, "matrix": -7}[_kind(s)]
            put(row[ins[0]], v, code, out, s)
        elif name in ("broadcast_in_dim", "squeeze"):
            if not ins:
                continue
            s = shape2(ins[0].aval.shape)
            put(row[ins[0]], v, -6 if s == out else -7, out, s)
        elif name in COPY:
            if not ins:
                continue
            put(row[ins[0]], v, -1, out, shape2(ins[0].aval.shape))
        elif name == "concatenate":  # the source leaves the code 0: no edge
            for x in ins:
                put(row[x], v, 0, out, shape2(ins[0].aval.shape), with_code=False)
        elif name in NO_EDGE:
            continue
        else:
            raise ValueError(
                f"eqn {n}: primitive {name!r} has no rule in the vertex game "
                "(prim_mapper.py); add one here only from the game's source"
            )
    masked = np.zeros(n_v, dtype=bool)
    output = np.zeros(n_v, dtype=bool)
    eqn_of: list = list(range(n_v))
    for o in jaxpr.outvars:
        if is_literal(o):
            continue
        r = row[o]
        if o in used:  # add_slice: a masked copy vertex, its code-8 edge from row r - n_in - 1
            s = shape2(o.aval.shape)
            col = np.zeros((5, edges.shape[1], 1), dtype=np.int64)
            col[:, r - n_in - 1, 0] = (8, *s, *s)
            edges = np.concatenate([edges, col], axis=2)
            edges = np.concatenate([edges, np.zeros((5, 1, edges.shape[2]), np.int64)], axis=1)
            masked, output = np.append(masked, True), np.append(output, True)
            eqn_of.append(None)
            prims.append("copy")
            notes.append(
                f"output of eqn {r - n_in - 1} is reused: copy vertex fed from "
                f"row {r - n_in - 1} (the source's index)"
            )
        else:
            masked[r - n_in - 1] = output[r - n_in - 1] = True
    return Game(n_in, edges, masked, output, eqn_of, prims, notes)


# ------------------------------------------------------------------ elimination
def _products(e_in: np.ndarray, e_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and multiplications of (edge j -> k) . (edge i -> j) for every in-edge column
    of ``e_in`` (5, rows), as ``core.py`` counts: six factors (k's dims, j's dims from the
    out-edge, i's dims from the in-edge) masked by :data:`CONTRACTION`; an all-zero mask
    costs 0; negative (replicating) dims count 1."""
    t_in = e_in[0].astype(np.int64) + 9
    t_out = int(e_out[0]) + 9
    mask = CONTRACTION[:, t_in, t_out]  # (6, rows)
    factors = np.concatenate(
        [
            np.broadcast_to(e_out[1:3, None], (2, e_in.shape[1])),
            np.broadcast_to(np.abs(e_out[3:5])[:, None], (2, e_in.shape[1])),
            e_in[3:5],
        ]
    )
    factors = np.where(mask > 0, factors, 1)
    factors = np.where(factors >= 0, factors, 1)
    cost = np.where(mask.sum(axis=0) > 0, factors.prod(axis=0), 0)
    return MUL_CODE[t_in, t_out], cost


def eliminate(game: Game, v: int) -> int:
    """Eliminate vertex ``v`` (1-based) in place; the multiplications (``vertex_eliminate``)."""
    e = game.edges
    r_v = game.n_in + v
    in_edges = e[:, 1:, v - 1].copy()
    total = 0
    for k in np.nonzero(e[0, r_v, :])[0]:
        out_col = e[:, 1:, k]
        e_out = out_col[:, r_v - 1].copy()
        codes, cost = _products(in_edges, e_out)
        total += int(cost.sum())
        new = np.empty_like(out_col)
        new[0] = ADD_CODE[out_col[0] + 9, codes + 9]
        new[1:3] = np.where(in_edges[2] != 0, e_out[1:3, None], out_col[1:3])
        new[3:5] = np.where(in_edges[4] != 0, in_edges[3:5], out_col[3:5])
        e[:, 1:, k] = new
    e[:, r_v, :] = 0
    e[:, 1:, v - 1] = 0
    game.masked[v - 1] = True
    return total


def run_order(game: Game, order) -> list[tuple[int, int]]:
    """(vertex, multiplications) per step of ``order`` on a copy; masked vertices skipped."""
    g = game.copy()
    steps = []
    for v in order:
        if g.masked[v - 1]:
            continue
        steps.append((int(v), eliminate(g, int(v))))
    return steps


def forward(game: Game) -> list[tuple[int, int]]:
    return run_order(game, range(1, game.n_vertices + 1))


def reverse(game: Game) -> list[tuple[int, int]]:
    return run_order(game, range(game.n_vertices, 0, -1))


_DEGREE_INDEX = np.array([2, 1, 1, 2])


def _counts(slc: np.ndarray, dense_dims: slice) -> np.ndarray:
    """``count_in_edges`` / ``count_out_edges`` of ``markowitz.py`` per edge entry of
    ``slc`` (5, ...): code 1 -> product of ``dense_dims``; 6, 7, 8 -> 1; otherwise the
    entry at ``[2, 1, 1, 2][code - 2]`` with jnp's index rules (a negative index wraps
    once, then clamps into range)."""
    code = slc[0]
    idx = code - 2
    idx = np.clip(np.where(idx < 0, idx + 4, idx), 0, 3)
    picked = np.take_along_axis(slc, _DEGREE_INDEX[idx][None], axis=0)[0]
    counts = np.where(np.isin(code, (6, 7, 8)), 1, picked)
    return np.where(code == 1, slc[dense_dims].prod(axis=0), counts)


def markowitz_degrees(game: Game) -> np.ndarray:
    """Degree of every vertex: out-edges counted with their source dims times in-edges
    counted with their target dims (masked vertices -1)."""
    e, n_in, n_v = game.edges, game.n_in, game.n_vertices
    outs = _counts(e[:, n_in + 1 : n_in + n_v + 1, :], slice(3, 5)).sum(axis=1)
    ins = _counts(e[:, 1:, :], slice(1, 3)).sum(axis=0)
    return np.where(game.masked, -1, outs * ins)


def markowitz_degree(game: Game, v: int) -> int:
    """Degree of vertex ``v`` (1-based); see :func:`markowitz_degrees`."""
    return int(markowitz_degrees(game)[v - 1])


def markowitz_order(game: Game) -> list[int]:
    """The order of ``minimal_markowitz``: ``n_vertices`` picks, each the entry at position
    (number of masked vertices) of the stable argsort of the degrees (masked vertices -1),
    eliminated on a copy whether masked or not; :func:`run_order` skips masked entries."""
    g = game.copy()
    order = []
    for _ in range(g.n_vertices):
        degrees = markowitz_degrees(g)
        pick = min(int(g.masked.sum()), g.n_vertices - 1)
        v = int(np.argsort(degrees, kind="stable")[pick]) + 1
        eliminate(g, v)
        order.append(v)
    return order
