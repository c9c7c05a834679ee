"""Property tests: seeded random programs over scalars to rank-3 arrays, jacve vs jacrev at
1e-6 relative in float64 for the forward, reverse, Markowitz and random orders, and the
symbolic cost equal to the executor's count for each order.

Two program sources: a pool of shape-preserving ops written here (index maps, custom
rules, integer powers, reductions broadcast back, contractions) and the seeded generator
of spikead.tasks (the paper's f / g families: contractions, reshapes, broadcasts)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from spikead.snn import FastSigmoid
from spikead.tasks._program_generator import DEFAULT_OPS, generate_program

from .helpers import check_all_orders

RTOL, ATOL = 1e-6, 1e-10

# shapes of the values of a pool program: one per seed, scalars to rank 3, size-1 axes too
SHAPES = [(), (4,), (2, 3), (3, 1, 2), (2, 2, 3), (1, 3)]


@jax.custom_jvp
def _centred_sin(a):
    return jnp.sin(a)


@_centred_sin.defjvp
def _centred_sin_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    return jnp.sin(a), jnp.cos(a) * (da - jnp.mean(da))  # couples all elements


def _last(a, fn, otherwise):
    """``fn(a)`` along the last axis when it has size > 1, else ``otherwise(a)``."""
    return fn(a) if a.ndim and a.shape[-1] > 1 else otherwise(a)


def _first(a, fn, otherwise):
    return fn(a) if a.ndim and a.shape[0] > 1 else otherwise(a)


def _mix(a, b):
    """Contract every axis but the first of a with b's, then back onto a: a's shape."""
    if a.ndim == 0:
        return 0.3 * a * b
    axes = list(range(1, a.ndim))
    return 0.3 * jnp.tensordot(jnp.tensordot(a, b, axes=(axes, axes)), a, axes=1)


_SURROGATE = FastSigmoid()

# every op maps arrays of one shape to an array of that shape
UNARY_OPS = {
    "sin": jnp.sin,
    "tanh": jnp.tanh,
    "exp_tanh": lambda a: jnp.exp(jnp.tanh(a)),
    "logistic": jax.nn.sigmoid,
    "soft_sqrt": lambda a: jnp.sqrt(1.0 + a * a),
    "scale": lambda a: 0.7 * a - 0.1,
    "powers": lambda a: (
        lax.integer_pow(a, 3) - 0.5 * a**0 + lax.integer_pow(1.0 + a * a, -2) + a**1
    ),
    "sum_bcast": lambda a: _first(
        a, lambda a: jnp.broadcast_to(jnp.sum(a, 0, keepdims=True), a.shape), jnp.cos
    ),
    "max_bcast": lambda a: _last(a, lambda a: a - jnp.max(a, -1, keepdims=True), jnp.cos),
    "transpose_reshape": lambda a: jnp.transpose(a).reshape(a.shape),
    "roll": lambda a: _last(a, lambda a: jnp.concatenate([a[..., 1:], a[..., :1]], -1), jnp.sin),
    "flip_pad": lambda a: _first(
        a, lambda a: jnp.pad(jnp.flip(a, 0)[:-1], ((1, 0),) + ((0, 0),) * (a.ndim - 1)), jnp.tanh
    ),
    "gather": lambda a: _last(
        a, lambda a: jnp.take(a, jnp.arange(a.shape[-1])[::-1], -1) * a, jnp.exp
    ),
    "update_slice": lambda a: _first(
        a, lambda a: lax.dynamic_update_slice_in_dim(a, 2.0 * a[:1], 1, 0), jnp.sin
    ),
    "softmax": lambda a: _last(a, lambda a: jax.nn.softmax(a, axis=-1), jax.nn.sigmoid),
    "cumsum": lambda a: _first(a, lambda a: jnp.cumsum(a, axis=0), jnp.tanh),
    "relu": lambda a: jax.nn.relu(a) + 0.1 * a,
    "surrogate_spike": lambda a: _SURROGATE(a) * a + a,
    "centred_rule": _centred_sin,
}
BINARY_OPS = {
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "safe_div": lambda a, b: a / (1.0 + b * b),
    "mix": _mix,
    "where": lambda a, b: jnp.where(a > b, a, b * 0.5),
    "maximum": jnp.maximum,
    "stack_sum": lambda a, b: jnp.stack([a, b]).sum(0),
    "scalar_times": lambda a, b: a * jnp.sum(b),  # a rank-0 vertex broadcast
}


def random_program(seed: int, n_ops: int = 8):
    """A seeded straight-line program of two same-shape inputs and 1 to 3 outputs; returns
    it and its steps."""
    rng = np.random.default_rng(seed)
    steps = []
    for k in range(n_ops):
        n_avail = 2 + k
        if rng.random() < 0.55:
            name = str(rng.choice(sorted(UNARY_OPS)))
            steps.append((name, (int(rng.integers(n_avail)),)))
        else:
            name = str(rng.choice(sorted(BINARY_OPS)))
            steps.append((name, (int(rng.integers(n_avail)), int(rng.integers(n_avail)))))
    n_out = int(rng.integers(1, 4))

    def program(x, y):
        pool = [x, y]
        for name, operands in steps:
            op = UNARY_OPS.get(name) or BINARY_OPS[name]
            pool.append(op(*[pool[i] for i in operands]))
        # the last values, plus the sum of all computed ones (every step reaches an output)
        return tuple(pool[len(pool) - n_out + 1 :]) + (sum(pool[2:]),)

    return program, steps


def _inputs(seed, *shapes):
    keys = jax.random.split(jax.random.key(seed), len(shapes))
    return [jax.random.normal(k, s, jnp.float64) for k, s in zip(keys, shapes)]


@pytest.mark.parametrize("seed", range(6))
def test_random_programs(x64, seed):
    shape = SHAPES[seed % len(SHAPES)]
    program, steps = random_program(seed)
    graph, _costs = check_all_orders(
        program,
        *_inputs(seed, shape, shape),
        argnums=(0, 1),
        n_random=2,
        seed=seed,
        rtol=RTOL,
        atol=ATOL,
    )
    assert len(graph.eliminable) > 0, steps


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6, 18))
def test_random_programs_more(x64, seed):
    shape = SHAPES[seed % len(SHAPES)]
    program, _steps = random_program(seed, n_ops=14)
    check_all_orders(
        program,
        *_inputs(seed, shape, shape),
        argnums=(0, 1),
        n_random=3,
        seed=seed,
        rtol=RTOL,
        atol=ATOL,
    )


# (input shapes, output shapes) of generated programs: mixed ranks 0 to 3 in one program
GENERATED = [
    (((3,), (2, 3)), ((2,),)),
    (((), (2, 2)), ((2, 2), ())),
    (((2, 3, 2),), ((3,), (2, 2))),
    (((4,), (2, 2, 2)), ((2, 4),)),
]


@pytest.mark.parametrize("seed", range(len(GENERATED)))
def test_generated_programs(x64, seed):
    ins, outs = GENERATED[seed]
    program = generate_program(seed, ins, outs, n_ops=8, ops=DEFAULT_OPS)
    args = _inputs(seed, *ins)
    graph, _costs = check_all_orders(
        program, *args, argnums=tuple(range(len(ins))), n_random=2, seed=seed, rtol=RTOL, atol=ATOL
    )
    assert len(graph.eliminable) > 0, str(program)
