"""Every experiment entry point composes under every profile; bad input fails clearly."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import REPO
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

from spikead.data import DataConfig, DatasetNotFoundError, load_dataset
from spikead.runs import SCALE_SCHEMAS  # importing spikead.runs registers the scale schemas
from spikead.runs.config import ConfigError, typed_config
from spikead.runs.fingerprint import compose_config

PROFILES = ("smoke", "quick", "paper")
ENTRY_POINTS = sorted(p.stem for p in (REPO / "configs").glob("*.yaml"))


def _compose(name, overrides=()):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def test_every_config_has_an_entry_point_and_vice_versa():
    scripts = sorted(
        p.stem for p in (REPO / "experiments").glob("*.py") if not p.stem.startswith("_")
    )
    assert ENTRY_POINTS, "no primary configs found"
    assert scripts == ENTRY_POINTS


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_config_composes(name, profile):
    cfg = _compose(name, [f"profile={profile}"])
    assert cfg.name == name
    assert cfg.profile.name == profile
    assert cfg.scale, f"configs/scale/{name}/{profile}.yaml is empty"
    # the typed schema is under the profile's values, and the profile sets every key it has
    # no default for
    assert OmegaConf.get_type(cfg.scale) is SCALE_SCHEMAS[name]
    assert not OmegaConf.missing_keys(cfg.scale), f"configs/scale/{name}/{profile}.yaml"


def test_every_entry_point_has_a_scale_schema():
    assert sorted(SCALE_SCHEMAS) == ENTRY_POINTS


def _composition_error(name, override) -> str:
    """The message chain of the error that composing ``name`` with ``override`` raises."""
    with pytest.raises(ConfigCompositionException) as info:
        _compose(name, ["profile=smoke", override])
    err, text = info.value, []
    while err is not None:
        text.append(str(err))
        err = err.__cause__
    return "\n".join(text)


@pytest.mark.parametrize(
    ("name", "override", "expected"),
    [
        ("train_snn", "scale.epochs=abc", ["scale.epochs", "Integer"]),
        ("train_snn", "scale.peak_lr=fast", ["scale.peak_lr", "Float"]),
        ("train_snn", "scale.width=[1,2]", ["scale.width", "Integer"]),
        ("train_snn", "scale.no_such_key=1", ["scale.no_such_key", "TrainSnnScale"]),
        ("framework_comparison", "scale.sizes=7", ["scale.sizes", "not a ListConfig"]),
        ("framework_comparison", "scale.sizes=[8,abc]", ["scale.sizes[1]", "Integer"]),
        ("framework_comparison", "scale.no_such_key=1", ["scale.no_such_key"]),
    ],
)
def test_bad_scale_values_fail_at_composition_naming_the_key(name, override, expected):
    text = _composition_error(name, override)
    for part in expected:
        assert part in text, text


def test_a_forced_unknown_key_fails_at_start_up():
    """Hydra's ``+key=value`` adds a key even to a typed node; the entry point's
    ``typed_config`` (its first step) still refuses it, naming the key."""
    cfg = _compose("train_snn", ["profile=smoke", "+scale.no_such_key=1"])
    with pytest.raises(ConfigError, match=r"scale: unknown key\(s\) \['no_such_key'\]"):
        typed_config(cfg.scale, SCALE_SCHEMAS["train_snn"], where="scale")


def test_good_scale_overrides_are_converted_to_the_schema_types():
    cfg = _compose("train_snn", ["profile=smoke", "scale.epochs=3", "scale.peak_lr=1"])
    assert cfg.scale.epochs == 3 and isinstance(cfg.scale.peak_lr, float)
    cfg = _compose(
        "framework_comparison", ["profile=smoke", "scale.sizes=[8,16]", "scale.cpus=null"]
    )
    assert list(cfg.scale.sizes) == [8, 16] and cfg.scale.cpus is None


def test_workflow_composition_names_the_bad_key():
    """The workflow's config digests compose through the same schema."""
    with pytest.raises(ConfigError, match=r"scale\.epochs.*Integer"):
        compose_config(str(REPO / "configs"), "train_snn", ("profile=smoke", "scale.epochs=abc"))


def test_cfg_job_fails_on_a_bad_scale_value():
    script = REPO / "experiments" / "train_snn.py"
    out = subprocess.run(
        [sys.executable, str(script), "scale.epochs=abc", "--cfg", "job"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode != 0
    assert "full_key: scale.epochs" in out.stderr and "Integer" in out.stderr, out.stderr[-2000:]


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
        out = subprocess.run(
            [sys.executable, str(script), *flag],
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-2000:]
    assert f"name: {name}" in out.stdout


def test_sweeps_can_use_the_submitit_slurm_launcher():
    """The `cluster` extra's Hydra launcher composes with a sweep of a training config."""
    script = REPO / "experiments" / "train_snn.py"
    args = [
        "hydra/launcher=submitit_slurm",
        "hydra.launcher.partition=gpu",
        "hydra.launcher.gpus_per_node=1",
        "profile=paper",
        "--cfg",
        "hydra",
    ]
    out = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SlurmLauncher" in out.stdout
    assert "partition: gpu" in out.stdout


@pytest.mark.parametrize("kind", ["shd", "ssc"])
def test_missing_data_hint_names_overrides_that_compose(tmp_path, kind):
    """Every ``key=value`` the missing-data message suggests is a Hydra override of
    train_snn that composes and does what the hint says."""
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset(DataConfig(name=kind, data_dir=str(tmp_path), download=False))
    hints = re.findall(r"\b(data[a-z_.]*=[a-z_]+)\b", str(info.value))
    assert f"data=synthetic_{kind}" in hints and "data.download=true" in hints, hints
    for hint in hints:
        cfg = _compose("train_snn", ["profile=smoke", f"data={kind}", hint])
        key, value = hint.split("=")
        if key == "data":  # a group choice: the stand-in, labelled as such
            assert cfg.data.name == value and cfg.data.label == value
        else:
            assert str(OmegaConf.select(cfg, key)).lower() == value
