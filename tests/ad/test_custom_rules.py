"""Never silently wrong: x ** 0, custom_jvp / custom_vjp rules that couple elements, and an
operand used twice by one equation. Every Jacobian is compared with jax.jacrev in float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from spikead import ad
from spikead.snn import _surrogates as surrogates

from .helpers import assert_tree_close

ORDERS = ("fwd", "rev", "markowitz")
SHAPES = [(), (3,), (2, 3)]


def _x(shape, seed=0, low=0.5, high=1.5):
    return jax.random.uniform(jax.random.key(seed), shape, jnp.float64, low, high)


def _check(f, *args, argnums=0, orders=ORDERS):
    """jacve == jacrev at 1e-12 for every order (all Jacobians from one compiled call)."""

    def all_jacobians(*args):
        return jax.jacrev(f, argnums=argnums)(*args), [
            ad.jacve(f, o, argnums=argnums)(*args) for o in orders
        ]

    ref, results = jax.jit(all_jacobians)(*args)
    for order, got in zip(orders, results):
        assert_tree_close(got, ref, 1e-12, 1e-12, what=f"order {order}")


def _edges_into_call(f, *args, primitive):
    """The edges whose target vertex is produced by ``primitive``, keyed by source id."""
    graph = ad.make_graph(f, *args, argnums=tuple(range(len(args))))
    targets = {v.id for v in graph.vertices if v.primitive == primitive}
    return {src: s for (src, dst), s in graph.edges.items() if dst in targets}


def _is_diagonal(s) -> bool:
    return all(p is not None for p in s.pair)


# ----------------------------------------------------------------------------- integer_pow


@pytest.mark.parametrize("shape", SHAPES)
def test_integer_pow_all_exponents(x64, shape):
    x = _x(shape) * jnp.where(
        jnp.arange(np.prod(shape, dtype=int)).reshape(shape) % 2 == 0, 1.0, -1.0
    )
    _check(lambda x: tuple(lax.integer_pow(x, y) for y in (-3, -2, -1, 0, 1, 2, 3)), x)


def test_pow_zero_is_constant(x64):
    x = _x((4,))
    _check(lambda x: x**0, x)  # the output has no incoming edge: a zero block
    _check(lambda x: jnp.sin(x) * x**0 + x**0, x)
    assert ad.cost(lambda x: jnp.sin(x) * x**0, "fwd", x) == ad.cost(
        lambda x: jnp.sin(x) * 1.0, "fwd", x
    )


# -------------------------------------------------------------- custom rules that couple


@jax.custom_jvp
def centred(x):
    """sin(x) whose JVP rule subtracts the tangent's mean (gradient centring)."""
    return jnp.sin(x)


@centred.defjvp
def _centred_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return jnp.sin(x), jnp.cos(x) * (dx - jnp.mean(dx))


@jax.custom_jvp
def rolled(x):
    """x ** 2 whose JVP rule rolls the tangent (shape-preserving, not diagonal)."""
    return x * x


@rolled.defjvp
def _rolled_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return x * x, 2.0 * x * jnp.roll(dx, 1)


@jax.custom_jvp
def mixed(a, b):
    """a * exp(b): diagonal in a, centred (coupled) in b."""
    return a * jnp.exp(b)


@mixed.defjvp
def _mixed_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    y = a * jnp.exp(b)
    return y, da * jnp.exp(b) + y * (db - jnp.mean(db))


@jax.custom_vjp
def ste_shared(x):
    """Rounding with a straight-through estimator plus a shared term."""
    return jnp.round(x)


ste_shared.defvjp(lambda x: (jnp.round(x), None), lambda _, g: (g + 0.1 * jnp.sum(g),))


@jax.custom_vjp
def flipped(x):
    """tanh(x) whose bwd rule flips the cotangent."""
    return jnp.tanh(x)


flipped.defvjp(lambda x: (jnp.tanh(x), x), lambda x, g: (jnp.flip(g) * (1.0 - jnp.tanh(x) ** 2),))

COUPLED = {
    "centred_jvp": (centred, "custom_jvp_call"),
    "rolled_jvp": (rolled, "custom_jvp_call"),
    "ste_shared_vjp": (ste_shared, "custom_vjp_call"),
    "flipped_vjp": (flipped, "custom_vjp_call"),
}


@pytest.mark.parametrize("name", sorted(COUPLED))
def test_coupled_rule_gives_jacrev(x64, name):
    fn, primitive = COUPLED[name]
    x = _x((5,), seed=1, low=-2.0, high=2.0)
    f = lambda x: jnp.tanh(fn(jnp.sin(x)) * x)
    _check(f, x)
    (edge,) = _edges_into_call(f, x, primitive=primitive).values()
    assert not _is_diagonal(edge), edge


def test_rule_structure_per_input(x64):
    a, b = _x((4,), 2), _x((4,), 3)
    f = lambda a, b: mixed(jnp.sin(a), b)
    _check(f, a, b, argnums=(0, 1))
    edges = _edges_into_call(f, a, b, primitive="custom_jvp_call")
    from_b = edges.pop(1)  # b is vertex 1 and feeds the call directly
    assert not _is_diagonal(from_b)
    (from_sin_a,) = edges.values()
    assert _is_diagonal(from_sin_a)


# ------------------------------------------------------- element-wise rules stay diagonal


@jax.custom_vjp
def clipped_ste(x):
    return jnp.round(x)


clipped_ste.defvjp(lambda x: (jnp.round(x), x), lambda x, g: (g * (jnp.abs(x) < 1.0),))

ELEMENTWISE = {
    **{
        name: (cls(), "custom_jvp_call")
        for name, cls in (
            ("fast_sigmoid", surrogates.FastSigmoid),
            ("sigmoid", surrogates.Sigmoid),
            ("boxcar", surrogates.Boxcar),
            ("arctan", surrogates.Arctan),
            ("triangle", surrogates.Triangle),
        )
    },
    "relu": (jax.nn.relu, "custom_jvp_call"),
    "clipped_ste_vjp": (clipped_ste, "custom_vjp_call"),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_rule_stays_diagonal(x64, name):
    fn, primitive = ELEMENTWISE[name]
    x = _x((2, 3), seed=4, low=-1.2, high=1.2)
    f = lambda x: fn(x * 1.5) * x
    _check(f, x, orders=("fwd", "rev"))
    (edge,) = _edges_into_call(f, x, primitive=primitive).values()
    assert _is_diagonal(edge) and edge.n_values == 6, edge


# ------------------------------------------------------------ one operand at two positions


@jax.custom_jvp
def product(a, b):
    return a * b


product.defjvp(lambda p, t: (p[0] * p[1], t[0] * p[1] + p[0] * t[1]))


@jax.custom_vjp
def product_vjp(a, b):
    return a * b


product_vjp.defvjp(lambda a, b: (a * b, (a, b)), lambda r, g: (g * r[1], g * r[0]))


@pytest.mark.parametrize("name", ["max", "min", "pow", "custom_jvp", "custom_vjp"])
def test_operand_used_twice(x64, name):
    fn = {
        "max": lambda x: jnp.maximum(x, x),
        "min": lambda x: jnp.minimum(x, x),
        "pow": lambda x: x**x,
        "custom_jvp": lambda x: product(x, x),
        "custom_vjp": lambda x: product_vjp(x, x),
    }[name]
    _check(lambda x: jnp.sin(fn(jnp.exp(x))), _x((3,), 5))


# ------------------------------------------------------------- rules that cannot be traced


@jax.custom_jvp
def branchy(x):
    return jnp.sin(x)


@branchy.defjvp
def _branchy_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    scale = 2.0 if float(jnp.sum(x)) > 0 else 1.0  # Python control flow on a value
    return jnp.sin(x), scale * jnp.cos(x) * dx


def test_untraceable_rule_names_the_function():
    with pytest.raises(ad.UnsupportedCustomRuleError, match="branchy") as info:
        ad.jacve(branchy)(jnp.ones(3))
    assert "jax.custom_jvp" in str(info.value) and "jax.jacrev" in str(info.value)


def test_custom_vjp_closing_over_a_differentiated_value():
    def f(x):
        @jax.custom_vjp
        def scaled(y):
            return y * x

        scaled.defvjp(lambda y: (y * x, None), lambda _, g: (g * x,))
        return scaled(jnp.sin(x))

    with pytest.raises(ad.UnsupportedCustomRuleError, match="scaled.*explicit argument"):
        ad.jacve(f)(jnp.ones(3))
