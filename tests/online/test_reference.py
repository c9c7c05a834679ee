"""Dense and RTRL gradients equal BPTT; with recurrent weights e-prop (sparse) does not."""

import jax
import pytest

from spikead import online

from .helpers import assert_grads_close, run_both, spike_count


@pytest.mark.parametrize("neuron,recurrent", [("lif", True), ("alif", False),
                                               pytest.param("alif", True, marks=pytest.mark.slow)])
def test_dense_and_rtrl_equal_bptt(neuron, recurrent):
    m, n, k, T = 5, 6, 2, 20
    net, params = online.make_single_layer(neuron, m, n, k, key=jax.random.key(0), recurrent=recurrent)
    xs, targets = online.random_task(jax.random.key(1), m, k, T, rate=0.3)
    state0 = net.init_state()
    assert spike_count(net.step, params, state0, xs) > 0
    for method in ("dense", "rtrl"):
        a, b = run_both(net.step, params, state0, xs, targets, method=method)
        assert_grads_close(a, b)


@pytest.mark.parametrize("neuron", ["alif", pytest.param("lif", marks=pytest.mark.slow)])
def test_sparse_with_recurrence_is_eprop(neuron):
    m, n, k, T = 5, 12, 2, 40
    net, params = online.make_single_layer(neuron, m, n, k, key=jax.random.key(2), recurrent=True)
    xs, targets = online.random_task(jax.random.key(3), m, k, T, rate=0.3)
    state0 = net.init_state()
    plan = online.make_plan(net.step, params, state0, xs[0])
    assert not plan.exact and plan.cuts
    (la, ga), (lb, gb) = run_both(net.step, params, state0, xs, targets)
    assert abs(float(la - lb)) < 1e-4 * abs(float(lb))  # the loss itself is exact
    cos_in = online.cosine(ga["w_in"], gb["w_in"])
    cos_rec = online.cosine(ga["w_rec"], gb["w_rec"])
    assert cos_in < 1 - 1e-6 and cos_rec < 1 - 1e-6
    assert cos_in > 0.5  # an approximation, not noise
    # the readout gradient only needs J[y_t, .]: exact
    assert online.compare(ga["w_out"], gb["w_out"])["rel_l2"] < 1e-4
