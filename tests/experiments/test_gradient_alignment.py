"""The gradient_alignment experiment's smoke run (by the workflow) and its results hold together."""

import json

import pandas as pd
import pytest
from conftest import SMOKE_GROUP


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run(smoke_workflow):
    out = smoke_workflow.results / "gradient_alignment"
    metrics = json.loads((out / "metrics.json").read_text())
    frame = pd.read_csv(out / "alignment.csv")
    expected = {
        "neuron",
        "recurrent",
        "N",
        "T",
        "seed",
        "method",
        "param",
        "cosine",
        "rel_l2",
        "max_abs",
        "ref_norm",
        "spike_rate",
    }
    assert expected <= set(frame.columns)
    assert (frame.spike_rate > 0).all()
    exact = frame[~frame.recurrent]
    assert len(exact) and (exact.cosine > 1 - 1e-6).all() and (exact.rel_l2 < 1e-4).all()
    rec = frame[frame.recurrent]
    assert set(rec.param) == {"w_in", "w_out", "w_rec"}
    assert rec[rec.param == "w_rec"].cosine.max() < 1 - 1e-9  # e-prop differs with recurrence
    assert metrics["exact_min_cosine"] > 1 - 1e-6
    assert (out / "table.md").read_text().startswith("| neuron")
    assert metrics["meta"]["profile"] == "smoke"
