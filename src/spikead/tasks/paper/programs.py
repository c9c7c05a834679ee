"""The AlphaGrad paper's two random programs f and g, as published (op tables).

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/randoms.py``,
functions ``f`` (4 inputs) and ``g`` (15 inputs); the paper's Table 1 counts were made on
these. The programs are fixed data, not seeds: each is stored here as an op table (one
``out op operand...`` row per equation, ``|`` between rows), run by the small interpreter
`run_table`. Variable ``vN`` of the source is ``N`` here; the row order is the source's
statement order, so the jaxpr has the same sequence of equations.

- g: 15 scalar inputs v0..v14, the constants v15 = v16 = 1, 105 scalar ops
  (atan2, pow, add, sub, mul, div, sin, cos, tan, ...), 20 outputs.
- f: a (4,), b (2, 3), c (4, 4), d (4, 1) -> (1, 4), (1,), (2,), (), (4, 4): 30 -> 24
  scalars; a tensor program of dot_general, reshape, transpose, reductions and
  elementwise ops, written out in `f` (its ops take shape arguments, so it is code).
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
from jax import lax

__all__ = ["G_OUTPUTS", "G_TABLE", "f", "g", "parse_table", "run_table"]

_SCALAR_OPS: dict[str, Callable] = {
    "add": jnp.add,
    "subtract": jnp.subtract,
    "multiply": jnp.multiply,
    "divide": jnp.divide,
    "power": jnp.power,
    "arctan2": jnp.arctan2,
    "arctan": jnp.arctan,
    "arctanh": jnp.arctanh,
    "arcsin": jnp.arcsin,
    "arcsinh": jnp.arcsinh,
    "exp": jnp.exp,
    "log": jnp.log,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "sinh": jnp.sinh,
    "square": jnp.square,
    "negative": jnp.negative,
}
"""Op names of the tables -> the jax.numpy function the source calls."""

G_TABLE = """
    17 arctan2 15 3 | 18 power 15 14 | 19 arctan2 13 17 | 20 power 17 5
    21 subtract 9 8 | 22 arctan 10 | 23 multiply 21 0 | 24 subtract 22 18
    25 power 24 11 | 26 add 21 12 | 27 exp 2 | 28 add 21 26
    29 power 16 17 | 30 sin 3 | 31 divide 2 23 | 32 arctan2 24 26
    33 subtract 29 25 | 34 arctan 33 | 35 multiply 7 27 | 36 tan 13
    37 add 27 19 | 38 divide 7 6 | 39 subtract 25 34 | 40 subtract 29 6
    41 power 35 4 | 42 cos 0 | 43 subtract 40 19 | 44 divide 41 7
    45 subtract 40 8 | 46 arctan2 16 43 | 47 divide 8 30 | 48 power 37 36
    49 power 47 44 | 50 arctan2 45 40 | 51 arctan2 44 13 | 52 divide 4 34
    53 arctan2 41 1 | 54 arctan2 25 53 | 55 add 12 51 | 56 power 3 48
    57 subtract 24 32 | 58 arctanh 48 | 59 arctanh 54 | 60 arctan2 2 26
    61 subtract 52 18 | 62 cos 38 | 63 divide 8 32 | 64 arctan2 42 46
    65 sinh 36 | 66 subtract 61 50 | 67 power 13 39 | 68 power 37 26
    69 subtract 68 43 | 70 log 65 | 71 power 23 58 | 72 arctan2 50 69
    73 divide 20 72 | 74 multiply 41 56 | 75 multiply 39 33 | 76 multiply 61 15
    77 power 66 64 | 78 arctan2 53 25 | 79 subtract 59 60 | 80 arctan2 73 41
    81 multiply 74 46 | 82 square 5 | 83 arctan2 28 62 | 84 arctan2 39 9
    85 multiply 4 12 | 86 divide 57 56 | 87 arctan2 61 63 | 88 arcsinh 14
    89 power 86 83 | 90 arcsin 66 | 91 subtract 70 79 | 92 arctan2 37 65
    93 multiply 67 77 | 94 power 87 55 | 95 square 49 | 96 divide 92 94
    97 add 15 95 | 98 divide 91 76 | 99 arctanh 46 | 100 multiply 75 45
    101 divide 100 28 | 102 add 90 29 | 103 arctan2 80 84 | 104 subtract 20 91
    105 add 82 90 | 106 divide 102 103 | 107 power 75 42 | 108 multiply 68 62
    109 divide 102 1 | 110 power 98 101 | 111 negative 100 | 112 divide 31 89
    113 divide 105 108 | 114 subtract 22 70 | 115 multiply 106 44 | 116 subtract 107 81
    117 power 58 115 | 118 subtract 78 108 | 119 tan 87 | 120 power 87 48
    121 add 105 38
"""
"""Equations of g (source order): ``out op operand...``; v15 and v16 are the constant 1."""

G_OUTPUTS = (
    121,
    71,
    85,
    88,
    93,
    96,
    97,
    99,
    104,
    109,
    110,
    111,
    112,
    113,
    114,
    116,
    117,
    118,
    119,
    120,
)
"""Variables g returns, in the source's order."""


def parse_table(table: str) -> list[tuple[int, str, tuple[int, ...]]]:
    """Rows ``(out, op, operands)`` of an op table; raises ``ValueError`` on unknown ops."""
    rows = []
    for cell in table.replace("\n", "|").split("|"):
        if not cell.strip():
            continue
        out, op, *args = cell.split()
        if op not in _SCALAR_OPS:
            raise ValueError(
                f"op table row {cell.strip()!r}: unknown op {op!r}; "
                f"expected one of {sorted(_SCALAR_OPS)}"
            )
        rows.append((int(out), op, tuple(int(a) for a in args)))
    return rows


def run_table(table: str, env: dict[int, object], outputs: tuple[int, ...]) -> tuple:
    """Evaluate the rows of ``table`` in order on ``env`` (variable number -> value).

    Returns the values of ``outputs``. Raises ``KeyError`` naming a variable that is
    read before it is defined.
    """
    env = dict(env)
    for out, op, args in parse_table(table):
        missing = [a for a in args if a not in env]
        if missing:
            raise KeyError(f"op table: v{out} = {op} reads undefined variables {missing}")
        env[out] = _SCALAR_OPS[op](*(env[a] for a in args))
    return tuple(env[o] for o in outputs)


def g(*xs):
    """The paper's g: 15 arrays of one shape (scalars or (1, 1)) -> 20 arrays of it.

    v15 = v16 = jnp.ones(()) as in the source (constants, not vertices).
    """
    if len(xs) != 15:
        raise TypeError(f"g takes 15 inputs (v0..v14), got {len(xs)}")
    env = dict(enumerate(xs))
    env[15] = env[16] = jnp.ones(())
    return run_table(G_TABLE, env, G_OUTPUTS)


def _dot(x, y, lhs: int, rhs: int):
    """lax.dot_general contracting dim ``lhs`` of x with dim ``rhs`` of y (no batch dims)."""
    return lax.dot_general(x, y, dimension_numbers=(((lhs,), (rhs,)), ((), ())))


def f(v0, v1, v2, v4):
    """The paper's f: a=v0 (4,), b=v1 (2, 3), c=v2 (4, 4), d=v4 (4, 1).

    Returns (v74 (1, 4), v65 (1,), v67 (2,), v69 (), v73 (4, 4)). Same statements as the
    source (v3 is unused there and absent here); temporaries ``_vN`` are the source's
    reshapes.
    """
    v5 = jnp.power(v2, 3)
    v6 = _dot(v4, v5, 0, 0)
    v7 = _dot(v5, v6, 0, 1)
    v8 = jnp.power(v6, 2)
    v9 = _dot(v0, v8, 0, 1)
    v10 = jnp.sqrt(v0)
    v11 = jnp.arccos(v7)
    v12 = jnp.transpose(v1, axes=[0, 1])
    v13 = _dot(v11, v8, 1, 0)
    v14 = jnp.add(v11, v9.reshape([1, 1]))
    v15 = jnp.subtract(v14, v9.reshape([1, 1]))
    v16 = jnp.cos(v9)
    v17 = jnp.add(jnp.reshape(v10, [4, 1]), v13)
    v18 = jnp.arcsinh(v17)
    v16_11 = v16.reshape([1, 1])
    v19 = jnp.add(v15, v16_11)
    v20 = jnp.negative(v12)
    v21 = jnp.sqrt(v10)
    v22 = _dot(v21, v18, 0, 1)
    v23 = jnp.tanh(v12)
    v24 = jnp.arctan(v19)
    v25 = jnp.square(v24)
    v26 = jnp.cos(v22)
    v27 = jnp.subtract(v16_11, v25)
    v28 = jnp.cosh(v23)
    v29 = jnp.sum(v20, axis=0)
    v30 = jnp.transpose(v28, axes=[1, 0])
    v31 = jnp.sum(v16, axis=0)
    v32 = jnp.squeeze(v26)
    v33 = jnp.subtract(jnp.reshape(v29, [3, 1]), v30)
    v34 = jnp.divide(v31, v33)
    v35 = jnp.add(v13, v10.reshape([4, 1]))
    v36 = jnp.multiply(jnp.reshape(v32, [4, 1]), v35)
    v37 = jnp.power(v32, 2)
    v38 = jnp.amax(v34, axis=1)
    v39 = jnp.sinh(v36)
    v40 = jnp.exp(v27)
    v41 = lax.slice(v39, start_indices=[3, 3], limit_indices=[4, 4])
    v42 = jnp.sum(v37, axis=0)
    v43 = jnp.add(v42, v38)
    v44 = _dot(v32, v40, 0, 0)
    v45 = jnp.arcsinh(v43)
    v46 = _dot(v24, v15, 1, 1)
    v47 = lax.stop_gradient(v41)
    v48 = lax.logistic(v45)
    v49 = _dot(v29, v48, 0, 0)
    v50 = _dot(v22, v21, 0, 0)
    v51 = _dot(v44, v47, 0, 1)
    v52 = _dot(v30, v33, 0, 0)
    v53 = jnp.multiply(v46, v50)
    v54 = jnp.sqrt(v37)
    v55 = jnp.sqrt(jnp.abs(v51))
    v56 = jnp.subtract(v52, v49)
    v57 = jnp.cosh(v54)
    v58 = jnp.negative(v37)
    v59 = jnp.add(jnp.reshape(v57, [4, 1]), v53)
    v60 = jnp.square(v57)
    v61 = jnp.sin(v58)
    v62 = jnp.arctan(v59)
    v63 = jnp.sum(v62, axis=0)
    v64 = jnp.amin(v63, axis=0)
    v65 = jnp.subtract(v64, v55)
    v66 = jnp.sqrt(v2)
    v67 = jnp.sum(v56, axis=1)
    v68 = jnp.subtract(jnp.reshape(v61, [4, 1]), v66)
    v69 = _dot(v60, v61, 0, 0)
    v70 = _dot(v68, v62, 0, 0)
    v71 = jnp.add(jnp.reshape(v22, [4, 1]), v2)
    v72 = lax.logistic(v70)
    v73 = _dot(v72, v71, 0, 0)
    v74 = jnp.divide(v6, v37.reshape([1, 4]))
    return v74, v65, v67, v69, v73
