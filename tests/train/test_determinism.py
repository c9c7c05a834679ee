"""The same seed gives the same training: history (times aside), summary and weights."""

from __future__ import annotations

import math

import equinox as eqx
from train_helpers import small_model, toy_splits

from spikead import train

TIME_COLUMNS = ("epoch_time_s", "eval_time_s")
OPT = train.OptimizerConfig(peak_lr=1e-2, init_lr=1e-3)


def _train(algorithm: str, seed: int):
    """Two epochs on the toy task, everything (data, init, order) from ``seed``."""
    splits = toy_splits(n_train=48, n_test=24, n_steps=10, seed=seed)
    cfg = train.TrainConfig(epochs=2, batch_size=16, seed=seed, progress=True)
    result = train.fit(
        small_model(width=8, seed=seed),
        splits,
        train=cfg,
        optimizer=OPT,
        algorithm=train.AlgorithmConfig(name=algorithm),
    )
    history = [{k: v for k, v in row.items() if k not in TIME_COLUMNS} for row in result.history]
    return history, result


def _untimed(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if not k.endswith("_time_s")}


def test_same_seed_same_training(capfd):
    """e-prop (the online path: traces, eligibility, optimizer), trained twice from seed 3.
    (BPTT is compared the same way by tests/train/test_loop.py::test_resume_equals_uninterrupted.)"""
    history, first = _train("eprop", seed=3)
    # progress bars on a captured (non-terminal) stderr: lines, no \r, no per-batch bar
    err = capfd.readouterr().err
    assert "train (eprop)" in err and "\r" not in err and "epoch 1" not in err
    again, second = _train("eprop", seed=3)
    assert again == history  # exact: every loss, accuracy and learning rate
    assert _untimed(second.summary()) == _untimed(first.summary())
    assert eqx.tree_equal(second.model, first.model)
    # the numbers compared are real: finite and changing from epoch to epoch
    losses = [row["train_loss"] for row in history]
    assert all(math.isfinite(v) for v in losses) and losses[0] != losses[1]
