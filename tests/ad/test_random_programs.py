"""Property test: seeded random programs over the supported primitives, jacve vs jacrev,
and symbolic cost == executed count for random orders."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from .helpers import check_all_orders

# every op maps (2, 3) arrays to a (2, 3) array
UNARY_OPS = {
    "sin": jnp.sin, "tanh": jnp.tanh, "exp_tanh": lambda a: jnp.exp(jnp.tanh(a)),
    "logistic": jax.nn.sigmoid, "soft_sqrt": lambda a: jnp.sqrt(1.0 + a * a),
    "scale": lambda a: 0.7 * a - 0.1, "square": lambda a: a**2,
    "sum_bcast": lambda a: jnp.sum(a, axis=0, keepdims=True) * jnp.ones((2, 3)),
    "max_bcast": lambda a: a - jnp.max(a, axis=1, keepdims=True),
    "transpose_reshape": lambda a: a.T.reshape(2, 3),
    "roll": lambda a: jnp.concatenate([a[:, 1:], a[:, :1]], axis=1),
    "flip_pad": lambda a: jnp.pad(jnp.flip(a, 0)[:, :2], ((0, 0), (1, 0))),
    "softmax": lambda a: jax.nn.softmax(a, axis=1),
    "cumsum": lambda a: jnp.cumsum(a, axis=1),
}
BINARY_OPS = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply,
    "safe_div": lambda a, b: a / (1.0 + b * b),
    "matmul": lambda a, b: (a @ b.T) @ a * 0.3,
    "where": lambda a, b: jnp.where(a > b, a, b * 0.5),
    "maximum": jnp.maximum,
    "stack_sum": lambda a, b: jnp.stack([a, b]).sum(0),
}


def random_program(seed: int, n_ops: int = 10):
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
        return tuple(pool[-n_out:])

    return program, steps


def _inputs(seed):
    key = jax.random.PRNGKey(seed)
    kx, ky = jax.random.split(key)
    return jax.random.normal(kx, (2, 3)), jax.random.normal(ky, (2, 3))


@pytest.mark.parametrize("seed", range(3))
def test_random_programs(seed):
    program, steps = random_program(seed)
    graph, _costs = check_all_orders(program, *_inputs(seed), argnums=(0, 1), n_random=2, seed=seed, rtol=1e-4, atol=1e-5)
    assert len(graph.eliminable) > 0, steps


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 15))
def test_random_programs_more(seed):
    program, _steps = random_program(seed, n_ops=14)
    check_all_orders(program, *_inputs(seed), argnums=(0, 1), n_random=3, seed=seed, rtol=1e-4, atol=1e-5)
