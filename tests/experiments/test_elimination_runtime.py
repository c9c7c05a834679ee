"""The elimination_runtime experiment: every job timed or recorded as skipped, never dropped."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import elimination_runtime

from spikead.runs import ConfigError

TINY = ["profile=smoke", "wandb.mode=disabled", "scale.tasks=[PropaneCombustion]",
        "scale.batch_sizes=[4]", "scale.warmup=1", "scale.repeats=3"]


def _cfg(*extra):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="elimination_runtime", overrides=[*TINY, *extra])


def test_every_method_is_timed_and_compared(tmp_path):
    out = elimination_runtime.run(_cfg(), out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "runtime.csv")
    assert set(frame.method) == set(elimination_runtime.METHODS)
    assert (frame.status == "ok").all() and (frame.median_ms > 0).all()
    fair = frame.set_index("method").loc["vmap_jacrev", "median_ms"]
    row = frame.set_index("method").loc["vmap_jacve_reverse"]
    assert row.speedup_vs_vmap_jacrev == pytest.approx(fair / row.median_ms)
    summary = out["summary"]["PropaneCombustion"]
    assert summary["batch"] == 4 and "best_vmap_jacve_over_vmap_jacrev" in summary


def test_time_cap_records_skipped_jobs(tmp_path):
    elimination_runtime.run(_cfg("scale.time_cap_s=1e-9", "+scale.methods=[jacve_reverse,vmap_jacrev]"),
                            out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "runtime.csv")
    assert len(frame) == 2
    assert frame.status.str.startswith("skipped: over time cap").all()
    assert np.isnan(frame.median_ms).all()


def test_bad_time_cap_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="time_cap_s"):
        elimination_runtime.run(_cfg("scale.time_cap_s=0"), out_dir=tmp_path)


def test_memory_cap_records_skipped_jobs(tmp_path):
    elimination_runtime.run(_cfg("scale.memory_cap_bytes=1", "+scale.methods=[jacrev_vmap]"),
                            out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "runtime.csv")
    assert frame.status.str.startswith("skipped: over memory cap").all()
    assert (frame.memory_bytes > 1).all() and np.isnan(frame.median_ms).all()
