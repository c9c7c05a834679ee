"""State leaves recomputed from the other new leaves (`derived_state`): found where the step
computes them from new state alone, never where they read an argument; the reduced step has
the same BPTT and sparse gradients as the step; its initial state is checked."""

import jax
import jax.numpy as jnp
import pytest

from spikead import online, snn

from .helpers import assert_grads_close, spike


def _params(key, n, m, k):
    k1, k2 = jax.random.split(key)
    return {
        "w_in": 2.0 * jax.random.normal(k1, (n, m)) / jnp.sqrt(m),
        "w_out": jax.random.normal(k2, (k, n)),
    }


def _layer(neuron):
    """SingleLayer step of an `spikead.snn` neuron (spike last in its state)."""
    return online.SingleLayer(neuron).step


def reads_previous_spike_in_output(params, state, x):
    """z_new = H(v_new) is derived, but y also reads the previous z: nothing changes for y."""
    v, z = state
    v_new = 0.9 * v * (1.0 - z) + params["w_in"] @ x
    z_new = spike(v_new - 0.5)
    return (v_new, z_new), params["w_out"] @ (z_new + 0.3 * z)


def spike_reads_input(params, state, x):
    """z_new reads x: not derived (z_{t-1} would need x_{t-1})."""
    v, z = state
    v_new = 0.9 * v * (1.0 - z) + params["w_in"] @ x
    z_new = jax.nn.sigmoid(4.0 * (v_new - 0.5) + jnp.sum(x))
    return (v_new, z_new), params["w_out"] @ z_new


STEPS = {
    "lif-zero": (_layer(snn.LIF((6,), reset="zero")), 2),
    "lif-subtract": (_layer(snn.LIF((6,), reset="subtract")), 2),
    "alif": (_layer(snn.ALIF((6,))), 3),
    "old-spike-in-output": (reads_previous_spike_in_output, 2),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_reduced_step_has_the_gradients_of_the_step(name, seed=0):
    step, n_state = STEPS[name]
    n, m, k, t = 6, 5, 3, 12
    params = _params(jax.random.key(seed), n, m, k)
    xs, targets = online.random_task(jax.random.key(seed + 10), m, k, t, rate=0.5)
    state0 = tuple(jnp.zeros(n) for _ in range(n_state))
    reduced = online.derived_state(step, params, state0, xs[0])
    assert reduced is not None and reduced.derived == (n_state - 1,)  # the spike
    assert reduced.consistent(state0)
    kept0 = reduced.reduce(state0)
    want = jax.jit(online.value_and_grad(step, online.mse, "bptt"))(params, state0, xs, targets)
    for method in ("bptt", "sparse"):
        got = jax.jit(online.value_and_grad(reduced, online.mse, method))(
            params, kept0, xs, targets
        )
        assert_grads_close(got, want, rtol=1e-5, atol=1e-6)


def test_reduced_sparse_plan_carries_no_spike_trace():
    step, _ = STEPS["lif-zero"]
    params = _params(jax.random.key(0), 6, 5, 3)
    state0, x = (jnp.zeros(6), jnp.zeros(6)), jnp.zeros(5)
    reduced = online.derived_state(step, params, state0, x)
    full = online.make_plan(step, params, state0, x)
    small = online.make_plan(reduced, params, reduced.reduce(state0), x)
    assert {s for s, _ in full.trace} == {0, 1}
    assert {s for s, _ in small.trace} == {0}  # the membrane's trace only
    assert small.trace_values() * 2 == full.trace_values()


@pytest.mark.parametrize("step", [spike_reads_input])
def test_a_leaf_that_reads_an_argument_is_not_derived(step):
    params = _params(jax.random.key(0), 6, 5, 3)
    assert online.derived_state(step, params, (jnp.zeros(6), jnp.zeros(6)), jnp.zeros(5)) is None


def test_an_initial_state_off_the_relation_is_reported():
    step, _ = STEPS["lif-zero"]
    params = _params(jax.random.key(0), 6, 5, 3)
    state0 = (jnp.zeros(6), jnp.zeros(6))
    reduced = online.derived_state(step, params, state0, jnp.zeros(5))
    # H(0 - thr) = 0, so a spike in the initial state cannot be recomputed from v = 0
    assert not reduced.consistent((jnp.zeros(6), jnp.zeros(6).at[2].set(1.0)))
    with pytest.raises(TypeError, match="concrete state values"):
        jax.jit(lambda s: reduced.consistent((s, s)))(jnp.zeros(6))


def test_reduce_step_checks_every_sample_of_the_batch():
    step, _ = STEPS["lif-zero"]
    params = _params(jax.random.key(0), 6, 5, 3)
    x0 = jnp.zeros((4, 5))
    state0 = (jnp.zeros((4, 6)), jnp.zeros((4, 6)))
    reduced, kept0, dropped = online.reduce_step(step, params, state0, x0)
    assert dropped == (1,) and isinstance(reduced, online.ReducedStep)
    assert len(kept0) == 1 and kept0[0].shape == (4, 6)
    # one sample off the relation (a spike at v = 0): nothing is dropped
    off = (state0[0], state0[1].at[3, 2].set(1.0))
    same, same0, none = online.reduce_step(step, params, off, x0)
    assert same is step and same0 is off and none == ()
    # an explicit one-sample initial state decides instead (a traced state0 needs it)
    assert online.reduce_step(step, params, off, x0, init=(state0[0][0], state0[1][0]))[2] == (1,)


def test_reduce_step_without_derived_leaves_returns_the_step():
    params = _params(jax.random.key(0), 6, 5, 3)
    state0 = (jnp.zeros((2, 6)), jnp.zeros((2, 6)))
    out = online.reduce_step(spike_reads_input, params, state0, jnp.zeros((2, 5)))
    assert out[0] is spike_reads_input and out[1] is state0 and out[2] == ()
