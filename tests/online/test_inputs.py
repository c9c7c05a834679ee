"""The sparse path reads its input sequences in place: every layout gives the same gradient,
and no compiled temporary grows with T (no copy of the inputs, no per-step outputs)."""

import jax
import jax.numpy as jnp
import pytest

from spikead import bench, online
from spikead.online._sparse import sparse_value_and_grad

from .helpers import assert_grads_close

N, M, K, B = 9, 6, 3, 3


def _net(neuron, **kwargs):
    return online.make_single_layer(neuron, M, N, K, key=jax.random.key(1), **kwargs)


def test_layouts_agree_with_per_sample_and_bptt():
    """B x T, time-major T x B and one sample at a time: the same sums."""
    net, params = _net("alif")
    xs, targets = online.random_task(jax.random.key(2), M, K, 23, batch=B, rate=0.3)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    fn = lambda **kw: jax.jit(online.value_and_grad(net.step, online.mse, "sparse", **kw))
    batch_first = fn(batched=True)(params, state0, xs, targets)
    tm = lambda a: jnp.swapaxes(a, 0, 1)
    time_major = fn(batched=True, time_major=True)(params, state0, tm(xs), tm(targets))
    one = fn()
    per_sample = [one(params, net.init_state(), xs[b], targets[b]) for b in range(B)]
    summed = jax.tree.map(lambda *a: sum(a), *per_sample)
    bptt = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=True))(
        params, state0, xs, targets
    )
    for got in (batch_first, time_major, summed):
        assert_grads_close(got, bptt)
    assert_grads_close(batch_first, time_major, rtol=1e-6, atol=1e-7)


def _temp_bytes(net, params, T, *, batched, time_major):
    fn = online.value_and_grad(
        net.step, online.mse, "sparse", batched=batched, time_major=time_major
    )
    state0 = net.init_state()
    if batched:
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), state0)
        lead = (T, B) if time_major else (B, T)
    else:
        lead = (T,)
    seq = lambda d: jax.ShapeDtypeStruct((*lead, d), jnp.float32)
    return bench.compiled_memory(fn, params, state0, seq(M), seq(K)).temp_bytes


@pytest.mark.parametrize("batched,time_major", [(False, False), (True, False), (True, True)])
def test_temporaries_do_not_grow_with_T(batched, time_major):
    """Per-step mode (ALIF, traces along neurons): any buffer that grows with T -- a
    reordered copy of xs, a stacked per-step output, even one int32 per step -- fails."""
    net, params = _net("alif")
    a = _temp_bytes(net, params, 41, batched=batched, time_major=time_major)
    b = _temp_bytes(net, params, 400, batched=batched, time_major=time_major)
    assert a == b  # odd and even T: the padded step of the unrolled loop costs no buffer


def test_factorised_temporaries_do_not_grow_with_T():
    """Factorised traces (B x M), batch-first inputs (the layout that needed a transposed
    copy); odd and even T."""
    net, params = _net("lif", reset="subtract", stop_reset_grad=True)
    a = _temp_bytes(net, params, 45, batched=True, time_major=False)
    b = _temp_bytes(net, params, 450, batched=True, time_major=False)
    assert a == b


@pytest.mark.parametrize("unroll", [2, 3])
def test_unroll_changes_nothing_but_speed(unroll):
    """Steps per loop iteration (default 2) against 1, with T = 23 divisible by neither."""
    net, params = _net("alif")
    xs, targets = online.random_task(jax.random.key(4), M, K, 23, batch=B, rate=0.3)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), net.init_state())
    run = lambda **kw: jax.jit(sparse_value_and_grad(net.step, online.mse, batched=True, **kw))(
        params, state0, xs, targets
    )
    assert_grads_close(run(unroll=unroll), run(unroll=1), rtol=1e-6, atol=1e-7)


def test_bad_unroll_is_named():
    with pytest.raises(ValueError, match="unroll=0"):
        sparse_value_and_grad(lambda p, s, x: (s, x), online.mse, unroll=0)
