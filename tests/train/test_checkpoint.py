"""Checkpoints: exact round trip, atomic writes, clear errors."""

from __future__ import annotations

import equinox as eqx
import jax
import pytest
from train_helpers import small_model

from spikead import train


def _state():
    model = small_model(width=8)
    params, _ = train.split_model(model)
    tx = train.make_optimizer(train.OptimizerConfig(), 4, 2)
    opt_state = tx.init(params)
    grads = jax.tree.map(lambda a: a * 0 + 0.1, params)
    _, opt_state = tx.update(grads, opt_state, params)
    return params, opt_state


def test_round_trip_is_exact(tmp_path):
    params, opt_state = _state()
    history = [{"epoch": 1, "train_loss": 1.5}]
    path = train.save_checkpoint(
        tmp_path / "c.eqx", params, opt_state, epoch=1, seed=7, fingerprint="abc", history=history
    )
    zeros = jax.tree.map(lambda a: a * 0, (params, opt_state))
    ckpt = train.load_checkpoint(path, *zeros, expected_fingerprint="abc")
    assert ckpt.epoch == 1 and ckpt.seed == 7 and ckpt.history == history
    assert eqx.tree_equal((ckpt.params, ckpt.opt_state), (params, opt_state))
    assert [p.name for p in tmp_path.iterdir()] == ["c.eqx"]  # no temporary files left


def test_mismatch_and_garbage_fail_clearly(tmp_path):
    params, opt_state = _state()
    path = train.save_checkpoint(
        tmp_path / "c.eqx", params, opt_state, epoch=1, seed=0, fingerprint="abc", history=[]
    )
    with pytest.raises(train.CheckpointError, match="different settings"):
        train.load_checkpoint(path, params, opt_state, expected_fingerprint="xyz")
    bad = tmp_path / "bad.eqx"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(train.CheckpointError, match="bad magic"):
        train.load_checkpoint(bad, params, opt_state)
    cut = tmp_path / "cut.eqx"
    cut.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(train.CheckpointError, match="cannot read"):
        train.load_checkpoint(cut, params, opt_state)
