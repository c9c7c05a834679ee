"""Bellec et al.'s e-prop: the sparse method with ``approximation="eprop"`` equals the
reference (`jax.grad` through a scan with the cross-neuron sums' inputs stopped), and the
generic stops equal ``stop_gradient`` written by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import online
from spikead.online import _jacobians

from .helpers import spike, spike_count

N, M, K, T = 16, 6, 3, 50
SEEDS = (0, 1, 2)
BETA = jnp.linspace(0.8, 0.95, N)  # per-neuron decays: per-neuron traces
RHO = jnp.linspace(0.9, 0.97, N)
LATERAL = 0.2 * (jnp.ones((N, N)) - jnp.eye(N))


def _stop(a, stop):
    return jax.lax.stop_gradient(a) if stop else a


def _lif(p, s, x, stop=False):
    """Recurrent LIF, reset by subtraction with its gradient kept."""
    v, z = s
    v = BETA * v + p["w_in"] @ x + p["w_rec"] @ _stop(z, stop) - z
    z = spike(v - 1.0)
    return (v, z), p["w_out"] @ z


def _alif(p, s, x, stop=False):
    """Recurrent ALIF, reset to zero; adaptation and reset through the neuron's own spike."""
    v, a, z = s
    a = RHO * a + z
    v = BETA * v * (1.0 - z) + p["w_in"] @ x + p["w_rec"] @ _stop(z, stop)
    z = spike(v - 1.0 - 0.3 * a)
    return (v, a, z), p["w_out"] @ z


def _lateral(p, s, x, stop=False):
    """LIF whose neurons inhibit each other: v - L @ relu(v) (no recurrent weights)."""
    v, z = s
    v = BETA * v - LATERAL @ _stop(jax.nn.relu(v), stop) + p["w_in"] @ x - z
    z = spike(v - 1.0)
    return (v, z), p["w_out"] @ z


STEPS = {"lif": (_lif, 2), "alif": (_alif, 3), "lateral": (_lateral, 2)}


def _case(name, seed, batch=None):
    step, n_state = STEPS[name]
    k_in, k_rec, k_out, k_task = jax.random.split(jax.random.key(seed), 4)
    params = {
        "w_in": 1.5 * jax.random.normal(k_in, (N, M)),
        "w_out": jax.random.normal(k_out, (K, N)) / np.sqrt(N),
    }
    if name != "lateral":
        params["w_rec"] = jax.random.normal(k_rec, (N, N)) / np.sqrt(N)
    xs, targets = online.random_task(k_task, M, K, T, batch=batch, rate=0.4)
    state0 = (jnp.zeros(N),) * n_state
    if batch is not None:
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch, N)), state0)
    return step, params, state0, xs, targets


def _rel_l2(a, b):
    return {k: online.compare(a[k], b[k])["rel_l2"] for k in b}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_sparse_eprop_equals_the_reference(name):
    """float64, T = 50, N = 16, three seeds (one compile each): <= 1e-10 relative L2 per leaf."""
    with jax.enable_x64(True):
        _check_eprop_equals_the_reference(name)


def _check_eprop_equals_the_reference(name):
    step = STEPS[name][0]
    by_hand = lambda p, s, x: step(p, s, x, stop=True)
    sparse = jax.jit(online.value_and_grad(step, online.mse, approximation="eprop"))
    reference = jax.jit(online.eprop_reference_value_and_grad(step, online.mse))
    hand = jax.jit(online.value_and_grad(by_hand, online.mse, "bptt"))
    for seed in SEEDS:
        _, params, state0, xs, targets = _case(name, seed)
        assert 0 < spike_count(step, params, state0, xs) < 0.8 * N * T
        (l_s, g_s), (l_r, g_r), (_, g_h) = (
            fn(params, state0, xs, targets) for fn in (sparse, reference, hand)
        )
        assert abs(float(l_s - l_r)) <= 1e-12 * abs(float(l_r))
        assert max(_rel_l2(g_s, g_r).values()) < 1e-10, (seed, _rel_l2(g_s, g_r))
        # the generic stops are the hand-written ones (the same program: equal to rounding)
        assert max(_rel_l2(g_r, g_h).values()) < 1e-12, (seed, _rel_l2(g_r, g_h))
    # e-prop is an approximation here, not BPTT
    g_b = jax.jit(online.value_and_grad(step, online.mse, "bptt"))(params, state0, xs, targets)[1]
    assert _rel_l2(g_r, g_b)["w_in"] > 1e-3, _rel_l2(g_r, g_b)


def test_batched_eprop_jvp_source():
    """Batched, time-major, ALIF, Jacobians by JVPs (the engine's, the default for these
    steps, is `test_sparse_eprop_equals_the_reference`)."""
    step, params, state0, xs, targets = _case("alif", 7, batch=3)
    xs, targets = jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1)
    ref = jax.jit(
        online.eprop_reference_value_and_grad(step, online.mse, batched=True, time_major=True)
    )(params, state0, xs, targets)
    got = jax.jit(
        online.value_and_grad(
            step, online.mse, batched=True, time_major=True, jacobians="jvp", approximation="eprop"
        )
    )(params, state0, xs, targets)
    assert max(_rel_l2(got[1], ref[1]).values()) < 1e-5


def test_stops_are_placed_on_the_summed_operand_only():
    _, params, state0, xs, _ = _case("alif", 0)
    stopped = online.eprop_step(_alif, params, state0, xs[0])
    assert len(stopped.stops) == 1
    stop = stopped.stops[0]
    assert stop.primitive == "dot_general" and stop.states == (2,)
    assert 'p["w_rec"] @ _stop(z, stop)' in stop.line
    # values are unchanged
    a, b = stopped(params, state0, xs[0]), _alif(params, state0, xs[0])
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(u, v)
    # the readout's sum over neurons (W_out @ z_t) is not on the state path: not stopped
    assert all(s.eqn != len(stopped.closed.jaxpr.eqns) - 1 for s in stopped.stops)
    # the sparse plan is the e-prop step's, whose Jacobians the engine gives by default
    plan = online.make_plan(_alif, params, state0, xs[0])
    assert not plan.exact and plan.step.stops == stopped.stops
    assert _jacobians.choose_source("auto", plan, params, state0, xs[0]) == "engine"


def test_a_sum_behind_stop_gradient_is_not_stopped():
    """A state that accumulates ``stop_gradient(W_out @ z_t)`` (e.g. a prediction count)
    needs the readout's sum for its value only: the readout keeps its derivative (stopping
    it would zero the learning signal) and the gradient is the plain step's."""

    def counting(p, s, x):
        *inner, total = s
        new, y = _alif(p, tuple(inner), x)
        return (*new, total + jax.lax.stop_gradient(y)), y

    _, params, state0, xs, targets = _case("alif", 1)
    assert len(online.eprop_step(counting, params, (*state0, jnp.zeros(K)), xs[0]).stops) == 1
    got = online.value_and_grad(counting, online.mse, approximation="eprop")(
        params, (*state0, jnp.zeros(K)), xs, targets
    )
    want = online.value_and_grad(_alif, online.mse, approximation="eprop")(
        params, state0, xs, targets
    )
    assert max(_rel_l2(got[1], want[1]).values()) < 1e-6


def _two_layers(p, s, x, stop_top=False, stop_rec=False):
    """Two recurrent LIF layers, layer 2 reading layer 1's new spikes; ``stop_top`` stops
    layer 2's previous state, ``stop_rec`` the recurrent synapses' input (Bellec)."""
    v1, z1, v2, z2 = s
    v1 = BETA * v1 + p["w1"] @ x + p["r1"] @ _stop(z1, stop_rec) - z1
    z1 = spike(v1 - 1.0)
    v2 = (
        BETA * _stop(v2, stop_top)
        + p["w2"] @ z1
        + p["r2"] @ _stop(z2, stop_top or stop_rec)
        - _stop(z2, stop_top)
    )
    z2 = spike(v2 - 1.0)
    return (v1, z1, v2, z2), p["w_out"] @ z2


def test_deep_step_is_per_layer_eprop():
    """Layer 2's input ``w2 @ z1_t`` sums layer 1's state AND carries w1, r1: stopped on the
    way to the new state only. Layer 1's weights get BPTT's gradient with layer 2's previous
    state and the recurrent inputs stopped; layer 2's with the recurrent inputs stopped
    (Bellec within the layer); w_out stays exact (float32, T = 50, N = 16, <= 1e-5)."""
    k = jax.random.split(jax.random.key(5), 6)
    params = {
        "w1": 1.5 * jax.random.normal(k[0], (N, M)),
        "r1": jax.random.normal(k[1], (N, N)) / np.sqrt(N),
        "w2": 2.0 * jax.random.normal(k[2], (N, N)) / np.sqrt(N),
        "r2": jax.random.normal(k[3], (N, N)) / np.sqrt(N),
        "w_out": jax.random.normal(k[4], (K, N)) / np.sqrt(N),
    }
    xs, targets = online.random_task(k[5], M, K, T, rate=0.4)
    state0 = (jnp.zeros(N),) * 4
    spikes = jax.lax.scan(lambda s, x: (_two_layers(params, s, x)[0],) * 2, state0, xs)[1]
    assert 0 < float(spikes[1].sum()) < 0.8 * N * T and 0 < float(spikes[3].sum()) < 0.8 * N * T
    stops = online.eprop_step(_two_layers, params, state0, xs[0]).stops
    assert sorted(s.params for s in stops) == [(), (), (0, 2)]  # w1, r1 inside w2 @ z1_t
    got = jax.jit(online.value_and_grad(_two_layers, online.mse, approximation="eprop"))(
        params, state0, xs, targets
    )[1]
    ref = jax.jit(online.eprop_reference_value_and_grad(_two_layers, online.mse))(
        params, state0, xs, targets
    )[1]

    def bptt(**stop):
        fn = lambda p, s, x: _two_layers(p, s, x, **stop)
        return jax.jit(online.value_and_grad(fn, online.mse, "bptt"))(params, state0, xs, targets)[
            1
        ]

    exact, lower, upper = bptt(), bptt(stop_top=True, stop_rec=True), bptt(stop_rec=True)
    to_lower, to_upper, to_exact = _rel_l2(got, lower), _rel_l2(got, upper), _rel_l2(got, exact)
    assert max(_rel_l2(got, ref).values()) < 1e-5, _rel_l2(got, ref)
    assert max(to_lower["w1"], to_lower["r1"]) < 1e-5, to_lower
    assert max(to_upper["w2"], to_upper["r2"], to_upper["w_out"]) < 1e-5, to_upper
    assert to_exact["w_out"] < 1e-5, to_exact
    assert to_exact["w1"] > 1e-2 and to_upper["w1"] > 1e-2  # the approximations are real


def test_exact_step_has_no_stops_and_its_reference_is_bptt():
    net, params = online.make_single_layer("alif", M, 5, K, key=jax.random.key(3))
    xs, targets = online.random_task(jax.random.key(4), M, K, 10, rate=0.4)
    assert online.eprop_step(net.step, params, net.init_state(), xs[0]).stops == ()
    ref = jax.jit(online.eprop_reference_value_and_grad(net.step, online.mse))(
        params, net.init_state(), xs, targets
    )
    bptt = jax.jit(online.value_and_grad(net.step, online.mse, "bptt"))(
        params, net.init_state(), xs, targets
    )
    assert max(_rel_l2(ref[1], bptt[1]).values()) < 1e-6


def test_reference_refuses_to_drop_parameter_paths():
    def step(p, s, x):
        (h,) = s
        h = 0.9 * h + p["r2"] @ (h * p["g"]) + p["w"] @ x  # param inside the synaptic sum
        return (h,), p["r"] @ h

    params = {"w": jnp.ones((5, 3)), "r": jnp.ones((2, 5)), "r2": jnp.eye(5), "g": jnp.ones(5)}
    with pytest.raises(online.UnsupportedStepError, match="parameter"):
        online.eprop_reference_value_and_grad(step, online.mse)(
            params, (jnp.zeros(5),), jnp.ones((4, 3)), jnp.zeros((4, 2))
        )
