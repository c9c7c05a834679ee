"""Structured tensors: partial Jacobians stored as values plus a static :class:`Structure`.

An :class:`STensor` is an equinox Module whose only array leaf is ``val`` (or ``None`` for
a pure identity/broadcast); the structure is a static field, so structured tensors can be
carried through ``jax.jit``, ``jax.vmap`` and ``lax.scan`` (the carry keeps its structure).

Example: for ``step(w, h, x) = 0.9 * h + w @ x`` with ``h: (N,)``, ``w: (N, M)``,
``d step / d h`` is identity-paired scaled by 0.9 (``val`` is a scalar) and
``d step / d w`` is identity-paired on the neuron index and dense on the input index
(``val`` holds ``x``, M values; the dense tensor would be N x N x M).
"""

from __future__ import annotations

import itertools
import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax import Array, lax

from ._structure import (
    Shape,
    Structure,
    broadens_to,
    dense_structure,
    identity_structure,
    product_plan,
    sum_structure,
    zero_structure,
)


class STensor(eqx.Module):
    """A structured partial Jacobian ``J[O..., I...]`` (see :mod:`spikead.ad._structure`).

    Attributes:
        val: values along ``structure.val_dims`` (shape ``structure.val_shape``), or None.
        structure: static structure.
    """

    val: Array | None
    structure: Structure = eqx.field(static=True)

    def __check_init__(self) -> None:
        expected = self.structure.val_shape
        if (self.val is None) != (expected is None):
            raise ValueError(f"val presence does not match structure {self.structure}")
        if self.val is not None and tuple(self.val.shape) != expected:
            raise ValueError(
                f"val has shape {tuple(self.val.shape)}, structure {self.structure} "
                f"expects {expected}"
            )

    @property
    def out_shape(self) -> Shape:
        return self.structure.out_shape

    @property
    def in_shape(self) -> Shape:
        return self.structure.in_shape

    @property
    def shape(self) -> Shape:
        """Shape of the dense tensor: ``out_shape + in_shape``."""
        return self.structure.out_shape + self.structure.in_shape

    def __str__(self) -> str:
        return f"STensor({self.structure}, shape={self.shape})"


# ------------------------------------------------------------------ constructors
def identity(shape: Shape) -> STensor:
    """``d x / d x`` for ``x`` of the given shape (no values)."""
    return STensor(None, identity_structure(tuple(shape)))


def diagonal(d: Array) -> STensor:
    """Element-wise partial ``J[o, i] = d[o] delta(o, i)`` (``d`` scalar: a scaled identity)."""
    d = jnp.asarray(d)
    shape = tuple(d.shape)
    s = Structure(shape, shape, tuple(range(len(shape))), tuple(range(len(shape))))
    return STensor(d, s)


def scaled_identity(shape: Shape, scale: Array) -> STensor:
    """``scale * I`` on ``shape`` with one stored scalar."""
    s = Structure(tuple(shape), tuple(shape), tuple(range(len(shape))), ())
    return STensor(jnp.asarray(scale), s)


def dense(array: Array, out_ndim: int) -> STensor:
    """Wrap a dense Jacobian whose first ``out_ndim`` axes are the output axes."""
    array = jnp.asarray(array)
    shape = tuple(array.shape)
    return STensor(array, dense_structure(shape[:out_ndim], shape[out_ndim:]))


def zeros(out_shape: Shape, in_shape: Shape, dtype=jnp.float32) -> STensor:
    """An all-zero partial (one stored scalar)."""
    return STensor(jnp.zeros((), dtype), zero_structure(tuple(out_shape), tuple(in_shape)))


# -------------------------------------------------------------------- algebra
def _reduce_to(x: Array, labels: tuple[int, ...], keep: set[int]) -> tuple[Array, tuple[int, ...]]:
    """Sum ``x`` over the labels not in ``keep``."""
    axes = tuple(a for a, label in enumerate(labels) if label not in keep)
    if axes:
        x = jnp.sum(x, axis=axes)
        labels = tuple(label for label in labels if label in keep)
    return x, labels


SMALL_CONTRACTION = 16
"""Contractions over at most this many terms are emitted as one broadcast product summed
over the contracted axes (fused by XLA), larger ones as ``dot_general``. Both perform the
same products."""

REDUCE_MAX_ELEMENTS = 4096
"""A small contraction whose broadcast product has fewer elements than this is emitted as
broadcast-multiply-``reduce`` (XLA's own fused loop); a larger one as one broadcast product
per contracted position, added up (:func:`_unrolled_contract`). XLA:CPU hands large reduce
fusions to a library kernel (YNNPACK) that is many times slower on such short contracted
axes (it made the Encoder's per-example Jacobian at B = 512 1.8x slower than
``vmap(jacrev)``), while the unrolled form of small products fuses into loops that are
slower than one reduce. Both forms perform the same multiplications."""


def _place(x: Array, labels: tuple[int, ...], union: tuple[int, ...], shape: Shape) -> Array:
    """Broadcast ``x`` (axes ``labels``, a subset of ``union``) to the layout ``union``."""
    order = sorted(range(len(labels)), key=lambda a: union.index(labels[a]))
    if order != list(range(len(labels))):
        x = jnp.transpose(x, order)
    return lax.broadcast_in_dim(x, shape, tuple(sorted(union.index(l) for l in labels)))


def _take(x: Array, labels: tuple[int, ...], at: dict[int, int]) -> tuple[Array, tuple[int, ...]]:
    """``x`` at the fixed positions ``at`` (label -> index) of some of its axes; those axes dropped."""
    axes = [ax for ax, label in enumerate(labels) if label in at]
    if not axes:
        return x, labels
    starts = [at.get(label, 0) for label in labels]
    limits = [at[label] + 1 if label in at else n for label, n in zip(labels, x.shape)]
    x = lax.squeeze(lax.slice(x, starts, limits), axes)
    return x, tuple(label for label in labels if label not in at)


def _unrolled_contract(
    a: tuple[Array, tuple[int, ...]],
    b: tuple[Array, tuple[int, ...]],
    out_labels: tuple[int, ...],
    contract: tuple[int, ...],
    sizes: dict[int, int],
) -> Array:
    """``sum_contract a * b`` as one broadcast product per contracted position, added up.

    Elementwise only (static slices of the operands, broadcasts, multiplies, adds): XLA
    fuses it into loops and calls no library reduce kernel.
    """
    shape = tuple(sizes[label] for label in out_labels)
    total = None
    for index in itertools.product(*(range(sizes[label]) for label in contract)):
        at = dict(zip(contract, index))
        x, y = (_place(*_take(v, labels, at), out_labels, shape) for v, labels in (a, b))
        total = x * y if total is None else total + x * y
    return total


def _broadcast_contract(
    a: tuple[Array, tuple[int, ...]],
    b: tuple[Array, tuple[int, ...]],
    out_labels: tuple[int, ...],
    contract: tuple[int, ...],
    sizes: dict[int, int],
) -> Array:
    """``sum_contract a * b`` for a small contraction, without ``dot_general``.

    One broadcast product on ``out_labels + contract`` summed with ``reduce`` when it has
    fewer than :data:`REDUCE_MAX_ELEMENTS` elements, else :func:`_unrolled_contract`.
    """
    union = out_labels + contract
    shape = tuple(sizes[label] for label in union)
    if contract and math.prod(shape) >= REDUCE_MAX_ELEMENTS:
        return _unrolled_contract(a, b, out_labels, contract, sizes)
    x, y = (_place(v, labels, union, shape) for v, labels in (a, b))
    product = x * y
    return jnp.sum(product, axis=tuple(range(len(out_labels), len(union)))) if contract else product


def _contract(operands: list[tuple[Array, tuple[int, ...]]], out_labels: tuple[int, ...]) -> Array:
    """Einsum of one or two labelled operands, written with ``lax.dot_general`` (cheap to trace)."""
    out_set = set(out_labels)
    if len(operands) == 1:
        x, labels = operands[0]
        x, labels = _reduce_to(x, tuple(labels), out_set)
        return jnp.transpose(x, [labels.index(label) for label in out_labels])
    if len(operands) != 2:
        args = []
        for array, labels in operands:
            args += [array, list(labels)]
        return jnp.einsum(*args, list(out_labels))
    (a, la), (b, lb) = operands
    la, lb = tuple(la), tuple(lb)
    a, la = _reduce_to(a, la, out_set | set(lb))
    b, lb = _reduce_to(b, lb, out_set | set(la))
    shared = [label for label in la if label in lb]
    batch = [label for label in shared if label in out_set]
    contract = [label for label in shared if label not in out_set]
    dtype = jnp.result_type(a, b)
    a, b = a.astype(dtype), b.astype(dtype)
    sizes = dict(zip(la, a.shape))
    sizes.update(zip(lb, b.shape))
    if math.prod(sizes[l] for l in contract) <= SMALL_CONTRACTION:
        return _broadcast_contract((a, la), (b, lb), tuple(out_labels), tuple(contract), sizes)
    dims = (
        (tuple(la.index(l) for l in contract), tuple(lb.index(l) for l in contract)),
        (tuple(la.index(l) for l in batch), tuple(lb.index(l) for l in batch)),
    )
    c = lax.dot_general(a, b, dims)
    lc = tuple(batch) + tuple(l for l in la if l not in lb) + tuple(l for l in lb if l not in la)
    return jnp.transpose(c, [lc.index(label) for label in out_labels])


def matmul(a: STensor, b: STensor, convention: str = "structured") -> tuple[STensor, int]:
    """Chain-rule product ``a . b`` (``a: k -> j``, ``b: i -> k``) and its multiplication count.

    Follows :func:`product_plan`: pre-reduces each factor to ``plan.a_kept`` /
    ``plan.b_kept``, multiplies the constant ``plan.scale`` into ``plan.scale_on`` and
    contracts; so the multiplications emitted are ``plan.cost`` (tested against the
    measured :func:`spikead.ad.executed_count`). The returned count is ``plan``'s count
    under ``convention``.
    """
    plan = product_plan(a.structure, b.structure)
    count = plan.cost_in(convention)
    if plan.c_labels is None:
        return STensor(None, plan.result), count
    dtype = jnp.result_type(*(t.val for t in (a, b) if t.val is not None), float)
    if plan.p_labels is None:  # both factors are index maps or identities: only the mask
        val = _masked(jnp.ones((), dtype), (), plan)
        return STensor(val, plan.result), count
    factors = {}
    b_val = b.val
    if b_val is not None:
        for label, src in plan.b_gather:
            b_val = _gather(b_val, plan.b_labels.index(label), src)
    for role, val, labels, kept in (
        ("a", a.val, plan.a_labels, plan.a_kept),
        ("b", b_val, plan.b_labels, plan.b_kept),
    ):
        if labels is not None:
            factors[role] = _reduce_to(val, labels, set(kept))
    if not factors:  # both factors constant along every summed index: the result is the constant
        val = jnp.full((), plan.scale, dtype)
        return STensor(_masked(val, (), plan), plan.result), count
    if plan.scale_on in factors:
        x, labels = factors[plan.scale_on]
        factors[plan.scale_on] = (x * plan.scale, labels)
    val = _contract(list(factors.values()), plan.p_labels)
    if plan.scale_on == "c":
        val = val * plan.scale
    return STensor(_masked(val, plan.p_labels, plan), plan.result), count


def _gather(x: Array, axis: int, src: tuple[int, ...]) -> Array:
    """``x`` re-indexed along ``axis``: position ``o`` takes ``x[src[o]]`` (0 where ``-1``).

    A gather and a select: no multiplications."""
    idx = np.asarray(src)
    taken = jnp.take(x, np.maximum(idx, 0), axis=axis)
    return taken if np.all(idx >= 0) else _zero_outside(taken, axis, idx >= 0)


def _zero_outside(x: Array, axis: int, keep) -> Array:
    """``x`` with the positions along ``axis`` where ``keep`` is False set to 0 (a select)."""
    mask = np.asarray(keep).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    return jnp.where(mask, x, jnp.zeros((), x.dtype))


def _masked(val: Array, labels: tuple[int, ...], plan) -> Array:
    """The product ``val`` (axes ``labels``) moved to the result's index space along the
    scattered labels and zeroed where a partial index map leaves no entry (``plan``'s
    ``c_scatter`` and ``c_mask``); laid out on ``plan.c_labels``."""
    for label, inv in plan.c_scatter:
        if label in labels:
            val = _gather(val, labels.index(label), inv)
    if not plan.c_mask:
        return val
    sizes = dict(zip(plan.c_labels, plan.result.val_shape))
    shape = tuple(sizes[label] for label in plan.c_labels)
    val = _place(val, labels, plan.c_labels, shape)
    for label, keep in plan.c_mask:
        val = _zero_outside(val, plan.c_labels.index(label), keep)
    return val


def _expand(
    val: Array | None,
    val_dims: tuple[int, ...],
    out_dims: tuple[int, ...],
    out_shape: Shape,
    deltas: list[tuple],
    dtype,
) -> Array:
    """Values on labels ``val_dims`` laid out on labels ``out_dims``, times Kronecker deltas.

    ``val`` (None: ones) is broadcast along the labels of ``out_dims`` it lacks (no copy
    until the write), and every ``(l1, l2)`` in ``deltas`` zeroes the entries off the
    diagonal of those two labels with one fused select (``(l1, l2, index_map)``: off the
    map's entries ``l2 == map.src[l1]``): no identity matrix is built and nothing is
    multiplied.
    """
    if val is None:
        x = jnp.ones(out_shape, dtype)
    else:
        x = lax.broadcast_in_dim(
            val.astype(dtype), out_shape, tuple(out_dims.index(l) for l in val_dims)
        )
    if not deltas:
        return x
    mask = None
    for l1, l2, *index_map in deltas:
        a1, a2 = out_dims.index(l1), out_dims.index(l2)
        if index_map and index_map[0] is not None:
            eq = lax.broadcast_in_dim(jnp.asarray(index_map[0].matrix()), out_shape, (a1, a2))
        else:
            eq = lax.broadcasted_iota(jnp.int32, out_shape, a1) == lax.broadcasted_iota(
                jnp.int32, out_shape, a2
            )
        mask = eq if mask is None else mask & eq
    return jnp.where(mask, x, jnp.zeros((), dtype))


def broaden(t: STensor, target: Structure) -> STensor:
    """Re-express ``t`` in a broader structure (drop pairs, add value dims); no change in J."""
    s = t.structure
    if s == target:
        return t
    if not broadens_to(s, target):
        raise ValueError(f"structure {s} cannot be broadened to {target}")
    if target.val_dims is None:
        return STensor(None, target)
    p = len(s.out_shape)
    deltas = [
        (ps, p + q, s.map_of(q))
        for q, (ps, pt) in enumerate(zip(s.pair, target.pair))
        if ps is not None and pt is None
    ]
    dtype = jnp.float32 if t.val is None else t.val.dtype
    if t.val is None and not deltas:
        val = jnp.ones(target.val_shape, dtype)
    else:
        # s labels keep their numbers in target's canonical space
        val = _expand(
            t.val, tuple(s.val_dims or ()), tuple(target.val_dims), target.val_shape, deltas, dtype
        )
    return STensor(val, target)


def batch_diagonal(t: STensor) -> Array:
    """The per-example blocks ``C[b, o..., i...] = J[b, o..., b, i...]`` of a batched partial.

    ``t`` maps a source of shape ``(B, *I)`` to a target of shape ``(B, *O)``; the result has
    shape ``(B, *O, *I)``. When the batch dims are Kronecker-paired (the graph of a
    ``vmap``-ed function) or both constant, only the stored values are broadcast; otherwise
    the dense tensor is built and its diagonal taken.
    """
    s = t.structure
    if not s.out_shape or not s.in_shape or s.out_shape[0] != s.in_shape[0]:
        raise ValueError(
            f"batch_diagonal expects leading batch dims of equal size, got {s.out_shape} <- {s.in_shape}"
        )
    p = len(s.out_shape)
    rest_pair = s.pair[1:]
    relabel = lambda label: label if label < p else (0 if label == p else label - 1)
    vals = tuple(s.val_dims or ())
    if (s.pair[0] == 0 and s.map_of(0) is None) or (
        s.pair[0] is None and 0 not in rest_pair and not (0 in vals and p in vals)
    ):
        val_dims = None if s.val_dims is None else tuple(relabel(label) for label in vals)
        val = t.val
        if (
            val_dims is not None
            and len(set(val_dims)) == len(val_dims)
            and tuple(sorted(val_dims)) != val_dims
        ):
            order = sorted(range(len(val_dims)), key=lambda a: val_dims[a])
            val, val_dims = jnp.transpose(val, order), tuple(val_dims[a] for a in order)
        compact = Structure(s.out_shape, s.in_shape[1:], rest_pair, val_dims, s.maps[1:])
        return to_dense(STensor(val, compact))
    dense_ = to_dense(t)
    moved = jnp.moveaxis(dense_, p, 1)
    idx = jnp.arange(s.out_shape[0])
    return moved[idx, idx]


def add(a: STensor, b: STensor) -> STensor:
    """Sum of two partials of the same shapes; keeps the common structure (not counted)."""
    target = sum_structure(a.structure, b.structure)
    return STensor(_value(broaden(a, target)) + _value(broaden(b, target)), target)


def _value(t: STensor) -> Array:
    return jnp.ones(t.structure.val_shape) if t.val is None else t.val


def scale(t: STensor, factor: float | Array) -> STensor:
    """Element-wise scaling of the target side: ``factor[o] * J[o, i]``.

    ``factor`` is a scalar (every entry scaled, no new value dims) or an array of shape
    ``t.out_shape`` (a left product with a diagonal; adds value dims only where needed).
    """
    factor = jnp.asarray(factor)
    s = t.structure
    if factor.ndim == 0:
        if t.val is None:
            return STensor(factor, Structure(s.out_shape, s.in_shape, s.pair, (), s.maps))
        return STensor(t.val * factor, s)
    if tuple(factor.shape) != s.out_shape:
        raise ValueError(
            f"scale expects a scalar or an array of the output shape {s.out_shape}, got {factor.shape}"
        )
    return matmul(diagonal(factor), t)[0]


def to_dense(t: STensor) -> Array:
    """Materialise ``J`` with shape ``out_shape + in_shape`` (one fused broadcast-and-select)."""
    s = t.structure
    p = len(s.out_shape)
    shape = s.out_shape + s.in_shape
    deltas = [(ps, p + q, s.map_of(q)) for q, ps in enumerate(s.pair) if ps is not None]
    dtype = jnp.float32 if t.val is None else t.val.dtype
    # dense layout: out dim d has label d, in dim q has label p + q; values keep their labels
    return _expand(t.val, tuple(s.val_dims or ()), tuple(range(len(shape))), shape, deltas, dtype)
