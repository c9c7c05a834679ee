"""The two "randomly generated" programs of the AlphaGrad paper, regenerated.

The paper's f and g came from a random program generator whose output cannot be
reproduced. Ours come from this repository's seeded generator (`_program_generator`)
with the paper's input and output shapes and character, and a fixed seed; ``n_ops`` is
chosen so that the jaxpr has about as many equations as the paper's eliminable vertices
(f: 75, g: 85). ``print(F_PROGRAM)`` shows the program.

- f: tensor program (dot_general, reshape, transpose, broadcasting, sum/max reductions,
  sin, cos, tanh, logistic, exp, log); a (4,), b (2, 3), c (4, 4), d (4, 1) ->
  (4, 4), (2, 3), (2,): 30 -> 24 scalars.
- g: scalar program (atan2, pow, integer_pow, sqrt, exp, log, sin, cos, tanh, div);
  15 inputs of shape (1, 1) -> 20 outputs of shape (1, 1).

Both are numerically safe for inputs in [-1, 1] by construction (see the generator).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._program_generator import SCALAR_OPS, TENSOR_OPS, GeneratedProgram, generate_program
from ._registry import Task

__all__ = [
    "F_PROGRAM",
    "G_PROGRAM",
    "GeneratedProgram",
    "f",
    "f_task",
    "g",
    "g_task",
    "generate_program",
]

F_INPUT_SHAPES = ((4,), (2, 3), (4, 4), (4, 1))
F_OUTPUT_SHAPES = ((4, 4), (2, 3), (2,))
F_SEED, F_N_OPS = 0, 44  # 75 jaxpr equations under jax 0.10.2 (paper: 75)

G_INPUT_SHAPES = ((1, 1),) * 15
G_OUTPUT_SHAPES = ((1, 1),) * 20
G_SEED, G_N_OPS = 0, 48  # 86 jaxpr equations under jax 0.10.2 (paper: 85)

F_PROGRAM: GeneratedProgram = generate_program(
    F_SEED, F_INPUT_SHAPES, F_OUTPUT_SHAPES, F_N_OPS, TENSOR_OPS
)
"""The generated tensor program behind `f`."""

G_PROGRAM: GeneratedProgram = generate_program(
    G_SEED, G_INPUT_SHAPES, G_OUTPUT_SHAPES, G_N_OPS, SCALAR_OPS
)
"""The generated scalar program behind `g`."""


def f(a: jax.Array, b: jax.Array, c: jax.Array, d: jax.Array) -> tuple[jax.Array, ...]:
    """Tensor program: a (4,), b (2, 3), c (4, 4), d (4, 1) -> (y1 (4, 4), y2 (2, 3), y3 (2,))."""
    return F_PROGRAM(a, b, c, d)


def g(*x: jax.Array) -> tuple[jax.Array, ...]:
    """Scalar program: 15 inputs of shape (1, 1) -> tuple of 20 outputs of shape (1, 1)."""
    return G_PROGRAM(*x)


def _uniform_args(seed: int, shapes) -> tuple[jax.Array, ...]:
    """Deterministic float32 example inputs, uniform in [-1, 1] (the generator's bound)."""
    rng = np.random.default_rng(seed)
    return tuple(jnp.asarray(rng.uniform(-1.0, 1.0, s).astype(np.float32)) for s in shapes)


def f_task() -> Task:
    """f: a (4,), b (2, 3), c (4, 4), d (4, 1) -> 24 scalars in three arrays."""
    return Task(
        name="f",
        fn=f,
        args=_uniform_args(1, F_INPUT_SHAPES),
        argnums=(0, 1, 2, 3),
        description=f"generated tensor program (seed {F_SEED}, {F_N_OPS} drawn ops): a (4,), "
        "b (2,3), c (4,4), d (4,1) -> y1 (4,4), y2 (2,3), y3 (2,)",
        paper=PAPER["f"],
    )


def g_task() -> Task:
    """g: 15 inputs (1, 1) -> 20 outputs (1, 1)."""
    return Task(
        name="g",
        fn=g,
        args=_uniform_args(2, G_INPUT_SHAPES),
        argnums=tuple(range(15)),
        description=f"generated scalar program (seed {G_SEED}, {G_N_OPS} drawn ops): 15 inputs "
        "(1,1) -> 20 outputs (1,1)",
        paper=PAPER["g"],
    )
