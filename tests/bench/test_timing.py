import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.bench import Timing, synchronize, time_fn


def test_from_samples_matches_numpy_percentiles():
    samples = [5.0, 1.0, 3.0, 2.0, 4.0]
    t = Timing.from_samples(samples)
    assert t.median_ms == 3.0
    assert t.q25_ms == 2.0
    assert t.q75_ms == 4.0
    assert t.p2_5_ms == pytest.approx(np.percentile(samples, 2.5))
    assert t.p97_5_ms == pytest.approx(np.percentile(samples, 97.5))
    assert t.repeats == 5
    assert t.samples_ms == tuple(samples)
    assert t.iqr_ms == 2.0


def test_from_samples_rejects_empty():
    with pytest.raises(ValueError, match="no samples"):
        Timing.from_samples([])


def test_time_fn_counts_calls_and_measures_sleep():
    calls = []

    def fn(x):
        calls.append(x)
        time.sleep(0.002)
        return x

    t = time_fn(fn, 7, warmup=2, repeats=5)
    assert len(calls) == 7 and all(c == 7 for c in calls)
    assert t.repeats == 5 and len(t.samples_ms) == 5
    assert t.median_ms >= 2.0
    assert t.p2_5_ms <= t.q25_ms <= t.median_ms <= t.q75_ms <= t.p97_5_ms


def test_time_fn_on_jax_output_is_synchronised():
    f = jax.jit(lambda x: (x @ x).sum())
    x = jnp.ones((64, 64))
    t = time_fn(f, x, warmup=1, repeats=3)
    assert t.median_ms > 0.0
    out = synchronize({"a": f(x)})
    assert float(out["a"]) == 64.0**3


@pytest.mark.parametrize("kw", [{"warmup": -1}, {"repeats": 0}])
def test_time_fn_rejects_bad_counts(kw):
    with pytest.raises(ValueError, match="must be"):
        time_fn(lambda: None, **kw)
