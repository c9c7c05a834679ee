"""The memory_scaling experiment runs on the smoke profile and its results hold together."""

import json
import math

import pandas as pd
import pytest
from conftest import REPO, SMOKE_GROUP
from hydra import compose, initialize_config_dir


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run(smoke_workflow):
    """The workflow's smoke run: every method, the T and N sweeps, the factorised LIF."""
    out = smoke_workflow.results / "memory_scaling"
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="memory_scaling", overrides=["profile=smoke"])
    frame = pd.read_csv(out / "scaling.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    expected = {"sweep", "method", "N", "T", "batch", "memory_bytes", "temp_bytes", "time_ms",
                "time_q25_ms", "time_q75_ms", "compile_s", "status"}
    assert expected <= set(frame.columns)
    measured = frame[frame.status == "ok"]
    assert set(measured.method) == set(cfg.scale.methods)
    assert (measured.memory_bytes > 0).all() and (measured.time_ms > 0).all()
    assert frame[frame.method == "brainscale_drtrl"].status.str.startswith("missing").all()
    # BPTT keeps activations for every step: its memory grows with T
    bptt = measured[(measured.method == "bptt") & (measured.sweep == "T")].sort_values("T")
    assert bptt.memory_bytes.iloc[-1] > bptt.memory_bytes.iloc[0]
    # sparse traces do not grow with T (only the input arguments do)
    sparse = measured[(measured.method == "sparse") & (measured.sweep == "T")].sort_values("T")
    assert sparse.memory_without_inputs_bytes.iloc[-1] == sparse.memory_without_inputs_bytes.iloc[0]
    assert metrics["sparse_memory_ratio_without_inputs"] == 1.0
    # goal (a) rows: the factorised-trace LIF, sparse and BPTT at every factorised_t
    fact = measured[measured.sweep == "T_factorised"]
    assert set(fact.neuron) == {"lif_factorised"} and set(fact.method) == {"sparse", "bptt"}
    assert set(metrics["factorised_sparse_over_bptt_time"]) == {f"T{t}" for t in cfg.scale.factorised_t}
    assert metrics["meta"]["profile"] == "smoke"


def test_too_large_setting_is_skipped_with_reason():
    from spikead import online

    row = online.measure_scaling(online.ScalingSetting("dense", 512, 10, batch=16),
                                 max_seconds=1.0, max_bytes=1e6, flops_per_s=1e9)
    assert row["status"].startswith("skipped") and "max_bytes" in row["status"]
    assert row["memory_bytes"] is None


def test_too_slow_setting_is_probed_at_short_lengths():
    from spikead import online

    setting = online.ScalingSetting("dense", 6, 5, batch=2, n_in=5, n_out=3)
    row = online.measure_scaling(setting, max_seconds=0.0, max_bytes=1e9, flops_per_s=1e9,
                                 probe_steps=[2, 3, 7])
    assert row["time_ms"] is None and row["memory_bytes"] > 0
    assert "lower bound" in row["status"] and "T=3" in row["time_probe"]
    assert "T=7" not in row["time_probe"]               # only lengths below T are probed
    assert row["time_lower_bound_ms"] > 0
    # a line through two one-call timings can tilt down under load (seen: -65 ms); the
    # estimate never goes below the time measured at the largest probe
    assert math.isfinite(row["time_extrapolated_ms"])
    assert row["time_extrapolated_ms"] >= row["time_lower_bound_ms"]


def test_brainscale_peer_without_venv_is_missing_with_setup(tmp_path):
    from spikead import online

    setting = online.ScalingSetting("sparse", 8, 5)
    row = online.brainscale_row(setting, None)
    assert row["status"].startswith("missing") and "jax<0.10" in row["status"]
    row = online.brainscale_row(setting, str(tmp_path / "absent"))
    assert row["status"].startswith("missing") and str(tmp_path / "absent") in row["status"]
    fake = tmp_path / "venv" / "bin"
    fake.mkdir(parents=True)
    (fake / "python").write_text("#!/bin/sh\necho 'ModuleNotFoundError: brainscale' >&2\nexit 3\n")
    (fake / "python").chmod(0o755)
    row = online.brainscale_row(setting, str(tmp_path / "venv"))
    assert row["status"].startswith("failed: exit 3") and "brainscale" in row["status"]
    assert row["time_ms"] is None
