"""Structure of the carried traces: fixed, free of T, and broadcast where it can be."""

import jax
import jax.numpy as jnp
import numpy as np

from spikead import online


def linear_step(params, state, x):
    (h,) = state
    h = 0.9 * h + params["w"] @ x
    return (h,), params["r"] @ jnp.tanh(h)


def test_scaled_identity_keeps_trace_broadcast():
    n, m, T = 13, 4, 17
    params = {"w": jax.random.normal(jax.random.key(0), (n, m)),
              "r": jax.random.normal(jax.random.key(1), (2, n))}
    xs = jax.random.normal(jax.random.key(2), (T, m))
    targets = jnp.zeros((T, 2))
    plan = online.make_plan(linear_step, params, (jnp.zeros(n),), xs[0])
    (h,) = plan.H[0]
    assert h.val_dims == () and h.pair == (0,)            # 0.9 * identity: one scalar
    F = plan.F[0][1]                                       # d h / d w (leaf order: r, w)
    assert F.pair == (0, None) and F.n_values == m        # x_m, constant along neurons
    assert plan.trace_values() == m                       # M values, not N x M
    a = online.value_and_grad(linear_step, online.mse, "sparse")(params, (jnp.zeros(n),), xs, targets)
    b = online.value_and_grad(linear_step, online.mse, "bptt")(params, (jnp.zeros(n),), xs, targets)
    np.testing.assert_allclose(a[1]["w"], b[1]["w"], rtol=1e-4, atol=1e-5)


def _scan_carries(jaxpr):
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            n_consts, n_carry = eqn.params["num_consts"], eqn.params["num_carry"]
            yield [v.aval.shape for v in eqn.invars[n_consts:n_consts + n_carry]], eqn
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
    assert not eqn.params["jaxpr"].jaxpr.outvars[eqn.params["num_carry"]:]  # no stacked outputs
    # traces: 3 states x (N x M) values for w_in, nothing of size N x N x M
    assert sum(int(np.prod(s)) for s in shapes if len(s) == 2 and s == (n, m)) >= n * m
    assert all(int(np.prod(s)) < n * n * m for s in shapes)
