"""The learning signal after the update (`_readout`): exact against BPTT on steps whose
output reads the new state, the previous state, both, or a state passed through; the
factorised step needs one gradient matmul (the direct path is in the trace term)."""

import re

import jax
import jax.numpy as jnp
import pytest

from spikead import online
from spikead.online import _sparse

from .helpers import assert_grads_close, run_both


def _spike(v):
    return jax.nn.sigmoid(8.0 * v)  # smooth: every path has a non-zero derivative


def reads_old_and_new(params, state, x):
    """y reads the new membrane, the previous spikes and a state passed through unchanged."""
    v, z, c = state
    v_new = 0.9 * v + params["w_in"] @ x - 0.5 * z
    z_new = _spike(v_new - 0.6)
    y = params["w_out"] @ z_new + params["w_old"] @ (z * c) + jnp.sum(params["w_in"]) * 0.01
    return (v_new, z_new, c), y


def reads_input_only(params, state, x):
    """y does not read the state at all: only the direct gradient is non-zero."""
    (v,) = state
    return (0.8 * v + params["w_in"] @ x,), params["w_out"] @ jnp.tanh(params["w_in"] @ x)


def _params(key, n, m, k):
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "w_in": jax.random.normal(k1, (n, m)) / jnp.sqrt(m),
        "w_out": jax.random.normal(k2, (k, n)),
        "w_old": jax.random.normal(k3, (k, n)),
    }


@pytest.mark.parametrize("seed,n,m,T", [(0, 6, 4, 9), (1, 11, 7, 23)])
def test_output_of_old_new_and_passed_through_states_equals_bptt(seed, n, m, T):
    params = _params(jax.random.key(seed), n, m, 3)
    xs, targets = online.random_task(jax.random.key(seed + 10), m, 3, T, rate=0.5)
    state0 = (jnp.zeros(n), jnp.zeros(n), jnp.linspace(0.5, 1.5, n))
    plan = online.make_plan(reads_old_and_new, params, state0, xs[0])
    assert plan.exact and plan.readout is not None
    assert 2 not in plan.readout.taps  # passed through: read as the previous state
    assert {1, 2} <= plan.readout.reads
    assert_grads_close(*run_both(reads_old_and_new, params, state0, xs, targets))


def test_output_without_state_equals_bptt():
    n, m, T = 5, 3, 12
    params = {k: v for k, v in _params(jax.random.key(2), n, m, 2).items() if k != "w_old"}
    xs, targets = online.random_task(jax.random.key(3), m, 2, T, rate=0.5)
    plan = online.make_plan(reads_input_only, params, (jnp.zeros(n),), xs[0])
    assert plan.readout is not None and not plan.readout.reads and not plan.trace
    assert_grads_close(*run_both(reads_input_only, params, (jnp.zeros(n),), xs, targets))


def _dot_results(fn, *args) -> list[str]:
    """Result shapes of the dot ops XLA compiled (after CSE and dead-code removal)."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    return re.findall(r"= f32\[([0-9,]*)\]\S* dot\(", text)


@pytest.mark.parametrize("unroll", [1, 2])
def test_factorised_step_needs_one_gradient_matmul(unroll):
    """Per step, with the readout: the forward's W_in x_t and ONE N x M gradient matmul
    with the trace G_t (the signal before the update, meeting G_{t-1}, added the direct
    gradient's N x M matmul each step: 2 per step)."""
    n, m, B, T = 12, 7, 3, 20
    net, params = online.make_single_layer(
        "lif", m, n, 2, key=jax.random.key(0), reset="subtract", stop_reset_grad=True
    )
    xs, targets = online.random_task(jax.random.key(1), m, 2, T, batch=B)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    args = (params, state0, xs, targets)
    fn = _sparse.sparse_value_and_grad(net.step, online.mse, batched=True, unroll=unroll)
    assert _dot_results(fn, *args).count(f"{n},{m}") == unroll
    ref = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))
    assert_grads_close(jax.jit(fn)(*args), ref(*args))
