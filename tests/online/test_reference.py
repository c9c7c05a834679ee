"""Reference methods: dense and RTRL equal BPTT; batched BPTT is the standard one-scan form;
with recurrent weights e-prop (sparse, opted in) does not equal BPTT."""

import jax
import jax.numpy as jnp
import pytest

from spikead import online

from .helpers import assert_grads_close, run_both, spike_count


@pytest.mark.parametrize(
    "neuron,recurrent",
    [("lif", True), ("alif", False), pytest.param("alif", True, marks=pytest.mark.slow)],
)
def test_dense_and_rtrl_equal_bptt(neuron, recurrent):
    m, n, k, T = 5, 6, 2, 20
    net, params = online.make_single_layer(
        neuron, m, n, k, key=jax.random.key(0), recurrent=recurrent
    )
    xs, targets = online.random_task(jax.random.key(1), m, k, T, rate=0.3)
    state0 = net.init_state()
    assert spike_count(net.step, params, state0, xs) > 0
    for method in ("dense", "rtrl"):
        a, b = run_both(net.step, params, state0, xs, targets, method=method)
        assert_grads_close(a, b)


def _standard_bptt(step, loss, params, state0, xs, targets):
    """The batched BPTT a user writes by hand: one gradient of the batch loss through one
    scan of the vmapped step (xs: B x T x ...)."""

    def batch_loss(p):
        def body(state, inp):
            x, target = inp
            state, y = jax.vmap(step, in_axes=(None, 0, 0))(p, state, x)
            return state, jnp.sum(jax.vmap(loss)(y, target))

        _, losses = jax.lax.scan(
            body, state0, (jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1))
        )
        return jnp.sum(losses)

    return jax.value_and_grad(batch_loss)(params)


def _vmap_of_per_sample(step, loss, params, state0, xs, targets):
    """The former batched form: `vmap` of per-sample BPTT gradients, summed."""
    one = online.value_and_grad(step, loss, "bptt")
    losses, grads = jax.vmap(one, in_axes=(None, 0, 0, 0))(params, state0, xs, targets)
    return jnp.sum(losses), jax.tree.map(lambda g: jnp.sum(g, 0), grads)


def test_batched_bptt_is_the_standard_form():
    B, m, n, k, T = 5, 6, 7, 3, 20
    k_net, k_task = jax.random.split(jax.random.key(2))
    net, params = online.make_single_layer("lif", m, n, k, key=k_net, recurrent=True)
    xs, targets = online.random_task(k_task, m, k, T, batch=B, rate=0.3)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    assert spike_count(net.step, params, net.init_state(), xs[0]) > 0
    ours = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    ours_tm = jax.jit(
        online.value_and_grad(net.step, online.mse, "bptt", batched=True, time_major=True)
    )(params, state0, jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1))
    hand = jax.jit(_standard_bptt, static_argnums=(0, 1))(
        net.step, online.mse, params, state0, xs, targets
    )
    old = jax.jit(_vmap_of_per_sample, static_argnums=(0, 1))(
        net.step, online.mse, params, state0, xs, targets
    )
    for other in (ours_tm, hand, old):
        assert_grads_close(ours, other, rtol=1e-5, atol=1e-6)
    # one gradient through ONE scan of the batched step: the jaxpr has a single forward scan
    jaxpr = jax.make_jaxpr(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    assert len(scans) == 2  # forward and its transpose
    assert not any(e.primitive.name == "scan" and e.params["length"] == B for e in jaxpr.jaxpr.eqns)


@pytest.mark.parametrize("method,time_major", [("dense", True), ("rtrl", False)])
def test_batched_dense_and_rtrl_scan_the_batch(method, time_major):
    m, n, k, T, B = 4, 5, 2, 15, 3
    net, params = online.make_single_layer("lif", m, n, k, key=jax.random.key(3))
    xs, targets = online.random_task(jax.random.key(4), m, k, T, batch=B, rate=0.4)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    ref = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    args = (jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1)) if time_major else (xs, targets)
    out = jax.jit(
        online.value_and_grad(net.step, online.mse, method, batched=True, time_major=time_major)
    )(params, state0, *args)
    assert_grads_close(out, ref)


@pytest.mark.parametrize("neuron", ["alif", pytest.param("lif", marks=pytest.mark.slow)])
def test_sparse_with_recurrence_is_eprop(neuron):
    m, n, k, T = 5, 12, 2, 40
    net, params = online.make_single_layer(neuron, m, n, k, key=jax.random.key(2), recurrent=True)
    xs, targets = online.random_task(jax.random.key(3), m, k, T, rate=0.3)
    state0 = net.init_state()
    plan = online.make_plan(net.step, params, state0, xs[0])
    assert not plan.exact and plan.cuts
    sparse = online.value_and_grad(net.step, online.mse, "sparse", approximation="eprop")
    la, ga = jax.jit(sparse)(params, state0, xs, targets)
    lb, gb = jax.jit(online.value_and_grad(net.step, online.mse, "bptt"))(
        params, state0, xs, targets
    )
    assert abs(float(la - lb)) < 1e-4 * abs(float(lb))  # the loss itself is exact
    cos_in = online.cosine(ga["w_in"], gb["w_in"])
    cos_rec = online.cosine(ga["w_rec"], gb["w_rec"])
    assert cos_in < 1 - 1e-6 and cos_rec < 1 - 1e-6
    assert cos_in > 0.5  # an approximation, not noise
    # the readout gradient only needs J[y_t, .]: exact
    assert online.compare(ga["w_out"], gb["w_out"])["rel_l2"] < 1e-4
    _, ge = jax.jit(online.eprop_reference_value_and_grad(net.step, online.mse))(
        params, state0, xs, targets
    )
    for name in ge:  # and it IS e-prop (Bellec's, by jax.grad with stop_gradient)
        assert online.compare(ga[name], ge[name])["rel_l2"] < 1e-5, name
