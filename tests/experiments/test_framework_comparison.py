"""Smoke run of experiments/framework_comparison.py: spikead, the hand scan and one peer."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import framework_comparison
from conftest import SMOKE_GROUP

from spikead.bench import COLUMNS, PAIRED_COLUMNS, PARALLEL_COLUMNS


def _installed(peer: str) -> bool:
    return (
        importlib.util.find_spec(peer) is not None and importlib.util.find_spec("torch") is not None
    )


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run(smoke_workflow):
    """The workflow's smoke run: spikead, the hand scan and one PyTorch peer."""
    out = smoke_workflow.results / "framework_comparison"
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="framework_comparison", overrides=["profile=smoke"])
    frameworks = list(cfg.scale.frameworks)
    peers = [f for f in frameworks if f not in ("spikead", "jax_scan")]
    assert {"spikead", "jax_scan"} <= set(frameworks) and peers, frameworks

    frame = pd.read_csv(out / "timings.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert sorted(frame.framework) == sorted(frameworks)
    rows = frame.set_index("framework")
    for fw in ("spikead", "jax_scan"):
        assert rows.loc[fw, "status"] == "ok"
        assert rows.loc[fw, "fwd_q25_ms"] <= rows.loc[fw, "fwd_ms"] <= rows.loc[fw, "fwd_q75_ms"]
        assert rows.loc[fw, "fwdbwd_ms"] > 0 and rows.loc[fw, "compile_s"] > 0
        assert rows.loc[fw, "memory_bytes"] > 0
    assert rows.loc["jax_scan", "agreement"] == 1.0
    assert rows.loc["spikead", "agreement"] == 1.0
    for peer in peers:
        if _installed(peer):
            assert rows.loc[peer, "status"] == "ok"
            assert rows.loc[peer, "agreement"] == 1.0  # identical dynamics, exact input currents
            assert math.isnan(rows.loc[peer, "compile_s"])  # eager PyTorch: nothing compiled
        else:
            assert rows.loc[peer, "status"].startswith("missing:")
            assert math.isnan(rows.loc[peer, "fwd_ms"])

    metrics = json.loads((out / "metrics.json").read_text())
    size = str(cfg.scale.sizes[0])
    ratio = metrics["spikead_over_hand_scan"]["fwdbwd"][size]
    assert ratio == pytest.approx(
        rows.loc["spikead", "fwdbwd_ms"] / rows.loc["jax_scan", "fwdbwd_ms"]
    )
    # the goal's measure: spikead and the hand scan interleaved in one process
    parallel = pd.read_csv(out / "parallel.csv")  # parallel-in-time rows over T
    assert list(parallel.columns) == list(PARALLEL_COLUMNS)
    assert sorted(set(parallel["T"])) == sorted(cfg.scale.parallel_T)
    assert set(parallel.status) == {"ok"} and parallel.identical.all()
    for t in cfg.scale.parallel_T:
        assert metrics["parallel_over_hand_scan"]["lif"]["parallel"]["fwdbwd"][str(t)] > 0
        assert metrics["parallel_iterations"]["lif"]["parallel"][str(t)] >= 1
    assert (smoke_workflow.figures / "framework_parallel.png").exists()
    paired = pd.read_csv(out / "paired.csv")
    assert list(paired.columns) == list(PAIRED_COLUMNS)
    assert sorted(paired["mode"]) == ["fwd", "fwdbwd"] and set(paired.status) == {"ok"}
    for mode in ("fwd", "fwdbwd"):
        assert metrics["spikead_over_hand_scan_paired"][mode][size] > 0
    assert metrics["compile_spikead_network"]["seconds"] > 0
    assert metrics["compile_spikead_network"]["layers"] == cfg.scale.compile_layers
    assert not (out / "work").exists()
    assert metrics["meta"]["profile"] == "smoke"


def test_unknown_framework_fails_before_work(tmp_path):
    from spikead.bench import UnknownFrameworkError

    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="framework_comparison",
            overrides=["profile=smoke", "wandb.mode=disabled", "scale.frameworks=[spikead,brian9]"],
        )
    with pytest.raises(UnknownFrameworkError, match="brian9"):
        framework_comparison.run(cfg, out_dir=tmp_path)
    assert not (tmp_path / "timings.csv").exists()


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_profiles_compose(profile):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="framework_comparison", overrides=[f"profile={profile}"])
    scale = framework_comparison.typed_config(cfg.scale, framework_comparison.Scale, where="scale")
    assert scale.sizes and "spikead" in scale.frameworks and "jax_scan" in scale.frameworks
    lif = framework_comparison.typed_config(cfg.lif, framework_comparison.LIF, where="lif")
    settings = framework_comparison.comparison_settings(scale, lif, seed=0)  # valid: no error
    assert (settings.batch, settings.steps) == (scale.batch, scale.T)


def test_bad_neuron_setting_fails_before_work(tmp_path):
    from spikead.bench import ComparisonSettingsError

    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="framework_comparison",
            overrides=["profile=smoke", "wandb.mode=disabled", "lif.beta=1.5"],
        )
    with pytest.raises(ComparisonSettingsError, match=r"beta=1\.5.*lif\.beta"):
        framework_comparison.run(cfg, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())
