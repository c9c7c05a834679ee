"""The training loop: learning, history, exact resume, divergence, data parallelism."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
import pandas as pd
import pytest
from train_helpers import small_model, toy_splits

from spikead import train


@pytest.fixture
def splits():
    return toy_splits()


OPT = train.OptimizerConfig(peak_lr=1e-2, init_lr=1e-3)
BPTT = train.AlgorithmConfig(name="bptt")
TIME_COLUMNS = ["epoch_time_s", "eval_time_s"]


def _fit(out_dir, splits, epochs=3, algorithm=BPTT, **kw):
    cfg = train.TrainConfig(
        epochs=epochs,
        batch_size=kw.pop("batch_size", 16),
        seed=0,
        progress=False,
        stop_after_epochs=kw.pop("stop_after_epochs", 0),
    )
    return train.fit(
        small_model(), splits, train=cfg, optimizer=OPT, algorithm=algorithm, out_dir=out_dir, **kw
    )


def _numbers(history):
    return [{k: v for k, v in row.items() if k not in TIME_COLUMNS} for row in history]


def test_fit_learns_and_writes_history(tmp_path, splits):
    result = _fit(tmp_path, splits, epochs=6)
    assert result.completed and result.resumed_from == 0
    frame = pd.read_csv(tmp_path / train.HISTORY_NAME)
    assert list(frame.columns) == list(train.HISTORY_COLUMNS)
    assert list(frame["epoch"]) == [1, 2, 3, 4, 5, 6]
    assert frame["train_acc"].iloc[-1] > 0.7  # 3 classes: chance is 1/3
    assert frame["test_acc"].iloc[-1] > 0.6
    assert frame["train_loss"].iloc[-1] < frame["train_loss"].iloc[0]
    summary = result.summary()
    best = int(np.argmax(frame["valid_acc"]))
    assert summary["best_epoch"] == best + 1
    assert summary["test_acc_at_best_valid"] == frame["test_acc"].iloc[best]
    assert (tmp_path / train.CHECKPOINT_NAME).exists()


def test_uneven_last_batch_counts_every_sample(splits):
    x, y = splits["train"]
    cfg = train.TrainConfig(epochs=1, batch_size=32, progress=False)
    one = {"train": (x[:40], y[:40]), "test": (x[:40], y[:40])}
    result = train.fit(small_model(), one, train=cfg, optimizer=OPT, algorithm=BPTT)
    row = result.history[0]
    assert math.isnan(row["valid_acc"])  # no validation split
    assert 0.0 <= row["test_acc"] <= 1.0 and row["test_acc"] * 40 == pytest.approx(
        round(row["test_acc"] * 40)
    )


@pytest.mark.parametrize(
    "how", ["stop_after_epochs", pytest.param("exception", marks=pytest.mark.slow)]
)
def test_resume_equals_uninterrupted(tmp_path, splits, how):
    full = _fit(tmp_path / "full", splits)
    if how == "stop_after_epochs":
        part = _fit(tmp_path / "cut", splits, stop_after_epochs=1)
        assert not part.completed and len(part.history) == 1
    else:

        def crash(row):
            if row["epoch"] == 2:
                raise KeyboardInterrupt("simulated kill")

        with pytest.raises(KeyboardInterrupt):
            _fit(tmp_path / "cut", splits, on_epoch=crash)
    resumed = _fit(tmp_path / "cut", splits)
    assert resumed.resumed_from == (1 if how == "stop_after_epochs" else 2)
    assert _numbers(resumed.history) == _numbers(full.history)
    assert eqx.tree_equal(resumed.model, full.model)


def test_changed_settings_refuse_to_resume(tmp_path, splits):
    _fit(tmp_path, splits, epochs=1)
    with pytest.raises(train.CheckpointError, match="different settings"):
        _fit(tmp_path, splits, epochs=1, batch_size=8)


def test_divergence_stops_and_keeps_last_good_checkpoint(tmp_path):
    splits = toy_splits()
    x_train = splits["train"][0]

    def poison(row):
        x_train[:] = np.nan  # the next epoch sees NaN inputs

    with pytest.raises(train.TrainingDivergedError, match=r"epoch 2, batch \d+ .*epoch 1 in"):
        _fit(tmp_path, splits, on_epoch=poison)
    params, _frozen = train.split_model(small_model())
    tx = train.make_optimizer(OPT, 6, 3)
    ckpt = train.load_checkpoint(tmp_path / train.CHECKPOINT_NAME, params, tx.init(params))
    assert ckpt.epoch == 1 and len(ckpt.history) == 1
    assert all(np.isfinite(np.asarray(a)).all() for a in jax.tree.leaves(ckpt.params))
    assert len(pd.read_csv(tmp_path / train.HISTORY_NAME)) == 1


SHARDED = textwrap.dedent("""
    import os, json, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    import jax
    sys.path.insert(0, sys.argv[1])
    from train_helpers import small_model, toy_splits
    from spikead import train
    assert len(jax.devices()) == 2, jax.devices()
    splits = toy_splits(n_train=64, n_test=30)
    cfg = train.TrainConfig(epochs=2, batch_size=16, progress=False)
    opt = train.OptimizerConfig(peak_lr=1e-2)
    out = {}
    for n in (1, 2):
        for alg in ("bptt", "eprop"):
            r = train.fit(small_model(), splits, train=cfg, optimizer=opt, devices=jax.devices()[:n],
                          algorithm=train.AlgorithmConfig(name=alg))
            out[f"{alg}{n}"] = {"history": r.history, "n": r.n_devices,
                                "w": r.model.weights[0].tolist()}
    try:
        train.fit(small_model(), splits, train=train.TrainConfig(epochs=1, batch_size=15, progress=False),
                  optimizer=opt, algorithm=train.AlgorithmConfig())
    except train.TrainConfigError as err:
        out["error"] = str(err)
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_two_devices_give_the_same_training_as_one():
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", SHARDED, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "multiple of 2" in out["error"]
    for alg in ("bptt", "eprop"):
        one, two = out[f"{alg}1"], out[f"{alg}2"]
        assert one["n"] == 1 and two["n"] == 2
        for a, b in zip(one["history"], two["history"]):
            np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=1e-5)
            np.testing.assert_allclose(a["test_loss"], b["test_loss"], rtol=1e-5)
            assert a["test_acc"] == b["test_acc"]
        np.testing.assert_allclose(one["w"], two["w"], rtol=1e-4, atol=1e-6)


def test_checkpoint_off_writes_history_only(tmp_path, splits):
    cfg = train.TrainConfig(epochs=1, batch_size=32, progress=False, checkpoint=False)
    result = train.fit(
        small_model(), splits, train=cfg, optimizer=OPT, algorithm=BPTT, out_dir=tmp_path
    )
    assert result.checkpoint is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [train.HISTORY_NAME]
