import math

import numpy as np
import pytest

from spikead.bench import (
    COLUMNS,
    FRAMEWORKS,
    UnknownFrameworkError,
    agreement,
    check_frameworks,
    comparison_metrics,
    make_problem,
)
from spikead.bench.peers import load_problem


def test_make_problem_is_seeded_exact_grid_and_binary(tmp_path):
    a = load_problem(make_problem(tmp_path / "a.npz", 32, 4, 10, seed=3))
    b = load_problem(make_problem(tmp_path / "b.npz", 32, 4, 10, seed=3))
    c = load_problem(make_problem(tmp_path / "c.npz", 32, 4, 10, seed=4))
    assert a.weight.shape == (32, 32) and a.inputs.shape == (4, 10, 32)
    assert (a.n, a.batch, a.steps) == (32, 4, 10)
    assert a.weight.dtype == np.float32 and a.inputs.dtype == np.float32
    np.testing.assert_array_equal(a.weight, b.weight)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.weight, c.weight)
    assert set(np.unique(a.inputs)) <= {0.0, 1.0}
    scaled = a.weight.astype(np.float64) * 2**14
    np.testing.assert_array_equal(scaled, np.round(scaled))  # on the 2^-14 grid


def test_make_problem_rejects_bad_rate(tmp_path):
    with pytest.raises(ValueError, match="input_rate"):
        make_problem(tmp_path / "p.npz", 4, 1, 2, input_rate=0.0)


def test_agreement_counts_equal_entries():
    a = np.zeros((1, 2, 2))
    b = np.array([[[0, 1], [0, 0]]])
    assert agreement(a, a) == 1.0
    assert agreement(a, b) == 0.75
    with pytest.raises(ValueError, match="shape"):
        agreement(a, np.zeros((1, 2, 3)))


def test_check_frameworks():
    assert check_frameworks(["spikead", "jax_scan"]) == ["spikead", "jax_scan"]
    with pytest.raises(UnknownFrameworkError, match="nest"):
        check_frameworks(["spikead", "nest"])
    assert {"spikead", "jax_scan", "snntorch", "norse", "spyx", "spikingjelly", "rockpool"} <= set(
        FRAMEWORKS
    )


def _row(fw, n, fwd, fwdbwd, status="ok"):
    row = dict.fromkeys(COLUMNS, math.nan)
    row.update(
        framework=fw,
        n=n,
        batch=16,
        T=10,
        fwd_ms=fwd,
        fwdbwd_ms=fwdbwd,
        status=status,
        agreement=1.0,
    )
    return row


def test_comparison_metrics_ratios():
    rows = [
        _row("spikead", 64, 2.0, 6.0),
        _row("jax_scan", 64, 1.0, 3.0),
        _row("snntorch", 64, 20.0, 120.0),
        _row("spikead", 128, 4.0, 8.0),
        _row("jax_scan", 128, 4.0, 4.0),
        _row("snntorch", 128, math.nan, math.nan, status="missing: No module named snntorch"),
    ]
    m = comparison_metrics(rows)
    assert m["sizes"] == [64, 128]
    assert m["spikead_over_hand_scan"]["fwd"] == {"64": 2.0, "128": 1.0}
    assert m["spikead_over_hand_scan"]["fwdbwd"] == {"64": 2.0, "128": 2.0}
    assert m["speedup_over_snntorch"]["fwdbwd"] == {"64": 20.0, "128": None}
    assert m["speedup_over_peers"]["snntorch"] == m["speedup_over_snntorch"]
    assert m["status"]["snntorch"]["128"].startswith("missing")
    assert m["spikead_over_hand_scan_stepwise"]["fwd"] == {"64": None, "128": None}
