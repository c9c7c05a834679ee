"""Parallel-in-time execution (`snn.run_parallel`, `run(mode="parallel")`) against the scan."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn
from spikead.snn._chunked import chunked_linear_scan

T, M, N = 48, 6, 5
MARGIN = 1e-3  # inputs whose sequential membrane comes this close to threshold are redrawn


def _neuron(kind: str, key):
    beta = jax.random.uniform(key, (N,), minval=0.6, maxval=0.95)
    if kind == "lif_zero":
        return snn.LIF(N, beta=beta, reset="zero")
    if kind == "lif_subtract_stop":
        return snn.LIF(N, beta=beta, threshold=0.8, reset="subtract", stop_reset_grad=True)
    if kind == "iaf":
        return snn.IAF(N, threshold=1.5)
    if kind == "cuba":
        return snn.CuBaLIF(N, alpha=0.7, beta=beta, reset="subtract")
    return snn.LI(N, beta=beta)


def _problem(kind: str, seed: int):
    """Linear(M, N) + neuron, inputs (T, M) redrawn until no membrane is within MARGIN of
    threshold (so float rounding of the reordered sums cannot flip a spike)."""
    key = jax.random.key(seed)
    k_lin, k_neuron, k_x = jax.random.split(key, 3)
    model = snn.Sequential(eqx.nn.Linear(M, N, key=k_lin), _neuron(kind, k_neuron))
    for attempt in range(20):
        xs = 2.0 * jax.random.uniform(jax.random.fold_in(k_x, attempt), (T, M))
        _, outs = snn.run(model, xs, all_outputs=True)
        if kind == "li":
            return model, xs
        states = jax.lax.scan(
            lambda s, x: (model.layers[1](s, x)[0],) * 2, model.layers[1].init_state((N,)), outs[0]
        )[1]
        v = states[-2]
        if float(jnp.min(jnp.abs(v - model.layers[1].threshold[None]))) > MARGIN:
            return model, xs
    raise AssertionError("no tie-free input found")


KINDS = ["li", "lif_zero", "lif_subtract_stop", "iaf", "cuba"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_outputs_and_state_match_sequential(kind, seed):
    model, xs = _problem(kind, seed)
    state_seq, ys_seq = snn.run(model, xs)
    state_par, ys_par, info = jax.jit(snn.run_parallel)(model, xs)
    if kind == "li":
        np.testing.assert_allclose(ys_par, ys_seq, rtol=1e-5, atol=1e-5)
        assert info.iterations.shape == (0,)
    else:
        np.testing.assert_array_equal(ys_par, ys_seq)  # spikes identical
        assert float(jnp.mean(ys_seq)) > 0.02  # the test has spikes to get right
        assert bool(info.converged.all()) and not bool(info.fallback)
        assert 1 <= int(info.iterations[0]) <= T
    for a, b in zip(jax.tree.leaves(state_par), jax.tree.leaves(state_seq)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("kind", "method"), [("lif_zero", "chunked"), ("cuba", "chunked"), ("lif_zero", "associative")]
)
def test_gradient_equals_sequential(kind, method):
    """Gradient w.r.t. parameters, inputs and initial state (nonzero) equals the scan's."""
    model, xs = _problem(kind, 3)
    neuron_state = list(model.layers[1].init_state((N,)))
    neuron_state[-2] = jnp.linspace(0.0, 0.9, N)  # initial membrane (below threshold)
    state = ((), tuple(neuron_state))
    readout = jax.random.normal(jax.random.key(9), (T, N))

    def loss(args, mode):
        model, xs, state = args
        if mode == "sequential":
            ys = snn.run(model, xs, state)[1]
        else:
            ys = snn.run_parallel(model, xs, state, method=method)[1]
        return jnp.sum(readout * ys)

    grad = eqx.filter_jit(eqx.filter_grad(loss))
    grads = {mode: grad((model, xs, state), mode) for mode in ("sequential", "parallel")}
    leaves_seq = jax.tree.leaves(grads["sequential"])
    leaves_par = jax.tree.leaves(grads["parallel"])
    assert len(leaves_seq) == len(leaves_par) >= 5
    for a, b in zip(leaves_par, leaves_seq):
        scale = float(jnp.max(jnp.abs(b))) + 1e-6
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * scale)


def test_given_initial_state():
    model, xs = _problem("lif_zero", 4)
    state = ((), (jnp.linspace(0.0, 1.4, N), jnp.array([0.0, 1.0, 0.0, 1.0, 0.0])))
    final_seq, ys_seq = snn.run(model, xs, state)
    final_par, ys_par, _ = snn.run_parallel(model, xs, state)
    np.testing.assert_array_equal(ys_par, ys_seq)
    np.testing.assert_allclose(final_par[1][0], final_seq[1][0], rtol=1e-5, atol=1e-5)


def test_fallback_taken_and_reported():
    model, xs = _problem("lif_zero", 5)
    _, ys_seq = snn.run(model, xs)
    with pytest.warns(snn.ParallelFallbackWarning, match="did not converge"):  # noqa: PT031
        _, ys, info = snn.run_parallel(model, xs, max_iter=1)
        jax.effects_barrier()  # the warning comes from a run-time callback
    assert bool(info.fallback) and not bool(info.converged[0])
    assert int(info.iterations[0]) == 1 and int(info.residual[0]) > 0
    np.testing.assert_array_equal(ys, ys_seq)  # the sequential scan's result


def test_vmap_and_deep_network():
    key = jax.random.key(7)
    k1, k2, k3 = jax.random.split(key, 3)
    model = snn.Sequential(
        eqx.nn.Linear(M, N, key=k1),
        snn.LIF(N, beta=0.8),
        snn.Residual(snn.Sequential(eqx.nn.Linear(N, N, key=k2), snn.LI(N, beta=0.5))),
        snn.SpikeCounter(),
    )
    xs = 2.0 * jax.random.uniform(k3, (3, T, M))
    seq = jax.vmap(lambda x: snn.run(model, x)[1])(xs)
    par = jax.jit(jax.vmap(lambda x: snn.run(model, x, mode="parallel")[1]))(xs)
    np.testing.assert_allclose(par, seq, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("chunk", [None, 1, 4, 36, 37, 50])
def test_linear_scan_matches_loop(chunk):
    """The associative scan (chunk None) and the chunked one (any chunk length, dividing
    T = 37 or not, longer than T) against a Python loop."""
    a = jax.random.uniform(jax.random.key(0), (37, 3))
    b = jax.random.normal(jax.random.key(1), (37, 3))
    v0 = jnp.array([0.5, -1.0, 2.0])
    v, expected = np.asarray(v0), []
    for a_t, b_t in zip(np.asarray(a), np.asarray(b)):
        v = a_t * v + b_t
        expected.append(v)
    got = snn.linear_scan(a, b, v0) if chunk is None else chunked_linear_scan(a, b, v0, chunk)
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["lif_zero", "lif_subtract_stop"])
def test_methods_and_chunk_lengths_agree(kind):
    """Both methods and chunk lengths from 1 to T give the sequential spikes, within the
    always-exact iteration count (T, or the number of chunks); subtract reset keeps the
    memory of the chunk start across spikes, so it exercises the Newton update."""
    model, xs = _problem(kind, 6)
    _, ys_seq = snn.run(model, xs)
    runs = {"associative": {"method": "associative"}}
    runs |= {f"chunk {c}": {"chunk": c} for c in (1, 5, 16, T)}
    for name, options in runs.items():
        _, ys, info = snn.run_parallel(model, xs, **options)
        np.testing.assert_array_equal(ys, ys_seq, err_msg=name)
        chunk = options.get("chunk")
        bound = T if chunk is None else -(-T // chunk)
        assert 1 <= int(info.iterations[0]) <= bound, name
        assert bool(info.converged[0]) and not bool(info.fallback), name


def test_unsupported_layer_and_options_raise():
    xs = jnp.ones((T, N))
    with pytest.raises(snn.ParameterError, match="ALIF"):
        snn.run_parallel(snn.ALIF(N), xs)
    with pytest.raises(snn.ParameterError, match="mask"):
        snn.run(snn.LIF(N), xs, mode="parallel", mask=jnp.ones(T))
    with pytest.raises(snn.ParameterError, match="mode='fast'"):
        snn.run(snn.LIF(N), xs, mode="fast")
    with pytest.raises(snn.ParameterError, match="max_iter=0"):
        snn.run_parallel(snn.LIF(N), xs, max_iter=0)
    with pytest.raises(snn.ParameterError, match="method='newton'"):
        snn.run_parallel(snn.LIF(N), xs, method="newton")
    with pytest.raises(snn.ParameterError, match="chunk=0"):
        snn.run_parallel(snn.LIF(N), xs, chunk=0)
