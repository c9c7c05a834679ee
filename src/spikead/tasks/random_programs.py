"""The two "randomly generated" programs of the AlphaGrad paper, rebuilt.

The paper's f and g came from a random program generator whose output cannot be
reproduced. These are fixed, readable straight-line programs of the same interface and
character (same input and output shapes, similar number of jaxpr equations, the same
kinds of operations). They were composed once, by hand, with random choices of
operations, and are frozen here: nothing is generated at import or call time.

Every operation is safe on the whole real line for the example inputs' neighbourhood:
logs and roots act on values kept positive (1 + x^2, exp(.)), divisions by 1 + x^2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._registry import Task

__all__ = ["f", "f_task", "g", "g_task"]


def f(a: jax.Array, b: jax.Array, c: jax.Array, d: jax.Array):
    """Tensor program: a (4,), b (2, 3), c (4, 4), d (4, 1) -> (y1 (4, 4), y2 (2, 3), y3 (2,)).

    24 output scalars from 30 inputs; uses dot_general, reshape, transpose, sum/max
    reductions, broadcasting and exp, log, sin, cos, tanh, logistic.
    """
    v0 = jnp.sin(a)  # (4,)
    v1 = c @ v0  # (4,)
    v2 = jnp.tanh(v1 + a)  # (4,)
    v3 = jnp.exp(-0.5 * c * c)  # (4, 4)
    v4 = v3 * d  # (4, 4), d broadcast over columns
    v5 = jnp.log(1.0 + v4 * v4)  # (4, 4)
    v6 = v5 @ c.T  # (4, 4)
    v7 = jnp.max(v6, axis=1)  # (4,)
    v8 = jnp.reshape(v7 * v2, (2, 2))  # (2, 2)
    v9 = v8 @ b  # (2, 3)
    v10 = jnp.cos(v9) * b  # (2, 3)
    v11 = jnp.sum(v10, axis=0)  # (3,)
    v12 = jax.nn.sigmoid(v11)  # (3,)
    v13 = jnp.reshape(b, (3, 2)) * d[:3]  # (3, 2)
    v14 = v12 @ v13  # (2,)
    v15 = jnp.sum(v4, axis=0) - v2  # (4,)
    v16 = v2[:, None] * v15[None, :]  # (4, 4) outer product by broadcasting
    v17 = jnp.sin(v16) + v6 / (1.0 + v5)  # (4, 4)
    v18 = v17.T @ v0  # (4,)
    v19 = jnp.exp(-v18 * v18)  # (4,)
    v20 = jnp.sum(v16 * c, axis=1)  # (4,)
    v21 = jnp.sin(v20) * v19  # (4,)
    v22 = jnp.reshape(v21, (2, 2)) @ v8  # (2, 2)
    v23 = jnp.log(1.0 + v22 * v22)  # (2, 2)
    v24 = jnp.tanh(jnp.max(v23, axis=0))  # (2,)
    v25 = v23 @ b - jnp.cos(v10)  # (2, 3)
    y1 = v17 * jnp.exp(-(d * d)) + v21[:, None]  # (4, 4)
    y2 = v10 / (1.0 + v9 * v9) + jnp.tanh(v14)[:, None] * v25  # (2, 3)
    y3 = jnp.log(1.0 + jnp.exp(v14)) * jnp.max(v17) + v24  # (2,)
    return y1, y2, y3


def g(*x: jax.Array):
    """Scalar program: 15 inputs of shape (1, 1) -> tuple of 20 outputs of shape (1, 1).

    Uses atan2, pow, integer_pow, sqrt, exp, log, sin, cos, tanh, div.
    """
    x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14 = x
    v0 = jnp.arctan2(x0, x1)
    v1 = x2 * x3 + v0
    v2 = jnp.sqrt(1.0 + x4 * x4)
    v3 = jnp.exp(-v1 * v1)
    v4 = jnp.log(v2 + x5 * x5)
    v5 = jnp.sin(x6) * jnp.cos(x7)
    v6 = (x8 - v5) / v2
    v7 = jnp.power(v2, x9)
    v8 = v6**3 - v4
    v9 = jnp.arctan2(v8, v7)
    v10 = jnp.tanh(x10 * v3)
    v11 = x11 / (1.0 + v10 * v10)
    v12 = jnp.exp(v11) * x12
    v13 = jnp.cos(v12 + v9)
    v14 = jnp.sqrt(v3 + x13 * x13)
    v15 = v14 * v13 - x14
    v16 = jnp.log(1.0 + v15 * v15)
    v17 = v16 / v14
    v18 = jnp.sin(v17 * v0)
    v19 = v18**2 + v7
    v20 = jnp.arctan2(v15, v11 + x3)
    v21 = jnp.power(1.0 + v16, v5)
    v22 = (v20 - v21) / (1.0 + x2 * x2)
    v23 = jnp.exp(jnp.sin(v22) * x7)
    v24 = jnp.log(v23 + v14)
    v25 = v24**4 * jnp.cos(x8 + v1)
    v26 = jnp.sqrt(v23 * v2) - v25
    v27 = jnp.tanh(v26 / v7)
    return (
        v0 * x14,
        v1 + v27,
        v4 - x0,
        v5 * v6,
        v7 * v22,
        v8 + v3,
        v9,
        v10 * v2,
        v11 - v24,
        v12 - v13,
        v13 * v14,
        v15 * v20,
        v16 + x1,
        v17,
        v18 + v26,
        v19,
        jnp.arctan2(v19, v2),
        jnp.power(v14, v10),
        v3 * v12,
        jnp.exp(-v17 * v17) * v6,
    )


def f_task() -> Task:
    """f: a (4,), b (2, 3), c (4, 4), d (4, 1) -> 24 scalars in three arrays."""
    rng = np.random.default_rng(1)
    shapes = ((4,), (2, 3), (4, 4), (4, 1))
    args = tuple(jnp.asarray(rng.uniform(-1.0, 1.0, s).astype(np.float32)) for s in shapes)
    return Task(
        name="f",
        fn=f,
        args=args,
        argnums=(0, 1, 2, 3),
        description="fixed tensor program in the style of a random one: a (4,), b (2,3), "
        "c (4,4), d (4,1) -> y1 (4,4), y2 (2,3), y3 (2,)",
        paper=PAPER["f"],
    )


def g_task() -> Task:
    """g: 15 inputs (1, 1) -> 20 outputs (1, 1)."""
    rng = np.random.default_rng(2)
    values = rng.uniform(0.2, 1.2, 15).astype(np.float32)
    return Task(
        name="g",
        fn=g,
        args=tuple(jnp.asarray(v.reshape(1, 1)) for v in values),
        argnums=tuple(range(15)),
        description="fixed scalar program in the style of a random one: 15 inputs (1,1) "
        "-> 20 outputs (1,1)",
        paper=PAPER["g"],
    )
