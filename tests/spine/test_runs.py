"""The run helpers: atomic writes, typed configs, tables, metrics."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import types

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from spikead.runs import (
    ConfigError,
    atomic_write_json,
    atomic_write_text,
    format_number,
    latex_table,
    markdown_table,
    start_run,
    typed_config,
)
from spikead.runs import atomic as atomic_mod
from spikead.runs.context import DETERMINISTIC_XLA_FLAG


def test_atomic_write_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(atomic_mod.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "new and half written")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left


def test_atomic_json_converts_numpy_and_nonfinite(tmp_path):
    path = atomic_write_json(
        tmp_path / "a.json", {"x": np.float32(1.5), "y": np.arange(3), "z": float("nan")}
    )
    assert json.loads(path.read_text()) == {"x": 1.5, "y": [0, 1, 2], "z": "nan"}


@dataclasses.dataclass
class Schema:
    n: int = 1
    names: list[str] = dataclasses.field(default_factory=list)


def test_typed_config_accepts_and_converts():
    out = typed_config(OmegaConf.create({"n": 3, "names": ["a"]}), Schema)
    assert out == Schema(n=3, names=["a"])


@pytest.mark.parametrize("bad, needle", [({"n": "three"}, "n"), ({"nn": 3}, "nn")])
def test_typed_config_names_the_bad_key(bad, needle):
    with pytest.raises(ConfigError, match=needle):
        typed_config(OmegaConf.create(bad), Schema, where="scale")


def test_tables_render_every_row():
    frame = pd.DataFrame({"task": ["a_b", "c"], "cost": [1.0, 2500.0]})
    md = markdown_table(frame)
    assert md.splitlines()[0] == "| task | cost |" and "| c | 2500 |" in md
    tex = latex_table(frame, caption="x")
    assert r"a\_b" in tex and tex.count(r"\\") == 3


@pytest.mark.parametrize(
    "value, text",
    [
        (1 - 4e-13, "1 - 4.0e-13"),  # a cosine that is not exactly 1 stays visible
        (0.99999, "1 - 1.0e-05"),
        (1 + 2.5e-5, "1 + 2.5e-05"),
        (1.0, "1"),
        (0.998, "0.998"),  # more than 1e-3 from 1: significant digits
        (0.123456, "0.1235"),
        (26.4567, "26.46"),
        (2500.0, "2500"),
        (123456.7, "123457"),  # never 1.235e+05
        (3.2e-7, "3.2e-07"),
        (-0.5, "-0.5"),
        (float("nan"), "-"),
    ],
)
def test_table_cells_keep_significant_digits(value, text):
    frame = pd.DataFrame({"x": [value], "x32": [np.float32(value)]})
    assert (
        markdown_table(frame).splitlines()[2] == f"| {text} | {format_number(np.float32(value))} |"
    )
    assert format_number(value) == text


def test_table_cells_of_other_types():
    frame = pd.DataFrame({"n": [3], "flag": [True], "name": ["a"], "none": [None]})
    assert markdown_table(frame).splitlines()[2] == "| 3 | True | a | - |"


def test_run_writes_config_and_metrics_last(tmp_path):
    cfg = OmegaConf.create({"seed": 3, "profile": {"name": "smoke"}, "wandb": {"mode": "disabled"}})
    run = start_run(cfg, "demo", out_dir=tmp_path, data_label="none")
    run.write_csv("curve.csv", pd.DataFrame({"a": [1, 2]}))
    assert not (tmp_path / "metrics.json").exists()
    payload = run.finish({"score": 1.0})
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written == json.loads(json.dumps(payload))
    assert written["meta"]["profile"] == "smoke" and written["meta"]["seed"] == 3
    assert "backend" in written["meta"]["hardware"]
    assert (tmp_path / "config.yaml").exists()


def test_wandb_writes_into_the_run_directory(tmp_path, monkeypatch):
    """Offline wandb runs land in <run dir>/wandb, whatever the working directory and
    WANDB_DIR say (wandb.init's ``dir`` wins over WANDB_DIR)."""
    calls = []

    class Fake:
        def __init__(self):
            self.summary = {}

        def log(self, metrics, step=None):
            calls.append(("log", metrics, step))

        def finish(self):
            calls.append(("finish",))

    def init(**kwargs):
        calls.append(("init", kwargs))
        return Fake()

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(init=init))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    cfg = OmegaConf.create({"seed": 0, "profile": {"name": "smoke"}, "wandb": {"mode": "disabled"}})
    run = start_run(cfg, "demo", out_dir="results/smoke/demo")  # relative, as Hydra may give
    run.log_metrics({"loss": 1.0}, step=1)
    run.finish({"score": 1.0})
    kind, kwargs = calls[0]
    assert kind == "init" and kwargs["mode"] == "offline"  # WANDB_MODE wins over the config
    assert kwargs["dir"] == str(tmp_path / "results" / "smoke" / "demo")
    assert calls[1:] == [("log", {"loss": 1.0}, 1), ("finish",)]


def _start(tmp_path, deterministic):
    cfg = OmegaConf.create(
        {
            "seed": 0,
            "profile": {"name": "smoke"},
            "wandb": {"mode": "disabled"},
            "deterministic": deterministic,
        }
    )
    return start_run(cfg, "demo", out_dir=tmp_path).meta["deterministic"]


def test_deterministic_run_sets_the_xla_flag_before_jax_starts(tmp_path, monkeypatch):
    from jax._src import xla_bridge

    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: False)
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/nowhere")
    assert _start(tmp_path, True) is True
    assert os.environ["XLA_FLAGS"].split() == ["--xla_dump_to=/nowhere", DETERMINISTIC_XLA_FLAG]
    assert _start(tmp_path, True) is True  # not added twice
    assert os.environ["XLA_FLAGS"].count("deterministic") == 1
    monkeypatch.setenv("XLA_FLAGS", "--xla_gpu_deterministic_ops=false")  # the user's choice wins
    assert _start(tmp_path, True) is False
    assert os.environ["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=false"
    monkeypatch.delenv("XLA_FLAGS")
    assert _start(tmp_path, False) is False and "XLA_FLAGS" not in os.environ


def test_deterministic_run_warns_when_the_gpu_started_too_early(tmp_path, monkeypatch, caplog):
    import jax
    from jax._src import xla_bridge

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: True)
    assert _start(tmp_path, True) is True  # a CPU is reproducible without the flag
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    with caplog.at_level("WARNING"):
        assert _start(tmp_path, True) is False
    assert DETERMINISTIC_XLA_FLAG in caplog.text and "XLA_FLAGS" not in os.environ


def test_bad_wandb_mode_is_rejected(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    cfg = OmegaConf.create({"seed": 0, "profile": {"name": "smoke"}, "wandb": {"mode": "offlin"}})
    with pytest.raises(ConfigError, match="offlin"):
        start_run(cfg, "demo", out_dir=tmp_path)
