"""The hand-written exact e-prop (memory_scaling's floor): equal to BPTT per sample, and its
batched form (one scan over B) equal to the vmap of per-sample gradients it replaced."""

import jax
import jax.numpy as jnp
import pytest
from online.helpers import assert_grads_close  # tests/online/helpers.py (tests/ is on sys.path)

from spikead import online
from spikead.bench.online import handwritten_eprop_value_and_grad

# (neuron, kwargs, seed): one compile per case keeps the file cheap; seeds differ per case
NEURONS = [
    ("alif", {}, 0),
    ("alif", {"reset": "zero"}, 1),
    ("lif", {}, 2),  # the paper's LIF: reset to zero
    ("lif", {"reset": "subtract"}, 3),
    ("lif", {"reset": "subtract", "stop_reset_grad": True}, 4),
    ("alif", {"reset": "zero", "stop_reset_grad": True}, 5),
]


def _case(neuron, kwargs, seed, n=9, m=6, k=3, T=40, batch=None):
    net, params = online.make_single_layer(neuron, m, n, k, key=jax.random.key(seed), **kwargs)
    xs, targets = online.random_task(jax.random.key(seed + 100), m, k, T, batch=batch, rate=0.3)
    return net, params, xs, targets


@pytest.mark.parametrize(("neuron", "kwargs", "seed"), NEURONS)
def test_per_sample_equals_bptt(neuron, kwargs, seed):
    net, params, xs, targets = _case(neuron, kwargs, seed)
    state0 = net.init_state()
    hand = jax.jit(handwritten_eprop_value_and_grad(net, online.mse))(params, state0, xs, targets)
    bptt = jax.jit(online.value_and_grad(net.step, online.mse, "bptt"))(params, state0, xs, targets)
    assert float(jnp.abs(hand[1]["w_in"]).max()) > 0  # some neuron spiked: a real check
    assert_grads_close(hand, bptt)


@pytest.mark.parametrize(("neuron", "kwargs", "seed"), NEURONS)
def test_batched_equals_vmap_of_per_sample(neuron, kwargs, seed):
    n, m, batch = (9, 6, 4) if seed % 2 else (5, 11, 3)
    net, params, xs, targets = _case(neuron, kwargs, seed, n=n, m=m, T=30, batch=batch)
    xs, targets = jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1)  # time-major
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch, *a.shape)), net.init_state())
    one = handwritten_eprop_value_and_grad(net, online.mse)

    @jax.jit
    def old(p, st, x, t):  # the former memory_scaling baseline: vmap of per-sample grads
        losses, grads = jax.vmap(one, in_axes=(None, 0, 1, 1))(p, st, x, t)
        return jnp.sum(losses), jax.tree.map(lambda g: jnp.sum(g, 0), grads)

    new = jax.jit(handwritten_eprop_value_and_grad(net, online.mse, batched=True))
    assert_grads_close(
        new(params, state0, xs, targets), old(params, state0, xs, targets), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(("neuron", "recurrent"), [("sigma_delta", False), ("lif", True)])
def test_other_layers_are_refused(neuron, recurrent):
    net, _ = online.make_single_layer(neuron, 3, 4, 2, key=jax.random.key(0), recurrent=recurrent)
    with pytest.raises(TypeError, match="non-recurrent LIF or ALIF"):
        handwritten_eprop_value_and_grad(net, online.mse)
