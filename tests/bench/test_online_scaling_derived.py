"""memory_scaling's sparse step carries no trace for the spike (`online.reduce_step`) and
keeps the gradient of standard BPTT on every neuron of the benchmark."""

import jax
import numpy as np
import pytest

from spikead import online
from spikead.bench.online import SCALING_NEURONS, ScalingSetting, measure_scaling
from spikead.bench.online._scaling import build, build_noted, method_step


def _small(method, neuron, n=6, t=7, batch=3):
    return ScalingSetting(method, n, t, batch=batch, n_in=5, n_out=3, neuron=neuron)


def test_lif_zero_sparse_plan_has_no_spike_trace():
    step, (params, state0, xs, _), note = method_step(_small("sparse", "lif_zero"))
    full, _, _ = method_step(_small("bptt", "lif_zero"))
    one = lambda tree: jax.tree.map(lambda a: a[0], tree)
    plan = online.make_plan(step, params, one(state0), one(xs[0]))
    assert {s for s, _ in plan.trace} == {0}  # the membrane's trace only
    assert isinstance(step, online.ReducedStep) and step.derived == (1,)  # the spike
    assert note.startswith("dropped leaves [1] of 2")
    full_state0 = tuple(np.zeros((6,), np.float32) for _ in range(2))
    full_plan = online.make_plan(full, params, full_state0, one(xs[0]))
    assert {s for s, _ in full_plan.trace} == {0, 1}


CASES = [(neuron, 0, (6, 7, 3)) for neuron in sorted(SCALING_NEURONS)]
CASES += [("lif_zero", 1, (9, 11, 2)), ("alif", 2, (4, 13, 1))]


@pytest.mark.parametrize(("neuron", "seed", "shape"), CASES)
def test_sparse_gradient_equals_bptt(neuron, seed, shape):
    n, t, batch = shape
    fn, args, note = build_noted(_small("sparse", neuron, n, t, batch), seed)
    assert note.startswith("dropped leaves")  # the spike is recomputed for every neuron
    got = jax.jit(fn)(*args)
    want_fn, want_args = build(_small("bptt", neuron, n, t, batch), seed)
    want = jax.jit(want_fn)(*want_args)
    assert len(jax.tree.leaves(args[1])) < len(jax.tree.leaves(want_args[1]))
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


def test_other_methods_carry_the_full_state():
    for method in ("bptt", "dense", "handwritten"):
        _, args, note = build_noted(_small(method, "lif_zero"))
        assert note is None and len(args[1]) == 2


def test_the_row_names_the_dropped_leaves():
    kw = {"max_seconds": 1e9, "max_bytes": 1e12, "flops_per_s": 1e12, "warmup": 0, "repeats": 1}
    row = measure_scaling(_small("sparse", "alif", n=4, t=3, batch=2), **kw)
    assert row["status"] == "ok" and row["derived_state"].startswith("dropped leaves [2] of 3")
