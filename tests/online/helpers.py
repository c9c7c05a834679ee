"""Helpers shared by the online-gradient tests."""

import jax
import jax.numpy as jnp

from spikead import online


@jax.custom_jvp
def spike(x):
    """Heaviside spike with a fast-sigmoid surrogate derivative (slope 5)."""
    return (x > 0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x), dx / (1.0 + 5.0 * jnp.abs(x)) ** 2


def spike_count(step, params, state0, xs) -> int:
    """Spikes of the last state array (spike last) over the sequence."""

    def body(state, x):
        state, _ = step(params, state, x)
        return state, jnp.sum(state[-1])

    _, counts = jax.jit(lambda s, xs: jax.lax.scan(body, s, xs))(state0, xs)
    return int(jnp.sum(counts))


def run_both(step, params, state0, xs, targets, method="sparse", ref="bptt"):
    a = jax.jit(online.value_and_grad(step, online.mse, method))(params, state0, xs, targets)
    b = jax.jit(online.value_and_grad(step, online.mse, ref))(params, state0, xs, targets)
    return a, b


def assert_grads_close(a, b, rtol=1e-4, atol=1e-5):
    (la, ga), (lb, gb) = a, b
    assert jnp.allclose(la, lb, rtol=rtol, atol=atol), (la, lb)
    for (path, x), y in zip(jax.tree_util.tree_flatten_with_path(ga)[0], jax.tree.leaves(gb)):
        scale = float(jnp.max(jnp.abs(y))) + 1e-12
        assert jnp.allclose(x, y, rtol=rtol, atol=atol * max(scale, 1.0)), (
            jax.tree_util.keystr(path),
            float(jnp.max(jnp.abs(x - y))),
            scale,
        )
