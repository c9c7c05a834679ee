"""The per-step scan runs ``UNROLL`` steps per loop iteration over ceil(T / UNROLL)
iterations; the padded steps past T add nothing: values equal one step per iteration and
BPTT for every T, and the compiled temporaries do not depend on T mod UNROLL."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import bench, online
from spikead.online._sparse import UNROLL, sparse_value_and_grad

from .helpers import assert_grads_close

M, K, B = 6, 3, 3


def _net(neuron, n=9, seed=1):
    return online.make_single_layer(neuron, M, n, K, key=jax.random.key(seed))


def _args(net, T, batched, seed):
    xs, targets = online.random_task(
        jax.random.key(seed), M, K, T, batch=B if batched else None, rate=0.3
    )
    state0 = net.init_state()
    if batched:
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), state0)
    return state0, xs, targets


def test_default_unrolls():
    assert UNROLL == 2


# (neuron, batched, T): T = 3, 5, 7 leave one padded step (UNROLL = 2), T = 1 three (at
# least 2 iterations), 4 and 6 none
CASES = [
    ("alif", True, 3),
    ("alif", True, 4),
    ("lif", False, 1),
    ("lif", False, 5),
    ("alif", False, 7),
    pytest.param("alif", True, 1, marks=pytest.mark.slow),
    pytest.param("alif", True, 5, marks=pytest.mark.slow),
    pytest.param("lif", True, 7, marks=pytest.mark.slow),
    pytest.param("lif", False, 6, marks=pytest.mark.slow),
    pytest.param("alif", False, 3, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("neuron,batched,T", CASES)
def test_padded_steps_add_nothing(neuron, batched, T):
    net, params = _net(neuron, seed=T)
    args = (params, *_args(net, T, batched, seed=10 + T))
    sparse = lambda **kw: jax.jit(
        sparse_value_and_grad(net.step, online.mse, batched=batched, **kw)
    )(*args)
    bptt = jax.jit(online.value_and_grad(net.step, online.mse, "bptt", batched=batched))(*args)
    default = sparse()
    assert_grads_close(default, sparse(unroll=1), rtol=1e-6, atol=1e-7)
    assert_grads_close(default, bptt)


def test_two_padded_steps():
    """T = 7 with 3 steps per iteration: the last iteration has 2 padded steps (the second
    reads the traces and state the first padded step produced)."""
    net, params = _net("alif")
    args = (params, *_args(net, 7, True, seed=7))
    run = lambda u: jax.jit(sparse_value_and_grad(net.step, online.mse, batched=True, unroll=u))(
        *args
    )
    assert_grads_close(run(3), run(1), rtol=1e-6, atol=1e-7)


def _temp_bytes(net, params, T, *, batched, unroll=UNROLL):
    fn = sparse_value_and_grad(net.step, online.mse, batched=batched, unroll=unroll)
    state0, lead = net.init_state(), (T,)
    if batched:
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (B, *a.shape)), state0)
        lead = (B, T)
    seq = lambda d: jax.ShapeDtypeStruct((*lead, d), jnp.float32)
    return bench.compiled_memory(fn, params, state0, seq(M), seq(K)).temp_bytes


@pytest.mark.parametrize("batched", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_temporaries_identical_for_odd_and_even_T(batched):
    """Byte-identical temporaries for T = 2, 3, 6 and 7 (lax.scan's own unroll would peel
    the T mod 2 leftover step into a second copy of the body, and XLA inlines a loop of
    one iteration: constants that depend on T). At T = 1 the input's time axis has one
    step, which XLA indexes statically: a few bytes differ (about 100 here)."""
    net, params = _net("alif")
    sizes = {T: _temp_bytes(net, params, T, batched=batched) for T in (1, 2, 3, 6, 7)}
    assert len({sizes[T] for T in (2, 3, 6, 7)}) == 1, sizes
    assert abs(sizes[1] - sizes[2]) <= 0.05 * sizes[2], sizes


def _sqrt_loss(y, target):
    """Finite everywhere except where y == target (derivative 0 * inf = nan there)."""
    return jnp.sum(jnp.sqrt(jnp.abs(y - target)))


def _leaky_step(params, state, x):
    (v,) = state
    v = 0.5 * v + params["w"] * x  # dyadic values: exact in float32
    return (v,), v


def test_padded_step_with_singular_loss_derivative_stays_finite():
    """The padded step (T = 3, UNROLL = 2) reads step T - 1's input and target again; here
    its output equals that target, where the loss derivative is nan: the gradient must not
    be. Real steps stay away from the singularity."""
    n, T = 4, 3
    params = {"w": jnp.ones(n)}
    xs = jnp.ones((T, n))
    v, outs = np.zeros(n), []
    for _ in range(T + 1):  # the forward run, plus the padded step (x repeated)
        v = 0.5 * v + 1.0
        outs.append(v.copy())
    targets = np.asarray(outs[:T]) + 0.25 * np.arange(1, n + 1)
    targets[T - 1] = outs[T]  # the padded step's output: y == target there
    targets = jnp.asarray(targets, jnp.float32)
    state0 = (jnp.zeros(n),)
    sparse = jax.jit(sparse_value_and_grad(_leaky_step, _sqrt_loss))(params, state0, xs, targets)
    bptt = jax.jit(online.value_and_grad(_leaky_step, _sqrt_loss, "bptt"))(
        params, state0, xs, targets
    )
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(bptt))
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(sparse))
    assert_grads_close(sparse, bptt)
