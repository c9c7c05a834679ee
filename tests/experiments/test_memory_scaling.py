"""The memory_scaling experiment runs on the smoke profile and its results hold together."""

import sys
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import memory_scaling


def test_smoke_run(tmp_path):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="memory_scaling",
                      overrides=["profile=smoke", "wandb.mode=disabled",
                                 "scale.methods=[sparse,bptt,handwritten]",
                                 "scale.max_bytes=1e5"])
    out = memory_scaling.run(cfg, out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "scaling.csv")
    expected = {"sweep", "method", "N", "T", "batch", "memory_bytes", "temp_bytes", "time_ms",
                "time_q25_ms", "time_q75_ms", "compile_s", "status"}
    assert expected <= set(frame.columns)
    measured = frame[frame.status == "ok"]
    assert set(measured.method) == {"sparse", "bptt", "handwritten"}
    assert (measured.memory_bytes > 0).all() and (measured.time_ms > 0).all()
    assert frame[frame.method == "brainscale_drtrl"].status.str.startswith("missing").all()
    # BPTT keeps activations for every step: its memory grows with T
    bptt = measured[(measured.method == "bptt") & (measured.sweep == "T")].sort_values("T")
    assert bptt.memory_bytes.iloc[-1] > bptt.memory_bytes.iloc[0]
    # sparse traces do not grow with T (only the input arguments do)
    sparse = measured[(measured.method == "sparse") & (measured.sweep == "T")].sort_values("T")
    assert sparse.memory_without_inputs_bytes.iloc[-1] == sparse.memory_without_inputs_bytes.iloc[0]
    assert out["sparse_memory_ratio_without_inputs"] == 1.0


def test_too_large_setting_is_skipped_with_reason():
    from spikead import online

    row = online.measure_scaling(online.ScalingSetting("dense", 512, 10, batch=16),
                                 max_seconds=1.0, max_bytes=1e6, flops_per_s=1e9)
    assert row["status"].startswith("skipped") and "max_bytes" in row["status"]
    assert row["memory_bytes"] is None
