"""train_snn on the smoke profile: outputs, labels, resume after an interruption."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import train_snn
from conftest import SMOKE_GROUP


def _cfg(data_dir, *overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(
            config_name="train_snn",
            overrides=[
                "profile=smoke",
                "wandb.mode=disabled",
                "progress=false",
                f"data.data_dir={data_dir}",
                *overrides,
            ],
        )


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run_writes_history_and_metrics(smoke_workflow):
    """The workflow's smoke run of the default settings: synthetic SHD, LIF, e-prop."""
    out = smoke_workflow.results / "train_snn" / "synthetic_shd_lif_eprop"
    history = pd.read_csv(out / "history.csv")
    assert list(history.columns) == [
        "epoch",
        "train_loss",
        "train_acc",
        "valid_loss",
        "valid_acc",
        "test_loss",
        "test_acc",
        "lr",
        "epoch_time_s",
        "eval_time_s",
    ]
    assert list(history["epoch"]) == [1, 2]
    assert (
        history[["train_acc", "valid_acc", "test_acc"]].apply(lambda c: c.between(0, 1)).all().all()
    )
    assert (history["train_loss"] > 0).all()
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["completed"] and saved["synthetic"] is True and saved["dataset"] == "synthetic_shd"
    assert "synthetic" in saved["meta"]["data"]
    assert saved["algorithm"] == "eprop" and saved["online_method"] == "sparse"
    assert saved["chance_acc"] == pytest.approx(1 / 20)
    assert saved["split_sizes"]["test"] == 32
    assert saved["final_test_acc"] == history["test_acc"].iloc[-1]
    assert saved["n_params"] == 16 * 140 + 20 * 16 + 20


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    data = tmp_path / "data"
    full = train_snn.run(
        _cfg(data, "algorithm=bptt", "model=paper_a_alif"), out_dir=tmp_path / "full"
    )
    part = train_snn.run(
        _cfg(data, "algorithm=bptt", "model=paper_a_alif", "stop_after_epochs=1"),
        out_dir=tmp_path / "cut",
    )
    assert part["completed"] is False and part["epochs"] == 1
    assert not (tmp_path / "cut" / "metrics.json").exists()
    resumed = train_snn.run(
        _cfg(data, "algorithm=bptt", "model=paper_a_alif"), out_dir=tmp_path / "cut"
    )
    assert resumed["resumed_from"] == 1
    for key in ("final_train_loss", "final_test_loss", "final_test_acc", "test_acc_at_best_valid"):
        assert resumed[key] == full[key], key
