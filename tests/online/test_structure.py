"""Structure of the carried traces: fixed, free of T, and broadcast where it can be."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import online
from spikead.online._analysis import varying_dims
from spikead.online._sparse import sparse_value_and_grad

from .helpers import assert_grads_close, spike_count


def linear_step(params, state, x):
    (h,) = state
    h = 0.9 * h + params["w"] @ x
    return (h,), params["r"] @ jnp.tanh(h)


def test_scaled_identity_keeps_trace_broadcast():
    n, m, T = 13, 4, 17
    params = {
        "w": jax.random.normal(jax.random.key(0), (n, m)),
        "r": jax.random.normal(jax.random.key(1), (2, n)),
    }
    xs = jax.random.normal(jax.random.key(2), (T, m))
    targets = jnp.zeros((T, 2))
    plan = online.make_plan(linear_step, params, (jnp.zeros(n),), xs[0])
    (h,) = plan.H[0]
    assert h.val_dims == () and h.pair == (0,)  # 0.9 * identity: one scalar
    F = plan.F[0][1]  # d h / d w (leaf order: r, w)
    assert F.pair == (0, None) and F.n_values == m  # x_m, constant along neurons
    assert plan.trace_values() == m  # M values, not N x M
    a = online.value_and_grad(linear_step, online.mse, "sparse")(
        params, (jnp.zeros(n),), xs, targets
    )
    b = online.value_and_grad(linear_step, online.mse, "bptt")(params, (jnp.zeros(n),), xs, targets)
    np.testing.assert_allclose(a[1]["w"], b[1]["w"], rtol=1e-4, atol=1e-5)


def _scan_carries(jaxpr):
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            n_consts, n_carry = eqn.params["num_consts"], eqn.params["num_carry"]
            yield [v.aval.shape for v in eqn.invars[n_consts : n_consts + n_carry]], eqn
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            yield from _scan_carries(sub)


def test_carry_has_nothing_of_size_T():
    m, n, k, T = 5, 6, 3, 37
    net, params = online.make_single_layer("alif", m, n, k, key=jax.random.key(0))
    xs, targets = online.random_task(jax.random.key(1), m, k, T)
    fn = online.value_and_grad(net.step, online.mse, "sparse")
    closed = jax.make_jaxpr(fn)(params, net.init_state(), xs, targets)
    carries = list(_scan_carries(closed.jaxpr))
    assert len(carries) == 1
    shapes, eqn = carries[0]
    assert all(T not in shape for shape in shapes), shapes
    assert not eqn.params["jaxpr"].jaxpr.outvars[eqn.params["num_carry"] :]  # no stacked outputs
    # 3 states x (N x M) trace values for w_in and w_in's per-sample accumulator (a batch of
    # one), nothing of size N x N x M
    assert sum(1 for s in shapes if s == (1, n, m)) == 4
    assert all(int(np.prod(s)) < n * n * m for s in shapes)


def _factorised_lif(n, m, k, key, beta=0.9):
    return online.make_single_layer(
        "lif", m, n, k, key=key, reset="subtract", stop_reset_grad=True, beta=beta
    )


def test_uniform_decay_gives_factorised_trace_and_nonuniform_does_not():
    n, m, k = 7, 5, 2
    net, params = _factorised_lif(n, m, k, jax.random.key(0))
    plan = online.make_plan(net.step, params, net.init_state(), jnp.zeros(m))
    assert plan.trace_values() == m  # v <- W_in: v[m], the filtered input
    beta = jnp.linspace(0.8, 0.95, n)  # one decay per neuron
    net2, _ = _factorised_lif(n, m, k, jax.random.key(0), beta=beta)
    plan2 = online.make_plan(net2.step, params, net2.init_state(), jnp.zeros(m))
    assert plan2.trace_values() == n * m


@pytest.mark.parametrize("T,uniform", [(45, True), (18, True), (18, False)])
def test_factorised_trace_equals_bptt_batched(T, uniform):
    """Factorised (uniform decay) and per-neuron traces agree with BPTT, odd and even T."""
    n, m, k, B = 9, 6, 3, 3
    beta = 0.9 if uniform else jnp.linspace(0.8, 0.95, n)
    net, params = _factorised_lif(n, m, k, jax.random.key(1), beta=beta)
    xs, targets = online.random_task(jax.random.key(2), m, k, T, batch=B, rate=0.3)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    assert spike_count(net.step, params, net.init_state(), xs[0]) > 0
    sparse = sparse_value_and_grad(net.step, online.mse, batched=True)
    a = jax.jit(sparse)(params, state0, xs, targets)
    b = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    assert_grads_close(a, b)
    carries = list(_scan_carries(jax.make_jaxpr(sparse)(params, state0, xs, targets).jaxpr))
    for shapes, _ in carries:  # nothing of size T, nor B x N x M
        assert all(T not in shape for shape in shapes), shapes
        if uniform:
            assert all(int(np.prod(s)) < B * n * m for s in shapes), shapes


def test_varying_dims_of_constants():
    assert varying_dims(np.full((4, 3), 2.0)) == frozenset()
    assert varying_dims(np.array([[1.0, 2.0], [1.0, 2.0]])) == frozenset({1})
    assert varying_dims(np.array([1.0, np.nan])) == frozenset({0})
