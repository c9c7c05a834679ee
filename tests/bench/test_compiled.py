import jax
import jax.numpy as jnp
import numpy as np

from spikead.bench import compile_time, compiled_memory


def _lif_loss(w, x):
    """Sum of spikes of a LIF layer over time; x: (T, N), w: (N, N)."""

    def step(v, xt):
        v = 0.9 * v + w @ xt
        s = (v > 1.0).astype(v.dtype) + 0.0 * jax.nn.sigmoid(v)
        return v * (1.0 - s), jnp.tanh(v)

    _, out = jax.lax.scan(step, jnp.zeros(w.shape[0]), x)
    return out.sum()


def test_compile_time_does_not_execute():
    executed = []

    def f(x):
        jax.debug.callback(lambda: executed.append(1))
        return x * 2

    seconds = compile_time(jax.jit(f), jnp.ones(3))
    assert seconds > 0.0
    assert executed == []


def test_compile_time_accepts_plain_callables_and_shape_structs():
    spec = jax.ShapeDtypeStruct((8,), jnp.float32)
    assert compile_time(lambda x: jnp.sin(x), spec) > 0.0


def test_compiled_memory_arguments_and_total():
    n = 100
    m = compiled_memory(lambda x, y: x + y, jnp.ones(n), jnp.ones(n))
    assert m.argument_bytes == 2 * n * 4
    assert m.output_bytes == n * 4
    assert m.total_bytes == m.temp_bytes + m.argument_bytes + m.output_bytes - m.alias_bytes


def test_compiled_memory_of_bptt_grows_with_T():
    n = 32
    w = jnp.asarray(np.random.default_rng(0).normal(size=(n, n)), jnp.float32)
    grad = jax.grad(_lif_loss)
    temps = [compiled_memory(grad, w, jnp.ones((t, n))).temp_bytes for t in (50, 100, 200)]
    assert temps[0] < temps[1] < temps[2]
    # residuals of the scan are stored per step: at least one float32 (N,) per step
    assert temps[2] - temps[1] >= 100 * n * 4


def test_compile_time_and_memory_share_one_compilation():
    from spikead.bench import compile_time_and_memory

    n = 64
    args = (jnp.ones((n, n)), jnp.ones((20, n)))
    seconds, memory = compile_time_and_memory(jax.jit(jax.grad(_lif_loss)), *args)
    assert seconds > 0.0
    assert memory == compiled_memory(jax.grad(_lif_loss), *args)
