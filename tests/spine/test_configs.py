"""Every experiment entry point composes under every profile; bad input fails clearly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

PROFILES = ("smoke", "quick", "paper")
ENTRY_POINTS = sorted(p.stem for p in (REPO / "configs").glob("*.yaml"))


def _compose(name, overrides=()):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def test_every_config_has_an_entry_point_and_vice_versa():
    scripts = sorted(p.stem for p in (REPO / "experiments").glob("*.py") if not p.stem.startswith("_"))
    assert ENTRY_POINTS, "no primary configs found"
    assert scripts == ENTRY_POINTS


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_config_composes(name, profile):
    cfg = _compose(name, [f"profile={profile}"])
    assert cfg.name == name
    assert cfg.profile.name == profile
    assert cfg.scale, f"configs/scale/{name}/{profile}.yaml is empty"


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_unknown_key_and_choice_fail(name):
    with pytest.raises((ConfigCompositionException, ConfigAttributeError, ConfigKeyError)):
        _compose(name, ["scale.no_such_key=1"])
    with pytest.raises(ConfigCompositionException, match="no_such_profile"):
        _compose(name, ["profile=no_such_profile"])


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_entry_point_help_and_cfg_job(name):
    script = REPO / "experiments" / f"{name}.py"
    for flag in (["--help"], ["--cfg", "job", "profile=smoke"]):
        out = subprocess.run([sys.executable, str(script), *flag], capture_output=True, text=True, check=False,
                             cwd=REPO, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
    assert f"name: {name}" in out.stdout


def test_sweeps_can_use_the_submitit_slurm_launcher():
    """The `cluster` extra's Hydra launcher composes with a sweep of a training config."""
    script = REPO / "experiments" / "train_snn.py"
    args = ["hydra/launcher=submitit_slurm", "hydra.launcher.partition=gpu",
            "hydra.launcher.gpus_per_node=1", "profile=paper", "--cfg", "hydra"]
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=False,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SlurmLauncher" in out.stdout
    assert "partition: gpu" in out.stdout
