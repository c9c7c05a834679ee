"""The training figures over several seeds: the accuracy table's means and per-seed gaps,
and the learning curves render (runs written here in the train_snn layout)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO

ACC = {  # (model, algorithm, seed) -> test accuracy at the best validation epoch
    ("lif", "bptt", 0): 0.50,
    ("lif", "eprop", 0): 0.47,
    ("lif", "bptt", 1): 0.40,
    ("lif", "eprop", 1): 0.41,
    ("paper_a_alif", "bptt", 0): 0.30,
    ("paper_a_alif", "eprop", 0): 0.30,
    ("paper_a_alif", "bptt", 1): 0.20,
    ("paper_a_alif", "eprop", 1): 0.22,
}


def _write_runs(folder, seeds):
    for (model, algorithm, seed), acc in ACC.items():
        if seed not in seeds:
            continue
        run = folder / (f"synthetic_shd_{model}_{algorithm}" + (f"_seed{seed}" if seed else ""))
        run.mkdir(parents=True)
        meta = {
            "profile": "smoke",
            "data": "synthetic stand-in",
            "seed": seed,
            "hardware": {"backend": "cpu", "cpu_cores": 2},
        }
        metrics = {
            "dataset": "synthetic_shd",
            "dataset_label": "synthetic_shd",
            "synthetic": True,
            "model": model,
            "depth": 1,
            "width": 8,
            "recurrent": False,
            "n_bins": 10,
            "algorithm": algorithm,
            "test_acc_at_best_valid": acc,
            "final_test_acc": acc,
            "chance_acc": 0.05,
            "epochs": 2,
            "median_epoch_time_s": 1.0,
            "meta": meta,
            "val_split": "speaker",
        }
        (run / "metrics.json").write_text(json.dumps(metrics))
        pd.DataFrame(
            {"epoch": [1, 2], "train_acc": [acc / 2, acc], "test_acc": [acc / 2, acc]}
        ).to_csv(run / "history.csv", index=False)


def _render(script, results, out):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "paper_figures" / f"{script}.py"),
            "--results",
            str(results),
            "--out",
            str(out),
            "--profile",
            "smoke",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _summary_rows(md: str) -> list[list[str]]:
    section = md.split("## Our runs")[1].split("##")[0]
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| synthetic")
    ]


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_accuracy_table_averages_over_seeds(tmp_path, seeds):
    _write_runs(tmp_path / "train_snn", seeds)
    out = tmp_path / "table.md"
    _render("accuracy_table", tmp_path / "train_snn", out)
    md = out.read_text()
    header = [c.strip() for c in md.split("## Our runs")[1].splitlines()[2].strip("|").split("|")]
    rows = {(r[header.index("model")], r[header.index("algorithm")]): r for r in _summary_rows(md)}
    assert len(rows) == 4
    lif_eprop = rows[("lif", "eprop")]
    mean_acc = 100 * sum(ACC[("lif", "eprop", s)] for s in seeds) / len(seeds)
    gap = 100 * sum(ACC[("lif", "eprop", s)] - ACC[("lif", "bptt", s)] for s in seeds) / len(seeds)
    assert float(lif_eprop[header.index("test_acc_best_valid")]) == pytest.approx(
        mean_acc, abs=0.01
    )
    assert float(lif_eprop[header.index("eprop_minus_bptt")]) == pytest.approx(gap, abs=0.01)
    assert int(lif_eprop[header.index("seeds")]) == len(seeds)
    assert ("gap_std" in header) == (len(seeds) > 1) and ("## Every run" in md) == (len(seeds) > 1)


def test_learning_curves_render_several_seeds(tmp_path):
    _write_runs(tmp_path / "train_snn", (0, 1))
    out = tmp_path / "curves.png"
    _render("learning_curves", tmp_path / "train_snn", out)
    assert out.stat().st_size > 10_000


def test_accuracy_table_marks_data_source_protocol_and_anchors(tmp_path):
    """Our rows say stand-in vs real and the validation protocol; the anchors of papers.md
    (SHD BPTT 78.1, OTPE 75.2, clean-protocol about 93.8; SSC state of the art 82.6) are listed."""
    results = tmp_path / "train_snn"
    _write_runs(results, (0,))
    real = results / "ssc_lif_bptt"  # a real-data run on SSC's own validation file
    real.mkdir()
    metrics = json.loads((results / "synthetic_shd_lif_bptt" / "metrics.json").read_text())
    metrics.update(dataset="ssc", dataset_label="ssc", synthetic=False, val_split="valid file")
    (real / "metrics.json").write_text(json.dumps(metrics))
    out = tmp_path / "table.md"
    _render("accuracy_table", results, out)
    md = out.read_text()
    ours = md.split("## Our runs")[1].split("##")[0]
    header = [c.strip() for c in ours.splitlines()[2].strip("|").split("|")]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in ours.splitlines()[4:]
        if line.startswith("|")
    ]
    by_data = {r[header.index("data")]: r for r in rows}
    assert by_data["ssc"][header.index("data source")] == "real"
    assert by_data["ssc"][header.index("val_split")] == "valid file"
    assert by_data["synthetic_shd (synthetic)"][header.index("data source")] == "stand-in"
    assert by_data["synthetic_shd (synthetic)"][header.index("val_split")].startswith("speaker")
    assert (
        "Validation split (epoch selection) of our rows: ssc: valid file; "
        "synthetic_shd (synthetic): speaker (held-out speakers)."
    ) in ours
    anchors = md.split("## Published anchors")[1]
    for line in (
        "| SHD | real | feed-forward SNN, BPTT | 78.1",
        "| SHD | real | feed-forward SNN, OTPE (online) | 75.2",
        "clean protocol (about) | 93.8 | validation held out of train",
        "(DelRec) | 82.6",
    ):
        assert line in anchors, line
