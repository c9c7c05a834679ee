"""The gradient_alignment experiment runs on the smoke profile and its results hold together."""

import sys
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import gradient_alignment


def test_smoke_run(tmp_path):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="gradient_alignment",
                      overrides=["profile=smoke", "wandb.mode=disabled"])
    out = gradient_alignment.run(cfg, out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "alignment.csv")
    expected = {"neuron", "recurrent", "N", "T", "seed", "method", "param", "cosine", "rel_l2",
                "max_abs", "ref_norm", "spike_rate"}
    assert expected <= set(frame.columns)
    assert (frame.spike_rate > 0).all()
    exact = frame[~frame.recurrent]
    assert len(exact) and (exact.cosine > 1 - 1e-6).all() and (exact.rel_l2 < 1e-4).all()
    rec = frame[frame.recurrent]
    assert set(rec.param) == {"w_in", "w_out", "w_rec"}
    assert rec[rec.param == "w_rec"].cosine.max() < 1 - 1e-9  # e-prop differs with recurrence
    assert out["exact_min_cosine"] > 1 - 1e-6
    assert (tmp_path / "table.md").read_text().startswith("| neuron")
    assert (tmp_path / "metrics.json").exists()
