"""The parallel-in-time rows of the framework comparison (peer `parallel`, compare_parallel)."""

import json
import math

import pytest

from spikead.bench import (
    CAP_STATUS,
    PARALLEL_COLUMNS,
    ComparisonSettings,
    compare_parallel,
    make_problem,
    parallel_metrics,
)
from spikead.bench._parallel_comparison import _rows
from spikead.bench.peers import PeerSettings, load_problem
from spikead.bench.peers.parallel import measure


def _settings(tmp_path, neuron, modes, **kw):
    problem = make_problem(tmp_path / f"p_{neuron}.npz", 6, 2, 12, seed=1, input_rate=0.5)
    return PeerSettings(
        framework="parallel",
        problem_path=str(problem),
        spikes_path=str(tmp_path / "s.npz"),
        result_path=str(tmp_path / "r.json"),
        warmup=2,
        repeats=3,
        options={"neuron": neuron, "modes": modes},
        **kw,
    )


@pytest.mark.parametrize(
    ("neuron", "modes"),
    [("lif", ["sequential", "parallel", "parallel_associative"]), ("li", ["parallel"])],
)
def test_peer_times_each_mode_against_the_hand_scan(tmp_path, neuron, modes):
    settings = _settings(tmp_path, neuron, modes)
    result = measure(settings, load_problem(settings.problem_path))
    assert result.status == "ok" and list(result.modes) == modes
    assert result.output_mean > 0  # the problem has spikes (lif) / nonzero membranes (li)
    payload = json.loads(json.dumps(result.to_dict()))  # what the subprocess writes
    rows = []
    for name in modes:
        mode = result.modes[name]
        assert mode.status == "ok" and mode.identical and mode.grad_rel_err < 1e-4
        assert mode.fwd.rounds == mode.fwdbwd.rounds == 3
        if name != "sequential" and neuron == "lif":
            assert len(mode.iterations) == 2 and min(mode.iterations) >= 1  # per sample
        else:
            assert not mode.iterations  # nothing iterated
        rows += _rows(neuron, 6, 2, 12, name, payload["modes"][name])
    for row in rows:
        assert set(row) == set(PARALLEL_COLUMNS) and row["status"] == "ok"
        assert row["ratio"] == pytest.approx(row["mode_ms"] / row["hand_scan_ms"])
    metrics = parallel_metrics(rows)
    for name in modes:
        assert metrics["parallel_over_hand_scan"][neuron][name]["fwdbwd"]["12"] > 0
        assert metrics["parallel_identical"][neuron][name] == {"12": True}


def test_peer_skips_a_mode_over_the_time_cap(tmp_path):
    settings = _settings(tmp_path, "lif", ["parallel"], time_cap_s=1e-9)
    mode = measure(settings, load_problem(settings.problem_path)).modes["parallel"]
    assert mode.status.startswith(CAP_STATUS) and "T=12" in mode.status
    assert mode.fwd is None and mode.fwdbwd is None and mode.identical  # still checked
    row = _rows(
        "lif",
        6,
        2,
        12,
        "parallel",
        json.loads(json.dumps({"status": mode.status, "identical": True})),
    )[0]
    assert math.isnan(row["ratio"]) and row["rounds"] == 0
    assert parallel_metrics([row])["parallel_over_hand_scan"]["lif"]["parallel"]["fwd"] == {
        "12": None
    }


def test_compare_parallel_rejects_unknown_names(tmp_path):
    settings = ComparisonSettings(batch=1, steps=4)
    with pytest.raises(ValueError, match="'lstm'"):
        compare_parallel([4], settings, n=4, batch=1, workdir=tmp_path, neurons=["lstm"])
    with pytest.raises(ValueError, match="'fast'"):
        compare_parallel([4], settings, n=4, batch=1, workdir=tmp_path, modes=["fast"])


@pytest.mark.slow
def test_compare_parallel_runs_a_subprocess_and_caps_larger_steps(tmp_path):
    settings = ComparisonSettings(batch=1, steps=1, warmup=2, repeats=3, time_cap_s=1e-9)
    rows, details = compare_parallel(
        [8, 16], settings, n=4, batch=1, workdir=tmp_path, modes=["parallel"]
    )
    assert [(r["T"], r["pass"]) for r in rows] == [
        (8, "fwd"),
        (8, "fwdbwd"),
        (16, "fwd"),
        (16, "fwdbwd"),
    ]
    assert all(r["status"].startswith(CAP_STATUS) for r in rows), rows
    assert "T=8" in rows[-1]["status"]  # T=16 skipped because of T=8, without a subprocess
    assert details["lif T=8"]["status"] == "ok"
    assert details["lif T=16"]["status"].startswith(CAP_STATUS)  # no subprocess ran
    assert rows[0]["identical"] is True
