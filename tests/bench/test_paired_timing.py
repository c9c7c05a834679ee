"""The interleaved timer (time_alternating) and the paired spikead / hand-scan measurement."""

import json
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.bench import (
    CAP_STATUS,
    PAIRED_COLUMNS,
    ComparisonSettings,
    PairedTiming,
    compare_paired,
    make_problem,
    paired_metrics,
    time_alternating,
)
from spikead.bench._comparison import _paired_rows
from spikead.bench.peers import PeerSettings, load_problem, load_spikes
from spikead.bench.peers.paired import measure


def _recorder(calls, name, sleep_s=0.0):
    def fn(x):
        calls.append(name)
        if sleep_s:
            time.sleep(sleep_s)
        return x

    return fn


def test_counts_calls_and_rounds():
    calls = []
    t = time_alternating(_recorder(calls, "a"), _recorder(calls, "b"), 1, warmup=2, repeats=7)
    assert calls.count("a") == 2 + 7 and calls.count("b") == 2 + 7
    assert calls[:4] == ["a", "b", "a", "b"]  # warm-up: a then b
    assert isinstance(t, PairedTiming)
    assert t.rounds == 7 and t.a.repeats == 7 and t.b.repeats == 7
    assert len(t.a_first) == 7 and len(t.round_ratios) == 7


@pytest.mark.parametrize("order", ["random", "alternate"])
def test_each_round_calls_both_in_the_recorded_order(order):
    calls = []
    t = time_alternating(
        _recorder(calls, "a"), _recorder(calls, "b"), 0, warmup=0, repeats=20, order=order, seed=3
    )
    rounds = [tuple(calls[2 * i : 2 * i + 2]) for i in range(20)]
    assert rounds == [("a", "b") if first else ("b", "a") for first in t.a_first]
    assert 0 < sum(t.a_first) < 20  # both orders occur
    if order == "alternate":
        assert t.a_first == tuple(i % 2 == 0 for i in range(20))


def test_random_order_is_seeded():
    def noop(x):
        return x

    first = time_alternating(noop, noop, 0, warmup=0, repeats=30, seed=5).a_first
    again = time_alternating(noop, noop, 0, warmup=0, repeats=30, seed=5).a_first
    other = time_alternating(noop, noop, 0, warmup=0, repeats=30, seed=6).a_first
    assert first == again and first != other


def test_ratio_of_medians_for_a_known_sleep_ratio():
    t = time_alternating(
        _recorder([], "a", 0.040), _recorder([], "b", 0.020), 0, warmup=1, repeats=10
    )
    assert t.ratio == pytest.approx(t.a.median_ms / t.b.median_ms)
    assert t.a.median_ms >= 40.0 and t.b.median_ms >= 20.0
    assert 1.5 < t.ratio < 4.0  # loose: sleeps overshoot on a loaded machine
    assert t.ratio_q25 <= t.ratio_q75
    per_round = np.asarray(t.a.samples_ms) / np.asarray(t.b.samples_ms)
    np.testing.assert_allclose(t.round_ratios, per_round)
    np.testing.assert_allclose([t.ratio_q25, t.ratio_q75], np.percentile(per_round, [25, 75]))


def test_jitted_jax_functions_are_synchronised():
    x = jnp.ones((64, 64))
    slow = jax.jit(lambda x: jnp.linalg.matrix_power(x / 64.0, 40))
    fast = jax.jit(lambda x: x + 1.0)
    t = time_alternating(slow, fast, x, warmup=1, repeats=5)
    assert t.a.median_ms > 0 and t.b.median_ms > 0 and math.isfinite(t.ratio)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"warmup": -1}, "warmup=-1"),
        ({"repeats": 0}, "repeats=0"),
        ({"order": "abab"}, "order='abab'"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        time_alternating(lambda x: x, lambda x: x, 0, **kwargs)


def test_paired_metrics_keeps_ok_rows_and_none_elsewhere():
    rows = [
        {"n": 8, "mode": "fwd", "ratio": 1.05, "ratio_q25": 1.0, "ratio_q75": 1.1, "status": "ok"},
        {
            "n": 8,
            "mode": "fwdbwd",
            "ratio": 0.97,
            "ratio_q25": 0.9,
            "ratio_q75": 1.0,
            "status": "ok",
        },
        {
            "n": 16,
            "mode": "fwd",
            "ratio": math.nan,
            "ratio_q25": math.nan,
            "ratio_q75": math.nan,
            "status": f"{CAP_STATUS} (predicted 9 s > 1 s at n=16)",
        },
        {
            "n": 16,
            "mode": "fwdbwd",
            "ratio": math.nan,
            "ratio_q25": math.nan,
            "ratio_q75": math.nan,
            "status": f"{CAP_STATUS} (predicted 9 s > 1 s at n=16)",
        },
    ]
    m = paired_metrics(rows)
    assert m["spikead_over_hand_scan_paired"] == {
        "fwd": {"8": 1.05, "16": None},
        "fwdbwd": {"8": 0.97, "16": None},
    }
    assert m["spikead_over_hand_scan_paired_iqr"]["fwd"] == {"8": [1.0, 1.1], "16": None}


def test_paired_peer_measures_both_in_process(tmp_path):
    problem_path = make_problem(tmp_path / "p.npz", 12, 2, 8, seed=2)
    settings = PeerSettings(
        framework="paired",
        problem_path=str(problem_path),
        spikes_path=str(tmp_path / "s.npz"),
        result_path=str(tmp_path / "r.json"),
        warmup=3,
        repeats=4,
    )
    result = measure(settings, load_problem(problem_path))
    assert result.status == "ok" and result.agreement == 1.0
    assert load_spikes(tmp_path / "s.npz").shape == (2, 8, 12)
    for timing in (result.fwd, result.fwdbwd):
        assert timing.rounds == 4 and timing.ratio > 0
    assert set(result.probe_ms) == {"fwd_a", "fwd_b", "fwdbwd_a", "fwdbwd_b"}
    payload = json.loads(json.dumps(result.to_dict()))  # what the subprocess writes
    rows = _paired_rows(12, 2, 8, payload)
    assert [r["mode"] for r in rows] == ["fwd", "fwdbwd"]
    for row, timing in zip(rows, (result.fwd, result.fwdbwd), strict=True):
        assert set(row) == set(PAIRED_COLUMNS)
        assert row["status"] == "ok" and row["rounds"] == 4
        assert row["spikead_ms"] == timing.a.median_ms
        assert row["ratio"] == pytest.approx(row["spikead_ms"] / row["hand_scan_ms"])
        assert row["ratio_q25"] == timing.ratio_q25 <= row["ratio_q75"] == timing.ratio_q75


@pytest.mark.slow
def test_compare_paired_runs_a_subprocess_and_respects_the_cap(tmp_path):
    settings = ComparisonSettings(batch=2, steps=6, warmup=2, repeats=3, time_cap_s=1e-9)
    rows, details = compare_paired([8, 16], settings, workdir=tmp_path)
    assert [(r["n"], r["mode"]) for r in rows] == [
        (8, "fwd"),
        (8, "fwdbwd"),
        (16, "fwd"),
        (16, "fwdbwd"),
    ]
    assert all(r["status"].startswith(CAP_STATUS) for r in rows), rows
    assert all(math.isnan(r["ratio"]) and r["rounds"] == 0 for r in rows)
    assert "n=8" in rows[-1]["status"]  # the larger size is skipped because of n=8
    assert list(details) == ["8"]  # the probe ran for n=8 only
    assert details["8"]["agreement"] == 1.0 and details["8"]["predicted_timing_s"] > 0
