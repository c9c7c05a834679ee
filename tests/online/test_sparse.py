"""Sparse online gradients equal BPTT when no neuron reads another neuron's state."""

import jax
import jax.numpy as jnp
import pytest

from spikead import online
from spikead.bench.online import alif_eprop_value_and_grad

from .helpers import assert_grads_close, run_both, spike, spike_count

# (neuron, kwargs, seed, N, T): seeds, widths and lengths vary across the cases
CASES = [
    ("lif", {"reset": "zero"}, 0, 7, 25),
    ("lif", {"reset": "subtract"}, 1, 16, 60),
    ("lif", {"reset": "subtract", "stop_reset_grad": True}, 2, 9, 40),
    ("cuba_lif", {}, 3, 12, 50),
    ("alif", {}, 4, 16, 60),
    ("alif", {"reset": "zero"}, 5, 7, 30),
    ("adlif", {"gain": 40.0}, 6, 10, 50),
]
SLOW_CASES = [
    ("lif", {"reset": "zero"}, 10, 32, 120),
    ("alif", {}, 11, 5, 200),
    ("adlif", {"gain": 40.0}, 12, 24, 100),
]


def _check(neuron, kwargs, seed, n, T):
    key = jax.random.key(seed)
    k_net, k_task = jax.random.split(key)
    m, k = 9, 3
    net, params = online.make_single_layer(neuron, m, n, k, key=k_net, **kwargs)
    xs, targets = online.random_task(k_task, m, k, T, rate=0.3)
    state0 = net.init_state()
    spikes = spike_count(net.step, params, state0, xs)
    assert 0 < spikes < n * T, f"test needs some spikes (and resets), got {spikes}"
    a, b = run_both(net.step, params, state0, xs, targets)
    assert_grads_close(a, b)
    assert online.make_plan(net.step, params, state0, xs[0]).exact


@pytest.mark.parametrize("neuron,kwargs,seed,n,T", CASES)
def test_sparse_equals_bptt_single_layer(neuron, kwargs, seed, n, T):
    _check(neuron, kwargs, seed, n, T)


@pytest.mark.slow
@pytest.mark.parametrize("neuron,kwargs,seed,n,T", SLOW_CASES)
def test_sparse_equals_bptt_more_seeds(neuron, kwargs, seed, n, T):
    _check(neuron, kwargs, seed, n, T)


def quadratic_step(params, state, x):
    """A two-variable quadratic integrate-and-fire neuron with recovery variable (plain JAX).

    Learnable per-neuron time constant ``tau`` (N,) and a scalar input gain.
    """
    v, w, z = state
    v = v * (1.0 - z) - 0.3 * z  # reset to -0.3 on the previous spike
    drive = params["gain"] * (params["w_in"] @ x)
    v_new = v + params["tau"] * (0.5 * v * v - w) + drive
    w_new = 0.8 * w + 0.2 * v + 0.1 * z
    z_new = spike(v_new - 1.0)
    return (v_new, w_new, z_new), params["w_out"] @ z_new


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_user_defined_neuron(seed):
    n, m, k, T = 11, 6, 2, 40
    keys = jax.random.split(jax.random.key(seed), 4)
    params = {
        "w_in": 0.8 * jax.random.normal(keys[0], (n, m)),
        "w_out": jax.random.normal(keys[1], (k, n)),
        "tau": jax.random.uniform(keys[2], (n,), minval=0.05, maxval=0.2),
        "gain": jnp.asarray(1.2),
    }
    xs, targets = online.random_task(keys[3], m, k, T, rate=0.4)
    state0 = tuple(jnp.zeros(n) for _ in range(3))
    assert spike_count(quadratic_step, params, state0, xs) > 0
    a, b = run_both(quadratic_step, params, state0, xs, targets)
    assert_grads_close(a, b)
    plan = online.make_plan(quadratic_step, params, state0, xs[0])
    assert plan.exact


def test_batched_sums_per_sample():
    n, m, k, T, B = 8, 5, 2, 20, 3
    net, params = online.make_single_layer("alif", m, n, k, key=jax.random.key(3))
    xs, targets = online.random_task(jax.random.key(4), m, k, T, batch=B, rate=0.3)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    a = jax.jit(online.value_and_grad(net.step, online.mse, "sparse", batched=True))(
        params, state0, xs, targets
    )
    b = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    assert_grads_close(a, b)
    one = online.scan_loss(net.step, online.mse, params, net.init_state(), xs[0], targets[0])
    assert not jnp.allclose(one, a[0])  # the batch really sums several samples


def test_jit_and_hand_written_alif():
    n, m, k, T = 10, 7, 3, 50
    net, params = online.make_single_layer("alif", m, n, k, key=jax.random.key(5))
    xs, targets = online.random_task(jax.random.key(6), m, k, T, rate=0.3)
    state0 = net.init_state()
    sparse = jax.jit(online.value_and_grad(net.step, online.mse, "sparse"))(
        params, state0, xs, targets
    )
    hand = jax.jit(alif_eprop_value_and_grad(net, online.mse))(params, state0, xs, targets)
    bptt = jax.jit(online.value_and_grad(net.step, online.mse, "bptt"))(params, state0, xs, targets)
    assert_grads_close(sparse, bptt)
    assert_grads_close(hand, bptt)


@pytest.mark.parametrize("case", ["alif", "quadratic"])
def test_jvp_and_engine_jacobians_agree(case):
    """Both value sources of the per-step blocks give the BPTT gradient."""
    if case == "alif":
        net, params = online.make_single_layer("alif", 6, 9, 2, key=jax.random.key(7))
        step, state0 = net.step, net.init_state()
        xs, targets = online.random_task(jax.random.key(8), 6, 2, 30, rate=0.3)
    else:
        n, m = 8, 5
        keys = jax.random.split(jax.random.key(9), 3)
        params = {
            "w_in": 0.8 * jax.random.normal(keys[0], (n, m)),
            "w_out": jax.random.normal(keys[1], (2, n)),
            "tau": jnp.full((n,), 0.1),
            "gain": jnp.asarray(1.0),
        }
        step, state0 = quadratic_step, tuple(jnp.zeros(n) for _ in range(3))
        xs, targets = online.random_task(keys[2], m, 2, 30, rate=0.4)
    ref = jax.jit(online.value_and_grad(step, online.mse, "bptt"))(params, state0, xs, targets)
    for source in ("jvp", "engine"):
        out = jax.jit(online.value_and_grad(step, online.mse, "sparse", jacobians=source))(
            params, state0, xs, targets
        )
        assert_grads_close(out, ref)
