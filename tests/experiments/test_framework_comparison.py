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

from spikead.bench import COLUMNS

TORCH_PEERS = ("snntorch", "norse", "spikingjelly", "rockpool")


def _one_peer() -> tuple[str, bool]:
    """An installed PyTorch peer if there is one, else snntorch (then expected missing)."""
    for name in TORCH_PEERS:
        if importlib.util.find_spec(name) is not None and importlib.util.find_spec("torch"):
            return name, True
    return "snntorch", False


@pytest.mark.slow
def test_smoke_run(tmp_path):
    peer, installed = _one_peer()
    frameworks = f"scale.frameworks=[spikead,jax_scan,{peer}]"
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="framework_comparison",
                      overrides=["profile=smoke", "wandb.mode=disabled", frameworks])
    payload = framework_comparison.run(cfg, out_dir=tmp_path)

    frame = pd.read_csv(tmp_path / "timings.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert sorted(frame.framework) == sorted(["spikead", "jax_scan", peer])
    rows = frame.set_index("framework")
    for fw in ("spikead", "jax_scan"):
        assert rows.loc[fw, "status"] == "ok"
        assert rows.loc[fw, "fwd_q25_ms"] <= rows.loc[fw, "fwd_ms"] <= rows.loc[fw, "fwd_q75_ms"]
        assert rows.loc[fw, "fwdbwd_ms"] > 0 and rows.loc[fw, "compile_s"] > 0
        assert rows.loc[fw, "memory_bytes"] > 0
    assert rows.loc["jax_scan", "agreement"] == 1.0
    assert rows.loc["spikead", "agreement"] == 1.0
    if installed:
        assert rows.loc[peer, "status"] == "ok"
        assert rows.loc[peer, "agreement"] == 1.0  # identical dynamics, exact input currents
        assert math.isnan(rows.loc[peer, "compile_s"])  # eager PyTorch: nothing compiled
    else:
        assert rows.loc[peer, "status"].startswith("missing:")
        assert math.isnan(rows.loc[peer, "fwd_ms"])

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == payload
    ratio = metrics["spikead_over_hand_scan"]["fwdbwd"]["64"]
    assert ratio == pytest.approx(rows.loc["spikead", "fwdbwd_ms"] / rows.loc["jax_scan", "fwdbwd_ms"])
    assert metrics["compile_spikead_network"]["seconds"] > 0
    assert metrics["compile_spikead_network"]["layers"] == 3
    assert not (tmp_path / "work").exists()
    assert metrics["meta"]["profile"] == "smoke"


def test_unknown_framework_fails_before_work(tmp_path):
    from spikead.bench import UnknownFrameworkError

    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="framework_comparison",
                      overrides=["profile=smoke", "wandb.mode=disabled",
                                 "scale.frameworks=[spikead,brian9]"])
    with pytest.raises(UnknownFrameworkError, match="brian9"):
        framework_comparison.run(cfg, out_dir=tmp_path)
    assert not (tmp_path / "timings.csv").exists()


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_profiles_compose(profile):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="framework_comparison", overrides=[f"profile={profile}"])
    scale = framework_comparison.typed_config(cfg.scale, framework_comparison.Scale, where="scale")
    assert scale.sizes and "spikead" in scale.frameworks and "jax_scan" in scale.frameworks
