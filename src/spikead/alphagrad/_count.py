"""Exact multiplication counts as small fixed-width integers in ``uint32`` arrays.

A *count* is a non-negative integer stored along a trailing axis of length
:data:`WIDTH` (``uint32``): entries ``0..LIMBS-1`` are base-``2**16`` limbs, least
significant first, and entry ``LIMBS`` is an overflow flag (non-zero once a true value
reached ``2**64``). Every limb stays below ``2**16``, so products of two limbs and sums
of many limbs fit in ``uint32`` without wrapping, whatever ``jax_enable_x64`` says:
the arithmetic is exact up to ``2**64 - 1`` and never wraps silently beyond.

Under ``jit`` / ``vmap``: :func:`zeros`, :func:`from_small`, :func:`add`, :func:`sum`,
:func:`mul`, :func:`product`, :func:`less`, :func:`minimum`, :func:`where`, :func:`to_float` (an order-preserving
``float32`` for rewards and rankings). On the host: :func:`exact` (an ``int64`` NumPy
array, raising :class:`CountOverflowError` beyond ``int64``) and :func:`from_int`.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import Array, lax

LIMB_BITS = 16
LIMBS = 4  # value capacity 2**64 - 1
WIDTH = LIMBS + 1  # + the overflow flag
FLAG = LIMBS  # index of the overflow flag
_MASK = (1 << LIMB_BITS) - 1
_MAX_TERMS = 1 << 15  # :func:`sum` adds at most this many counts per pass


class CountOverflowError(OverflowError):
    """An exact count does not fit the requested integer type."""


# ------------------------------------------------------------------ building
def zeros(shape: tuple[int, ...] = ()) -> Array:
    """Counts equal to 0, shape ``shape + (WIDTH,)``."""
    return jnp.zeros(tuple(shape) + (WIDTH,), jnp.uint32)


def from_small(x) -> Array:
    """Counts of non-negative integers ``x`` below ``2**32`` (any integer dtype): ``[..., WIDTH]``."""
    x = jnp.asarray(x).astype(jnp.uint32)
    limbs = [x & _MASK, x >> LIMB_BITS] + [jnp.zeros_like(x)] * (WIDTH - 2)
    return jnp.stack(limbs, axis=-1)


def from_int(n: int) -> np.ndarray:
    """The count of a Python integer ``0 <= n < 2**64`` (host array ``[WIDTH]``)."""
    n = int(n)
    if not 0 <= n < 1 << (LIMB_BITS * LIMBS):
        raise CountOverflowError(f"{n} is outside the exact count range 0..2**64-1")
    return np.array([(n >> (LIMB_BITS * i)) & _MASK for i in range(LIMBS)] + [0], np.uint32)


# ---------------------------------------------------------------- arithmetic
def _normalize(cols: list[Array], flag: Array) -> Array:
    """Carry columns (each ``< 2**31``) into 16-bit limbs; any carry past the last value
    limb, any non-zero extra column, or ``flag`` sets the overflow flag."""
    carry = jnp.zeros_like(cols[0])
    out = []
    for c in range(LIMBS):
        t = cols[c] + carry
        out.append(t & _MASK)
        carry = t >> LIMB_BITS
    over = (flag != 0) | (carry != 0)
    for extra in cols[LIMBS:]:
        over = over | (extra != 0)
    return jnp.stack(out + [over.astype(jnp.uint32)], axis=-1)


def add(a: Array, b: Array) -> Array:
    """``a + b`` (broadcasting over leading axes)."""
    s = a + b  # limbs < 2**17, flags < 2
    return _normalize([s[..., i] for i in range(LIMBS)], s[..., FLAG])


def sum(a: Array, axis: int = 0) -> Array:
    """Sum of counts along ``axis`` (a leading axis of ``a``, not the limb axis)."""
    axis = axis % (a.ndim - 1)
    n = a.shape[axis]
    if n > _MAX_TERMS:  # keep column sums below 2**31: add in chunks
        pad = (-n) % _MAX_TERMS
        widths = [(0, 0)] * a.ndim
        widths[axis] = (0, pad)
        a = jnp.pad(a, widths)
        a = a.reshape(a.shape[:axis] + ((n + pad) // _MAX_TERMS, _MAX_TERMS) + a.shape[axis + 1 :])
        return sum(sum(a, axis + 1), axis)
    s = jnp.sum(a, axis=axis, dtype=jnp.uint32)
    return _normalize([s[..., i] for i in range(LIMBS)], s[..., FLAG])


def _is_zero(a: Array) -> Array:
    return jnp.all(a[..., :LIMBS] == 0, axis=-1)


def mul(a: Array, b: Array) -> Array:
    """``a * b`` (schoolbook on 16-bit limbs; broadcasting over leading axes)."""
    return _mul(a, b, LIMBS)


def _mul(a: Array, b: Array, b_limbs: int) -> Array:
    """``a * b`` where only the first ``b_limbs`` limbs of ``b`` may be non-zero."""
    a, b = jnp.broadcast_arrays(a, b)
    cols = [jnp.zeros(a.shape[:-1], jnp.uint32) for _ in range(2 * LIMBS + 1)]
    for i in range(LIMBS):
        for j in range(b_limbs):
            p = a[..., i] * b[..., j]  # < 2**32: exact in uint32
            cols[i + j] = cols[i + j] + (p & _MASK)
            cols[i + j + 1] = cols[i + j + 1] + (p >> LIMB_BITS)
    # an overflowed factor times zero is exactly zero; otherwise the overflow stays
    flag = ((a[..., FLAG] != 0) & ~_is_zero(b)) | ((b[..., FLAG] != 0) & ~_is_zero(a))
    return _normalize(cols, flag)


def product(sizes: Array, mask: Array) -> Array:
    """``prod(sizes[..., k] for k where mask[..., k])`` over the last axis (static length).

    ``sizes``: non-negative integers below ``2**32``; ``mask`` bool, same shape.
    Returns counts ``[..., WIDTH]``.
    """
    sizes = jnp.where(mask, sizes, 1)
    out = from_small(jnp.ones(sizes.shape[:-1], jnp.uint32))
    for k in range(sizes.shape[-1]):
        out = _mul(out, from_small(sizes[..., k]), 2)  # a factor below 2**32: two limbs
    return out


def less(a: Array, b: Array) -> Array:
    """``a < b`` elementwise over counts ``[..., WIDTH]`` (bool ``[...]``); an overflowed
    count compares above every exact one."""
    a, b = jnp.broadcast_arrays(a, b)
    result = jnp.zeros(a.shape[:-1], bool)
    decided = jnp.zeros(a.shape[:-1], bool)
    for i in (FLAG, *range(LIMBS - 1, -1, -1)):  # most significant first
        result = result | (~decided & (a[..., i] < b[..., i]))
        decided = decided | (a[..., i] != b[..., i])
    return result


def minimum(a: Array, b: Array) -> Array:
    """Elementwise ``min(a, b)`` of counts."""
    return where(less(b, a), b, a)


def where(cond: Array, a: Array, b: Array) -> Array:
    """Elementwise choice between counts (``cond`` has the leading shape)."""
    return jnp.where(jnp.asarray(cond)[..., None], a, b)


def to_float(a: Array) -> Array:
    """``float32`` rounding of counts towards zero (``inf`` on overflow).

    Monotone: ``a <= b`` implies ``to_float(a) <= to_float(b)``, so rankings and rewards
    computed from it never invert two exact counts (ties can merge above ``2**24``).
    """
    limbs = a[..., :LIMBS]
    pos = jnp.arange(LIMBS, dtype=jnp.int32)
    top = jnp.max(jnp.where(limbs != 0, pos, 0), axis=-1)  # most significant limb
    hi = jnp.take_along_axis(limbs, top[..., None], -1)[..., 0]
    lo = jnp.take_along_axis(limbs, jnp.maximum(top - 1, 0)[..., None], -1)[..., 0]
    lo = jnp.where(top > 0, lo, 0)
    h = (hi << LIMB_BITS) | lo  # value = h * 2**(16 (top-1))
    drop = jnp.maximum(32 - lax.clz(h).astype(jnp.int32) - 24, 0)  # keep 24 significant bits
    mant = (h >> drop.astype(jnp.uint32)).astype(jnp.float32)  # exact: < 2**24
    value = jnp.ldexp(mant, LIMB_BITS * (top - 1) + drop)
    return jnp.where(a[..., FLAG] != 0, jnp.inf, value)


# ---------------------------------------------------------------------- host
def exact(a) -> np.ndarray:
    """Counts ``[..., WIDTH]`` as an ``int64`` NumPy array ``[...]`` (exact).

    Raises :class:`CountOverflowError` naming the entry when a count overflowed or does
    not fit ``int64``.
    """
    a = np.asarray(a).astype(np.uint64)
    if a.shape[-1:] != (WIDTH,):
        raise ValueError(f"expected counts with a trailing axis of {WIDTH}, got shape {a.shape}")
    value = np.zeros(a.shape[:-1], np.uint64)
    for i in reversed(range(LIMBS)):
        value = (value << np.uint64(LIMB_BITS)) | a[..., i]
    bad = (a[..., FLAG] != 0) | (value >= np.uint64(1 << 63))
    if np.any(bad):
        where_bad = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        what = "overflowed 2**64" if np.any(a[..., FLAG] != 0) else f"is {int(value[bad].flat[0])}"
        raise CountOverflowError(
            f"count at index {where_bad} {what}, beyond int64: the graph's "
            f"multiplications cannot be reported exactly"
        )
    return value.astype(np.int64)


def to_int(a) -> int:
    """One count (``[WIDTH]``) as a Python int (see :func:`exact`)."""
    return int(exact(a))
