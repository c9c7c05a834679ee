"""Every rule against jax.jacrev, grouped by family (one output per primitive), all orders.

Each case routes the input through an eliminable vertex first (``u = exp(x) / 2``) and
applies one primitive, so forward, reverse, Markowitz and random orders differ.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jax import lax

from spikead import ad

from .helpers import check_all_orders


def _pre(x):
    return jnp.exp(x) * 0.5  # in (0.18, 0.83) for x in (-1, 0.5)


@jax.custom_jvp
def _surrogate_spike(v):
    return (v > 0.4).astype(v.dtype)


@_surrogate_spike.defjvp
def _surrogate_jvp(primals, tangents):
    (v,), (t,) = primals, tangents
    return _surrogate_spike(v), t / (1.0 + 10.0 * jnp.abs(v - 0.4)) ** 2


@jax.custom_vjp
def _scaled_sin(v):
    return jnp.sin(v)


_scaled_sin.defvjp(lambda v: (jnp.sin(v), v), lambda v, g: (3.0 * jnp.cos(v) * g,))


@jax.custom_vjp
def _normalise(v):
    return v / jnp.sum(v)


_normalise.defvjp(
    lambda v: (v / jnp.sum(v), v), lambda v, g: (g / jnp.sum(v) - jnp.sum(g * v) / jnp.sum(v) ** 2,)
)

UNARY = {
    "exp": jnp.exp,
    "exp2": jnp.exp2,
    "log": jnp.log,
    "log1p": jnp.log1p,
    "expm1": jnp.expm1,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "tanh": jnp.tanh,
    "logistic": jax.nn.sigmoid,
    "sqrt": jnp.sqrt,
    "rsqrt": lax.rsqrt,
    "cbrt": jnp.cbrt,
    "abs": lambda u: jnp.abs(u - 0.5),
    "neg": lambda u: -u,
    "erf": lax.erf,
    "erf_inv": lax.erf_inv,
    "asin": jnp.arcsin,
    "acos": jnp.arccos,
    "atan": jnp.arctan,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "asinh": jnp.arcsinh,
    "acosh": lambda u: jnp.arccosh(1.0 + u),
    "atanh": jnp.arctanh,
    "integer_pow": lambda u: u**3,
    "square": lax.square,
    "zero_derivatives": lambda u: (
        u * (jnp.sign(u) + jnp.floor(3 * u) + jnp.round(3 * u) + jnp.ceil(3 * u))
    ),
    "is_finite_select": lambda u: jnp.where(jnp.isfinite(u), u, 0.0),
    "stop_gradient": lambda u: u * lax.stop_gradient(u),
    "int_convert": lambda u: u + (3 * u).astype(jnp.int32),
}

BINARY = {
    "add": lambda u, v: u + v,
    "sub": lambda u, v: u - v,
    "mul": lambda u, v: u * v,
    "div": lambda u, v: u / v,
    "pow": lambda u, v: u**v,
    "atan2": jnp.arctan2,
    "max": jnp.maximum,
    "min": jnp.minimum,
    "rem": lambda u, v: lax.rem(u, v * 0.3),
    "clamp": lambda u, v: lax.clamp(0.3, u, v),
    "select_n": lambda u, v: jnp.where(u > v, u, v * 2),
    "scalar_broadcast": lambda u, v: u * v[0] + v[1],
    "size1_broadcast": lambda u, v: u.reshape(2, 3) / v[:2].reshape(2, 1),
}

DOT = {
    "matvec": lambda a, b: a.reshape(2, 3) @ b[:3],
    "outer": lambda a, b: jnp.outer(a, b),
    "inner": lambda a, b: a @ b,
    "batched": lambda a, b: jnp.einsum("bij,bjk->bik", a.reshape(2, 3, 1), b.reshape(2, 1, 3)),
    "contract_both": lambda a, b: jnp.einsum("ij,ij->", a.reshape(2, 3), b.reshape(2, 3)),
    "batch_last": lambda a, b: jnp.einsum("ib,jb->bij", a.reshape(3, 2), b.reshape(3, 2)),
}

REDUCTIONS = {
    "reduce_sum": lambda m: jnp.sum(m, axis=1),
    "reduce_sum_all": jnp.sum,
    "reduce_max": lambda m: jnp.max(m, axis=0),
    "reduce_min": lambda m: jnp.min(m, axis=(0, 1)),
    "argmax": lambda m: m[0] * jnp.argmax(m, axis=1)[0],
    "cumsum": lambda m: jnp.cumsum(m, axis=1),
    "cumsum_reverse": lambda m: lax.cumsum(m, axis=0, reverse=True),
    "reduce_prod": lambda m: jnp.prod(m, axis=0),
    "cumprod": lambda m: jnp.cumprod(m, axis=1),
    "cummax": lambda m: lax.cummax(m, axis=0),
}

STRUCTURAL = {
    "broadcast_in_dim": lambda m: jnp.broadcast_to(m[:, None, :], (2, 4, 3)),
    "reshape_merge": lambda m: m.reshape(6),
    "reshape_split": lambda m: m.reshape(3, 2, 1),
    "squeeze_expand": lambda m: jnp.expand_dims(m[:1], 0).squeeze((0, 1)),
    "transpose": lambda m: m.T,
    "rev": lambda m: jnp.flip(m, (0, 1)),
    "slice": lambda m: m[1:, ::2],
    "index": lambda m: m[1],
    "dynamic_slice": lambda m: lax.dynamic_slice(m, (jnp.int32(1), jnp.int32(1)), (1, 2)),
    "dynamic_update_slice": lambda m: lax.dynamic_update_slice(
        m, m[:1, :2] ** 2, (jnp.int32(1), jnp.int32(0))
    ),
    "concatenate": lambda m: jnp.concatenate([m, m**2], axis=1),
    "pad": lambda m: lax.pad(m, 0.5, ((1, 0, 1), (-1, 2, 0))),
    "split": lambda m: jnp.split(m, [1], axis=1)[1],
    "stack": lambda m: jnp.stack([m, 2 * m], axis=1),
    "gather": lambda m: m.reshape(-1)[jnp.array([0, 4, 4, 1])],
    "copy": lambda m: jnp.array(m, copy=True),
}

CALLS = {
    "custom_jvp_elementwise": _surrogate_spike,
    "relu": lambda u: jax.nn.relu(u - 0.4),
    "custom_vjp_elementwise": _scaled_sin,
    "custom_vjp_dense": _normalise,
    "nested_jit": jax.jit(lambda u: jnp.sin(u) * u.sum()),
    "softmax": jax.nn.softmax,
    "logsumexp": jax.nn.logsumexp,
}


def _x(n=6):
    return jnp.linspace(-1.0, 0.5, n)


def test_unary():
    check_all_orders(lambda x: {k: f(_pre(x)) for k, f in UNARY.items()}, _x(), rtol=2e-5)


def test_binary():
    def f(x, y):
        u, v = _pre(x), _pre(y) + 0.1
        return {k: g(u, v) for k, g in BINARY.items()}

    check_all_orders(f, _x(), _x()[::-1], argnums=(0, 1))


def test_dot_general():
    check_all_orders(
        lambda x, y: {k: g(_pre(x), jnp.sin(y)) for k, g in DOT.items()},
        _x(),
        _x() * 0.7,
        argnums=(0, 1),
    )


def test_reductions():
    check_all_orders(lambda x: {k: g(_pre(x).reshape(2, 3)) for k, g in REDUCTIONS.items()}, _x())


def test_structural():
    check_all_orders(
        lambda x: {k: jnp.sin(g(_pre(x).reshape(2, 3))) for k, g in STRUCTURAL.items()}, _x()
    )


def test_calls():
    check_all_orders(lambda x: {k: g(_pre(x)) for k, g in CALLS.items()}, _x())


def _primitives(f, *args) -> set[str]:
    names = set()

    def visit(jaxpr):
        for eqn in jaxpr.eqns:
            names.add(eqn.primitive.name)
            for sub in jax.extend.core.jaxprs_in_params(eqn.params):
                visit(sub)

    visit(jax.make_jaxpr(f)(*args).jaxpr)
    return names


def test_primitive_sets_of_representative_functions():
    """Fails when a JAX upgrade changes the primitives these functions lower to."""
    mlp = lambda w, x: jax.nn.logsumexp(jnp.tanh(w @ x))
    assert _primitives(mlp, jnp.ones((3, 2)), jnp.ones(2)) == {
        "dot_general",
        "tanh",
        "reduce_max",
        "max",
        "is_finite",
        "select_n",
        "stop_gradient",
        "broadcast_in_dim",
        "sub",
        "exp",
        "reduce_sum",
        "sign",
        "abs",
        "log",
        "add",
    }
    layer_norm = lambda x: (x - x.mean()) / jnp.sqrt(x.var() + 1e-5)
    assert _primitives(layer_norm, jnp.ones(4)) == {
        "gt",
        "sqrt",
        "sub",
        "reduce_sum",
        "select_n",
        "add",
        "broadcast_in_dim",
        "jit",
        "div",
        "square",
        "convert_element_type",
    }
    indexing = lambda x: jnp.pad(x[1:], 1) + x[0]
    assert _primitives(indexing, jnp.ones(4)) == {
        "slice",
        "squeeze",
        "jit",
        "pad",
        "convert_element_type",
        "add",
    }


def test_every_listed_primitive_has_a_rule():
    supported = set(ad.supported_primitives())
    for name in [
        "dot_general",
        "custom_jvp_call",
        "custom_vjp_call",
        "select_n",
        "stack",
        "split",
        "pad",
        "gather",
    ]:
        assert name in supported


@pytest.mark.parametrize("n", [1, 4])
def test_scalar_and_vector_sizes(n):
    check_all_orders(lambda x: jnp.sum(jnp.sin(_pre(x)) * x), _x(n))
