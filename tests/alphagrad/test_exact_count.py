"""Exact counts on uint32 limbs against Python integers, with x64 off and on."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.alphagrad import _count

X64 = [pytest.param(False, id="x32"), pytest.param(True, id="x64")]


def _mode(x64: bool):
    return jax.enable_x64(x64)  # jax 0.10: jax.experimental.enable_x64 moved here


def _ints(rng, n, bits):
    """``n`` Python ints below ``2**bits`` spread over magnitudes (and the edges)."""
    out = [0, 1, (1 << bits) - 1, 1 << (bits - 1)]
    out += [int(rng.integers(0, 1 << 16)) << int(rng.integers(0, bits - 15)) for _ in range(n)]
    return [min(v, (1 << bits) - 1) for v in out]


def _counts(values):
    return jnp.asarray(np.stack([_count.from_int(v) for v in values]))


@pytest.mark.parametrize("x64", X64)
def test_add_mul_sum_product_are_exact(x64):
    rng = np.random.default_rng(0)
    with _mode(x64):
        a, b = _ints(rng, 60, 32), _ints(rng, 60, 31)
        ca, cb = _counts(a), _counts(b)
        assert _count.exact(jax.jit(_count.mul)(ca, cb)).tolist() == [x * y for x, y in zip(a, b)]
        big = _ints(rng, 60, 62)
        cbig = _counts(big)
        got = _count.exact(jax.jit(_count.add)(cbig, _counts(big[::-1])))
        assert got.tolist() == [x + y for x, y in zip(big, big[::-1])]
        assert _count.to_int(jax.jit(_count.sum)(_counts(a))) == sum(a)
        sizes = rng.integers(0, 1 << 12, (40, 5)).astype(np.int32)
        mask = rng.random((40, 5)) < 0.7
        expected = [
            int(np.prod([int(s) for s, m in zip(row, ms) if m], dtype=object))
            for row, ms in zip(sizes, mask)
        ]
        got = _count.exact(jax.jit(_count.product)(jnp.asarray(sizes), jnp.asarray(mask)))
        assert got.tolist() == expected
        assert got.dtype == np.int64 and _count.zeros().dtype == jnp.uint32


def test_sum_of_many_terms_uses_chunks():
    n = _count._MAX_TERMS + 5
    values = jnp.full((n,), (1 << 31) - 1, jnp.uint32)
    assert _count.to_int(_count.sum(_count.from_small(values))) == n * ((1 << 31) - 1)


def test_overflow_is_flagged_not_wrapped():
    top = _counts([(1 << 64) - 1, (1 << 63) - 1])
    over = _count.add(top, _count.from_small(jnp.ones(2, jnp.uint32)))
    assert np.asarray(over)[:, _count.FLAG].tolist() == [1, 0]
    with pytest.raises(_count.CountOverflowError, match="overflowed"):
        _count.exact(over)
    with pytest.raises(_count.CountOverflowError, match="beyond int64"):
        _count.exact(_counts([1 << 63]))
    squared = _count.mul(_counts([1 << 40]), _counts([1 << 30]))
    assert int(np.asarray(squared)[0, _count.FLAG]) == 1
    assert _count.to_int(_count.mul(over[:1], _count.zeros((1,)))[0]) == 0  # x * 0 is exact
    assert float(_count.to_float(over[0])) == np.inf
    with pytest.raises(_count.CountOverflowError):
        _count.from_int(1 << 64)


@pytest.mark.parametrize("x64", X64)
def test_to_float_is_monotone_and_close(x64):
    rng = np.random.default_rng(1)
    with _mode(x64):
        values = sorted(_ints(rng, 200, 63) + [(1 << 24) + 1, 1 << 24, (1 << 40) + 12345])
        floats = np.asarray(jax.jit(_count.to_float)(_counts(values)))
        assert floats.dtype == np.float32
        assert np.all(np.diff(floats) >= 0)  # never inverts an order
        exact = np.asarray(values, dtype=np.float64)
        assert np.all(floats <= exact)  # rounds towards zero
        assert np.all(exact - floats <= exact * 2.0**-23)
        small = [v for v in values if v < 1 << 24]
        assert np.asarray(_count.to_float(_counts(small))).tolist() == [float(v) for v in small]


def test_less_and_minimum_agree_with_python_ints():
    rng = np.random.default_rng(3)
    values = [0, 1, 2**16 - 1, 2**16, 2**32 + 5, 2**48 - 1, 2**63] + [
        int(rng.integers(0, 2**62)) >> int(rng.integers(0, 60)) for _ in range(40)
    ]
    a = jnp.asarray(np.stack([_count.from_int(v) for v in values]))
    b = a[::-1]
    less = np.asarray(_count.less(a, b))
    low = _count.exact(_count.minimum(a, b))
    for i, (x, y) in enumerate(zip(values, values[::-1])):
        assert bool(less[i]) == (x < y)
        assert int(low[i]) == min(x, y)
    overflowed = _count.mul(jnp.asarray(_count.from_int(2**63)), jnp.asarray(_count.from_int(4)))
    assert not bool(
        _count.less(overflowed, jnp.asarray(_count.from_int(2**63)))
    )  # overflow is above all
