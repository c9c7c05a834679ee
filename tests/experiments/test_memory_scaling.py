"""The memory_scaling experiment runs on the smoke profile and its results hold together."""

import json
import math
import sys
import types

import pandas as pd
import pytest
from conftest import REPO, SMOKE_GROUP
from hydra import compose, initialize_config_dir

sys.path.insert(0, str(REPO / "experiments"))

import memory_scaling


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run(smoke_workflow):
    """The workflow's smoke run: every method, the T and N sweeps, the factorised LIF."""
    out = smoke_workflow.results / "memory_scaling"
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="memory_scaling", overrides=["profile=smoke"])
    frame = pd.read_csv(out / "scaling.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    expected = {
        "sweep",
        "method",
        "N",
        "T",
        "batch",
        "memory_bytes",
        "temp_bytes",
        "time_ms",
        "time_q25_ms",
        "time_q75_ms",
        "compile_s",
        "status",
    }
    assert expected <= set(frame.columns)
    measured = frame[frame.status == "ok"]
    assert set(measured.method) == set(cfg.scale.methods)
    assert (measured.memory_bytes > 0).all() and (measured.time_ms > 0).all()
    peers = frame[frame.method.isin(list(cfg.scale.peers))]
    assert set(peers.method) == {"brainscale_drtrl", "braintrace_drtrl", "braintrace_eprop"}
    assert peers.status.str.startswith("missing").all()
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
    assert set(metrics["factorised_sparse_over_bptt_time"]) == {
        f"T{t}" for t in cfg.scale.factorised_t
    }
    # the paper's LIF (reset to zero): sparse, BPTT and the hand-written e-prop
    lif0 = measured[measured.sweep == "T_lif_zero"]
    assert set(lif0.method) == {"sparse", "bptt", "handwritten"}
    goals = metrics["goals"]
    assert set(goals["sparse_memory_flat_in_T"]) == {"alif", "lif_factorised", "lif_zero"}
    assert set(goals["per_neuron_sparse_over_handwritten_time"]) == {"alif", "lif_zero"}
    assert metrics["meta"]["profile"] == "smoke"


def test_too_large_setting_is_skipped_with_reason():
    from spikead.bench import online as bench_online

    row = bench_online.measure_scaling(
        bench_online.ScalingSetting("dense", 512, 10, batch=16),
        max_seconds=1.0,
        max_bytes=1e6,
        flops_per_s=1e9,
    )
    assert row["status"].startswith("skipped") and "max_bytes" in row["status"]
    assert row["memory_bytes"] is None


def test_too_slow_setting_is_probed_at_short_lengths():
    from spikead.bench import online as bench_online

    setting = bench_online.ScalingSetting("dense", 6, 5, batch=2, n_in=5, n_out=3)
    row = bench_online.measure_scaling(
        setting, max_seconds=0.0, max_bytes=1e9, flops_per_s=1e9, probe_steps=[2, 3, 7]
    )
    assert row["time_ms"] is None and row["memory_bytes"] > 0
    assert "lower bound" in row["status"] and "T=3" in row["time_probe"]
    assert "T=7" not in row["time_probe"]  # only lengths below T are probed
    assert row["time_lower_bound_ms"] > 0
    # a line through two one-call timings can tilt down under load (seen: -65 ms); the
    # estimate never goes below the time measured at the largest probe
    assert math.isfinite(row["time_extrapolated_ms"])
    assert row["time_extrapolated_ms"] >= row["time_lower_bound_ms"]


def test_brainscale_peer_without_venv_is_missing_with_setup(tmp_path):
    from spikead.bench import online as bench_online

    setting = bench_online.ScalingSetting("sparse", 8, 5)
    row = bench_online.brainscale_row(setting, None)
    assert row["status"].startswith("missing") and "jax<0.10" in row["status"]
    row = bench_online.brainscale_row(setting, str(tmp_path / "absent"))
    assert row["status"].startswith("missing") and str(tmp_path / "absent") in row["status"]
    fake = tmp_path / "venv" / "bin"
    fake.mkdir(parents=True)
    (fake / "python").write_text("#!/bin/sh\necho 'ModuleNotFoundError: brainscale' >&2\nexit 3\n")
    (fake / "python").chmod(0o755)
    row = bench_online.brainscale_row(setting, str(tmp_path / "venv"))
    assert row["status"].startswith("failed: exit 3") and "brainscale" in row["status"]
    assert row["time_ms"] is None


def _frame(rows):
    cols = (
        "sweep",
        "neuron",
        "method",
        "N",
        "T",
        "memory_bytes",
        "memory_without_inputs_bytes",
        "time_ms",
    )
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


def test_goals_are_named_with_their_measured_values():
    # the fields goals_from reads (the typed Scale schema has no defaults)
    scale = types.SimpleNamespace(n_for_t=8, t_sweep=[100, 2000], batch=2)
    frame = _frame(
        [
            # ALIF: sparse flat without inputs (ratio 1.0; 3.0 with them), 1.2x / 1.5x hand-written
            ("T", "alif", "sparse", 8, 100, 200, 100, 12.0),
            ("T", "alif", "sparse", 8, 2000, 600, 100, 30.0),
            ("N", "alif", "sparse", 8, 100, 200, 100, 12.0),  # the same setting from the N sweep
            ("T", "alif", "handwritten", 8, 100, 190, 90, 10.0),
            ("T", "alif", "handwritten", 8, 2000, 590, 90, 20.0),
            ("T", "alif", "bptt", 8, 100, 300, 250, 6.0),
            ("T", "alif", "bptt", 8, 2000, 900, 800, 60.0),
            ("T", "alif", "sparse", 8, 50, 150, 100, 1.0),  # below T 100: not a time goal
            ("T", "alif", "handwritten", 8, 50, 140, 90, 100.0),
            ("T", "alif", "sparse", 16, 2000, 999, 999, 999.0),  # another N: ignored
            # factorised LIF: memory grows 10 %, sparse 0.9x / 1.1x BPTT at T 1000 / 2000
            ("T_factorised", "lif_factorised", "sparse", 8, 100, 100, 100, 9.0),
            ("T_factorised", "lif_factorised", "sparse", 8, 1000, 105, 105, 9.0),
            ("T_factorised", "lif_factorised", "sparse", 8, 2000, 110, 110, 22.0),
            ("T_factorised", "lif_factorised", "bptt", 8, 1000, 500, 500, 10.0),
            ("T_factorised", "lif_factorised", "bptt", 8, 2000, 900, 900, 20.0),
            ("T_factorised", "lif_factorised", "bptt", 8, 100, 90, 90, 1.0),  # T < 1000: left out
        ]
    )
    goals = memory_scaling.goals_from(frame, scale)
    mem = goals["sparse_memory_flat_in_T"]
    assert set(mem) == {"alif", "lif_factorised"}
    assert mem["alif"]["per_T"] == {"T2000_over_T100": 1.0} and mem["alif"]["met"] is True
    assert mem["alif"]["with_inputs"] == 3.0
    assert (
        mem["lif_factorised"]["value"] == pytest.approx(1.1)
        and mem["lif_factorised"]["met"] is False
    )
    fact = goals["factorised_sparse_over_bptt_time_T_ge_1000"]
    assert fact["per_T"] == pytest.approx({"T1000": 0.9, "T2000": 1.1})
    assert fact["value"] == pytest.approx(1.1) and fact["limit"] == 1.0 and fact["met"] is False
    hand = goals["per_neuron_sparse_over_handwritten_time"]["alif"]
    assert hand["per_T"] == pytest.approx({"T100": 1.2, "T2000": 1.5})
    assert hand["value"] == pytest.approx(1.5) and hand["met"] is False and hand["limit"] == 1.25
    bptt = goals["per_neuron_sparse_over_bptt_time"]["alif"]
    assert bptt["per_T"] == pytest.approx({"T100": 2.0, "T2000": 0.5})
    assert bptt["limit"] is None and bptt["met"] is None


def test_braintrace_peers_without_venv_are_missing_with_setup(tmp_path):
    from spikead.bench import online as bench_online

    setting = bench_online.ScalingSetting("sparse", 8, 5)
    for method in ("braintrace_drtrl", "braintrace_eprop"):
        row = bench_online.peer_row(method, setting, str(tmp_path / "absent"))
        assert row["method"] == method and row["status"].startswith("missing")
        assert "pip install braintrace" in row["status"] and "install_peers.sh" in row["status"]
    with pytest.raises(ValueError, match="braintrace_drtrl"):
        bench_online.peer_row("braintrace", setting, None)
