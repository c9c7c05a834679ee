"""ComparisonSettings: validation, and the problem file both comparisons share."""

import dataclasses

import numpy as np
import pytest

from spikead.bench import (
    BenchError,
    ComparisonSettings,
    ComparisonSettingsError,
    compare_paired,
    make_problem,
)
from spikead.bench._comparison import _peer_settings, _problem_file
from spikead.bench.peers import load_problem


def test_defaults_are_the_protocol_and_frozen():
    s = ComparisonSettings(batch=16, steps=500)
    assert (s.beta, s.threshold, s.slope, s.input_rate, s.weight_scale) == (
        0.95,
        1.0,
        10.0,
        0.2,
        0.7,
    )
    assert (s.warmup, s.repeats, s.cpus, s.time_cap_s) == (3, 20, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.batch = 8


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [
        ("batch", 0, "scale.batch"),
        ("steps", 2.5, "scale.T"),
        ("input_rate", 0.0, "lif.input_rate"),
        ("input_rate", 1.5, "lif.input_rate"),
        ("weight_scale", -1.0, "lif.weight_scale"),
        ("beta", 1.2, "lif.beta"),
        ("threshold", 0.0, "lif.threshold"),
        ("slope", float("nan"), "lif.slope"),
        ("warmup", -1, "scale.warmup"),
        ("repeats", 0, "scale.repeats"),
        ("timeout", 0, "scale.timeout_s"),
        ("cpus", 0, "scale.cpus"),
        ("cpus", True, "scale.cpus"),
        ("time_cap_s", -3.0, "scale.time_cap_s"),
    ],
)
def test_bad_values_name_the_value_and_the_fix(field, value, fix):
    kwargs = {"batch": 2, "steps": 4, field: value}
    with pytest.raises(ComparisonSettingsError, match=rf"{field}={value!r}") as err:
        ComparisonSettings(**kwargs)
    assert fix in str(err.value)
    assert isinstance(err.value, BenchError) and isinstance(err.value, ValueError)


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(ComparisonSettingsError) as err:
        ComparisonSettings(batch=0, steps=0, repeats=0)
    assert all(f"{name}=0" in str(err.value) for name in ("batch", "steps", "repeats"))


def test_problem_file_is_make_problem_of_the_settings_and_reused(tmp_path):
    s = ComparisonSettings(batch=3, steps=7, seed=5, input_rate=0.3, weight_scale=0.5)
    path = _problem_file(tmp_path, 9, s)
    got = load_problem(path)
    want = load_problem(
        make_problem(tmp_path / "ref.npz", 9, 3, 7, seed=5, input_rate=0.3, weight_scale=0.5)
    )
    np.testing.assert_array_equal(got.weight, want.weight)
    np.testing.assert_array_equal(got.inputs, want.inputs)
    stamp = path.stat().st_mtime_ns
    assert _problem_file(tmp_path, 9, dataclasses.replace(s, seed=6)) == path
    assert path.stat().st_mtime_ns == stamp  # present: reused, not rewritten


def test_peer_settings_carry_the_neuron_and_timing_settings(tmp_path):
    s = ComparisonSettings(
        batch=2, steps=4, beta=0.9, threshold=0.5, slope=4.0, warmup=1, repeats=7, time_cap_s=10.0
    )
    peer = _peer_settings(s, "norse", 8, tmp_path, time_cap_s=20.0, options={"x": 1})
    assert (peer.framework, peer.beta, peer.threshold, peer.slope) == ("norse", 0.9, 0.5, 4.0)
    assert (peer.warmup, peer.repeats, peer.time_cap_s, peer.options) == (1, 7, 20.0, {"x": 1})
    assert peer.spikes_path.endswith("spikes_norse_n8.npz")
    assert peer.result_path.endswith("result_norse_n8.json")
    assert load_problem(peer.problem_path).inputs.shape == (2, 4, 8)


def test_compare_paired_rejects_an_unknown_order_before_work(tmp_path):
    with pytest.raises(ValueError, match="order='abab'"):
        compare_paired(
            [8], ComparisonSettings(batch=2, steps=4), workdir=tmp_path / "w", order="abab"
        )
    assert not (tmp_path / "w").exists()
