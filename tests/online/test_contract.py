"""The exactness contract: approximate steps need ``approximation="eprop"``; exact ones stay exact."""

from unittest import mock

import jax
import jax.numpy as jnp
import pytest

from spikead import online
from spikead.online import _jacobians, _sparse

from .helpers import assert_grads_close, run_both, spike, spike_count

N, M, K, T = 7, 4, 2, 25
LATERAL = 0.3 * (jnp.ones((N, N)) - jnp.eye(N))


def _lateral_lif(p, s, x, cut=False):
    """LIF (subtractive reset) whose neurons inhibit each other: v - L @ relu(v)."""
    v, z = s
    inhibition = jax.nn.relu(jax.lax.stop_gradient(v) if cut else v)
    v = 0.9 * v - LATERAL @ inhibition + p["w_in"] @ x - z
    z = spike(v - 1.0)
    return (v, z), p["w_out"] @ z


def _lateral_case(seed=0):
    k_in, k_out, k_task = jax.random.split(jax.random.key(seed), 3)
    params = {
        "w_in": 2.0 * jax.random.normal(k_in, (N, M)),
        "w_out": jax.random.normal(k_out, (K, N)),
    }
    xs, targets = online.random_task(k_task, M, K, T, rate=0.4)
    return params, (jnp.zeros(N), jnp.zeros(N)), xs, targets


def _recurrent_case(neuron, seed=1):
    k_net, k_task = jax.random.split(jax.random.key(seed))
    net, params = online.make_single_layer(neuron, M, N, K, key=k_net, recurrent=True)

    def cut_step(p, s, x):  # the same step with the recurrent synaptic sum's input stopped
        current = p["w_in"] @ x + p["w_rec"] @ jax.lax.stop_gradient(s[-1])
        s, z = net.neuron(s, current)
        return s, p["w_out"] @ z

    xs, targets = online.random_task(k_task, M, K, T, rate=0.4)
    return net.step, cut_step, params, net.init_state(), xs, targets


def _eprop_reference(step, params, state0, xs, targets):
    return jax.jit(online.eprop_reference_value_and_grad(step, online.mse))(
        params, state0, xs, targets
    )


def test_lateral_inhibition_needs_the_opt_in():
    params, state0, xs, targets = _lateral_case()
    assert 0 < spike_count(_lateral_lif, params, state0, xs) < N * T
    c = online.classify(_lateral_lif, params, state0, xs[0])
    assert c.kind == "approximate" and len(c.couplings) == 1
    assert "dot_general" in c.couplings[0] and "LATERAL @ inhibition" in c.couplings[0]
    with pytest.raises(online.ApproximationRequiredError) as err:
        online.value_and_grad(_lateral_lif, online.mse)(params, state0, xs, targets)
    message = str(err.value)
    for needed in (
        "dot_general",
        "equation",
        "state[0]",
        "LATERAL @ inhibition",
        "approximation='eprop'",
        "method='bptt'",
    ):
        assert needed in message, (needed, message)

    fn = online.value_and_grad(_lateral_lif, online.mse, approximation="eprop")
    got = jax.jit(fn)(params, state0, xs, targets)
    cut = lambda p, s, x: _lateral_lif(p, s, x, cut=True)
    by_hand = jax.jit(online.value_and_grad(cut, online.mse, "bptt"))(params, state0, xs, targets)
    assert_grads_close(got, by_hand, rtol=1e-5, atol=1e-6)
    assert_grads_close(
        _eprop_reference(_lateral_lif, params, state0, xs, targets), by_hand, rtol=1e-6, atol=1e-7
    )
    _, exact = jax.jit(online.value_and_grad(_lateral_lif, online.mse, "bptt"))(
        params, state0, xs, targets
    )
    assert online.cosine(got[1]["w_in"], exact["w_in"]) < 1 - 1e-5  # really an approximation


def test_recurrent_synapses_need_the_opt_in():
    """LIF of `spikead.snn` here; recurrent ALIF: test_reference.py::
    test_sparse_with_recurrence_is_eprop; hand-written LIF / ALIF / lateral: test_eprop.py."""
    step, cut_step, params, state0, xs, targets = _recurrent_case("lif")
    assert spike_count(step, params, state0, xs) > 0
    c = online.classify(step, params, state0, xs[0])
    assert c.kind == "approximate" and 'params["w_rec"] @ state[-1]' in c.reason
    with pytest.raises(online.ApproximationRequiredError, match="approximation='eprop'"):
        online.value_and_grad(step, online.mse, batched=False)(params, state0, xs, targets)
    fn = online.value_and_grad(step, online.mse, approximation="eprop")
    got = jax.jit(fn)(params, state0, xs, targets)
    by_hand = jax.jit(online.value_and_grad(cut_step, online.mse, "bptt"))(
        params, state0, xs, targets
    )
    assert_grads_close(got, by_hand, rtol=1e-5, atol=1e-6)
    assert_grads_close(
        _eprop_reference(step, params, state0, xs, targets), by_hand, rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize(
    "neuron,kwargs,kind",
    [
        ("lif", {"reset": "subtract", "stop_reset_grad": True}, "exact-factorised"),
        ("lif", {"reset": "zero"}, "exact"),
        ("alif", {}, "exact"),
    ],
)
def test_feed_forward_steps_are_exact(neuron, kwargs, kind):
    """Classified exact; that their sparse gradient (no opt-in) equals BPTT is
    test_sparse.py's `test_sparse_equals_bptt_single_layer` (the same neurons)."""
    net, params = online.make_single_layer(neuron, M, N, K, key=jax.random.key(3), **kwargs)
    c = online.classify(net.step, params, net.init_state(), jnp.zeros(M))
    assert c.kind == kind and not c.couplings, c
    assert "equals BPTT" in c.reason


def test_opt_in_leaves_exact_steps_exact():
    net, params = online.make_single_layer("alif", M, N, K, key=jax.random.key(4))
    xs, targets = online.random_task(jax.random.key(5), M, K, T, rate=0.4)
    fn = online.value_and_grad(net.step, online.mse, approximation="eprop")
    a = jax.jit(fn)(params, net.init_state(), xs, targets)
    b = jax.jit(online.value_and_grad(net.step, online.mse, "bptt"))(
        params, net.init_state(), xs, targets
    )
    assert_grads_close(a, b)


def test_bad_approximation_values():
    step = lambda p, s, x: (s, x)
    with pytest.raises(ValueError, match="'eprop'"):
        online.value_and_grad(step, online.mse, approximation="bellec")
    with pytest.raises(online.UnknownMethodError, match="sparse"):
        online.value_and_grad(step, online.mse, "bptt", approximation="eprop")


def test_float64_sparse_equals_float64_bptt():
    """ALIF: per-neuron traces, per-sample accumulators and the direct gradient in float64."""
    with jax.enable_x64(True):
        k_net, k_task = jax.random.split(jax.random.key(6))
        net, params = online.make_single_layer("alif", M, N, K, key=k_net)
        xs, targets = online.random_task(k_task, M, K, 15, batch=2, rate=0.4)
        to64 = lambda tree: jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), tree)
        params, xs, targets = to64(params), to64(xs), to64(targets)
        state0 = to64(jax.tree.map(lambda a: jnp.broadcast_to(a, (2, *a.shape)), net.init_state()))
        (la, ga), (lb, gb) = (
            jax.jit(online.value_and_grad(net.step, online.mse, method, batched=True))(
                params, state0, xs, targets
            )
            for method in ("sparse", "bptt")
        )
        assert la.dtype == jnp.float64 and all(g.dtype == jnp.float64 for g in jax.tree.leaves(ga))
        assert abs(float(la - lb)) <= 1e-10 * abs(float(lb))
        for name in gb:
            assert online.compare(ga[name], gb[name])["rel_l2"] < 1e-10, name


def _sorting_step(p, s, x):
    """An exact step with a primitive `spikead.ad` has no rule for (``sort``, on the input:
    no derivative flows through it)."""
    (v,) = s
    v = 0.9 * v + jnp.tanh(p["w"] @ jnp.sort(x))
    return (v,), p["r"] @ v


def _sorting_case():
    params = {"w": 0.5 * jax.random.normal(jax.random.key(7), (N, M)), "r": jnp.ones((K, N))}
    xs = jax.random.normal(jax.random.key(8), (9, M))
    return params, (jnp.zeros(N),), xs, jnp.zeros((9, K))


def test_auto_source_is_chosen_from_primitives_and_engine_errors_propagate():
    params, state0, xs, targets = _sorting_case()
    plan = online.make_plan(_sorting_step, params, state0, xs[0])
    assert _jacobians.choose_source("auto", plan, params, state0, xs[0]) == "jvp"
    a, b = run_both(_sorting_step, params, state0, xs, targets)
    assert_grads_close(a, b)
    # "auto" on a step with engine rules uses the engine, and its failure is not swallowed
    net, p2 = online.make_single_layer("alif", M, N, K, key=jax.random.key(9))
    with (
        mock.patch.object(_jacobians, "engine_jacobians", side_effect=RuntimeError("engine broke")),
        pytest.raises(RuntimeError, match="engine broke"),
    ):
        jax.eval_shape(
            online.value_and_grad(net.step, online.mse),
            p2,
            net.init_state(),
            xs[:, :M],
            jnp.zeros((9, K)),
        )


def test_plan_is_built_once_per_argument_shapes():
    net, params = online.make_single_layer("lif", M, N, K, key=jax.random.key(10))
    xs, targets = online.random_task(jax.random.key(11), M, K, T, batch=2)
    state = lambda b: jax.tree.map(lambda a: jnp.broadcast_to(a, (b, *a.shape)), net.init_state())
    fn = online.value_and_grad(net.step, online.mse, batched=True)
    with mock.patch.object(_sparse, "make_plan", wraps=_sparse.make_plan) as spy:
        jax.eval_shape(fn, params, state(2), xs, targets)
        jax.eval_shape(fn, params, state(2), xs, targets)
        jax.eval_shape(fn, params, state(1), xs[:1, :5], targets[:1, :5])  # same per-sample shapes
        assert spy.call_count == 1
        wider = dict(params, w_out=jnp.zeros((K + 1, N)))  # another param shape
        jax.eval_shape(fn, wider, state(2), xs, jnp.zeros((2, T, K + 1)))
        assert spy.call_count == 2
