"""The training loop: jitted data-parallel steps, per-epoch evaluation, history,
atomic checkpoints with exact resume, divergence detection.

Determinism: the model is initialised by the caller; the sample order of epoch e is
`spikead.data.epoch_permutation(S, key=fold_in(key(seed), 1), epoch=e)`. A checkpoint
holds params, optimizer state (with the schedule's step count), the epoch and the seed,
so a resumed run replays exactly the batches and updates of an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from spikead.data import epoch_permutation, num_batches
from spikead.runs import atomic_write_csv
from spikead.runs.progress import progress_bar

from ._checkpoint import CHECKPOINT_NAME, fingerprint, load_checkpoint, save_checkpoint
from ._config import AlgorithmConfig, OptimizerConfig, TrainConfig
from ._errors import TrainConfigError, TrainingDivergedError
from ._grads import BatchResult, forward_metrics, make_value_and_grad
from ._model import SNNClassifier, split_model
from ._optim import make_optimizer, make_schedule
from ._sharding import DataParallel

log = logging.getLogger(__name__)

HISTORY_NAME = "history.csv"
#: Columns of history.csv, in order.
HISTORY_COLUMNS = (
    "epoch",
    "train_loss",
    "train_acc",
    "valid_loss",
    "valid_acc",
    "test_loss",
    "test_acc",
    "lr",
    "epoch_time_s",
    "eval_time_s",
)
Splits = Mapping[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class TrainResult:
    """Outcome of `fit`.

    Attributes:
        model: the model after the last completed epoch.
        history: one dict per completed epoch (keys `HISTORY_COLUMNS`).
        completed: False when the call stopped early (`stop_after_epochs`).
        resumed_from: epochs already done when this call started (0: fresh start).
        n_devices: devices the batch was split over.
    """

    model: SNNClassifier
    history: list[dict[str, Any]]
    completed: bool
    resumed_from: int
    n_devices: int
    checkpoint: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Final numbers: last epoch's losses/accuracies, best-validation epoch and its test
        accuracy (last epoch when there is no validation split), epoch times."""
        return summarize(self.history)


def summarize(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Final numbers of a history (see `TrainResult.summary`)."""
    if not history:
        return {"epochs": 0}
    last = history[-1]
    valid = [row["valid_acc"] for row in history]
    if all(math.isnan(v) for v in valid):
        best = len(history) - 1
    else:
        best = int(np.nanargmax(np.asarray(valid, dtype=float)))
    times = [row["epoch_time_s"] for row in history]
    return {
        "epochs": len(history),
        **{f"final_{k}": last[k] for k in HISTORY_COLUMNS[1:7]},
        "best_epoch": history[best]["epoch"],
        "best_valid_acc": history[best]["valid_acc"],
        "test_acc_at_best_valid": history[best]["test_acc"],
        "first_epoch_time_s": times[0],
        "median_epoch_time_s": float(np.median(times[1:] if len(times) > 1 else times)),
    }


def _padded_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray, limit: int = 0
):
    """Yield (x_b, y_b, w_b) with exactly `batch_size` rows; padding rows have weight 0."""
    n_batches = num_batches(len(order), batch_size)
    if limit:
        n_batches = min(n_batches, limit)
    for b in range(n_batches):
        idx = order[b * batch_size : (b + 1) * batch_size]
        pad = batch_size - len(idx)
        xb, yb = x[idx], y[idx].astype(np.int32)
        wb = np.ones(batch_size, np.float32)
        if pad:
            xb = np.concatenate([xb, np.zeros((pad, *x.shape[1:]), x.dtype)])
            yb = np.concatenate([yb, np.zeros(pad, np.int32)])
            wb[batch_size - pad :] = 0.0
        yield xb.astype(np.float32, copy=False), yb, wb


class _Totals:
    """Running sums of BatchResults and each batch's loss, kept on device until read."""

    def __init__(self):
        self.loss = self.correct = self.count = 0.0
        self.losses: list = []

    def add(self, r: BatchResult) -> None:
        self.loss = self.loss + r.loss_sum
        self.correct = self.correct + r.correct
        self.count = self.count + r.count
        self.losses.append(r.loss)

    def first_nonfinite(self) -> tuple[int, float] | None:
        """(batch index, loss) of the first batch whose loss is NaN/inf, else None (one sync)."""
        if not self.losses:
            return None
        losses = np.asarray(jax.device_get(jnp.stack(self.losses)))
        bad = np.flatnonzero(~np.isfinite(losses))
        return (int(bad[0]), float(losses[bad[0]])) if bad.size else None

    def means(self) -> tuple[float, float]:
        count = float(self.count)
        if count == 0:
            return math.nan, math.nan
        return float(self.loss) / count, float(self.correct) / count


def fit(
    model: SNNClassifier,
    splits: Splits,
    *,
    train: TrainConfig,
    optimizer: OptimizerConfig,
    algorithm: AlgorithmConfig,
    out_dir: str | Path | None = None,
    train_neuron_params: bool = False,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    log_metrics: Callable[[dict[str, Any], int], None] | None = None,
    devices: list | None = None,
    settings: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train `model` on `splits["train"]`, evaluating `val` and `test` after every epoch.

    Args:
        model: the initialised classifier (see `build_model`).
        splits: `train` (required), `val` and `test` (optional): (x (S, T, M) float32, y (S,) int).
        train, optimizer, algorithm: settings.
        out_dir: where `history.csv` and `checkpoint.eqx` go (None: nothing written, no resume;
            `train.checkpoint=False`: history only, no checkpoint and no resume).
        train_neuron_params: also train neuron decays/thresholds.
        on_epoch: called with each epoch's history row after it is saved (may raise to stop).
        log_metrics: `log_metrics(row, epoch)`, e.g. `Run.log_metrics` for wandb.
        devices: devices of the data-parallel mesh (default all local devices).
        settings: extra settings that must match for a resume (e.g. the data config);
            they enter the checkpoint fingerprint.

    Returns:
        A `TrainResult`.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (the last good checkpoint is kept).
        CheckpointError: `out_dir` holds a checkpoint of different settings.
    """
    if "train" not in splits:
        raise TrainConfigError(f"splits has no 'train'; got {sorted(splits)}.")
    x_train, y_train = splits["train"]
    if x_train.ndim != 3 or x_train.shape[2] != model.n_inputs:
        raise TrainConfigError(
            f"train inputs have shape {x_train.shape}; expected (S, T, {model.n_inputs}) for a model "
            f"with {model.n_inputs} inputs."
        )
    check_labels(splits, model.n_classes)
    dp = DataParallel(devices)
    eval_bs = train.eval_batch_size or train.batch_size
    dp.check_batch_size(train.batch_size)
    dp.check_batch_size(eval_bs, "train.eval_batch_size")
    steps_per_epoch = num_batches(len(x_train), train.batch_size)
    if train.max_train_batches:
        steps_per_epoch = min(steps_per_epoch, train.max_train_batches)
    tx = make_optimizer(optimizer, steps_per_epoch, train.epochs)
    schedule = make_schedule(optimizer, steps_per_epoch, train.epochs)

    params, frozen = split_model(model, train_neuron_params)
    opt_state = tx.init(params)
    fp = fingerprint(
        {
            "model": _describe(model),
            "train": {**train.__dict__, "stop_after_epochs": 0, "progress": True},
            "optimizer": optimizer.__dict__,
            "algorithm": algorithm.__dict__,
            "train_neuron_params": train_neuron_params,
            "settings": dict(settings or {}),
        }
    )
    history: list[dict[str, Any]] = []
    ckpt_path = (
        Path(out_dir) / CHECKPOINT_NAME if out_dir is not None and train.checkpoint else None
    )
    start = 0
    if ckpt_path is not None and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path, params, opt_state, expected_fingerprint=fp)
        params, opt_state, start, history = ckpt.params, ckpt.opt_state, ckpt.epoch, ckpt.history
        log.info("resuming from %s after epoch %d", ckpt_path, start)
    # closed over before replication: a replicated (committed) constant adds `reshard` ops
    # to the step, which the online plan has no structure rule for
    train_step = make_train_step(algorithm, tx, frozen)
    params, frozen, opt_state = dp.replicate((params, frozen, opt_state))
    eval_step = jax.jit(forward_metrics)
    data_key = jax.random.fold_in(jax.random.key(train.seed), 1)

    def evaluate(split: str) -> tuple[float, float]:
        if split not in splits:
            return math.nan, math.nan
        x, y = splits[split]
        totals = _Totals()
        for xb, yb, wb in _padded_batches(x, y, eval_bs, np.arange(len(x))):
            totals.add(eval_step(params, frozen, *dp.put_batch(xb, yb, wb)))
        return totals.means()

    completed = True
    bar = progress_bar(
        range(start, train.epochs),
        desc=f"train ({algorithm.name})",
        initial=start,
        total=train.epochs,
        disable=not train.progress,
    )
    for epoch in bar:
        if train.stop_after_epochs and epoch - start >= train.stop_after_epochs:
            completed = False
            break
        order = epoch_permutation(len(x_train), key=data_key, epoch=epoch)
        totals = _Totals()
        tic = time.perf_counter()
        batches = _padded_batches(
            x_train, y_train, train.batch_size, order, train.max_train_batches
        )
        batch_bar = progress_bar(
            batches,
            total=steps_per_epoch,
            leave=False,
            nested=True,
            desc=f"epoch {epoch + 1}",
            disable=not train.progress,
        )
        for xb, yb, wb in batch_bar:
            params, opt_state, result = train_step(params, opt_state, *dp.put_batch(xb, yb, wb))
            totals.add(result)  # on device: no host sync inside the batch loop
        bad = totals.first_nonfinite()  # the epoch's one host sync (waits for its last step)
        epoch_time = time.perf_counter() - tic
        if bad is not None:
            b, loss = bad
            kept = (
                f"epoch {history[-1]['epoch']} in {ckpt_path}" if history and ckpt_path else "none"
            )
            raise TrainingDivergedError(
                f"training loss became {loss} at epoch {epoch + 1}, batch {b + 1} "
                f"(algorithm {algorithm.name}, peak_lr {optimizer.peak_lr}). The last good "
                f"checkpoint ({kept}) is kept. Check the inputs for NaN/inf, or lower "
                "optimizer.peak_lr / optimizer.clip_norm."
            )
        tic = time.perf_counter()
        train_loss, train_acc = totals.means()
        valid_loss, valid_acc = evaluate("val")
        test_loss, test_acc = evaluate("test")
        row = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "valid_loss": valid_loss,
            "valid_acc": valid_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "lr": float(schedule((epoch + 1) * steps_per_epoch)),
            "epoch_time_s": round(epoch_time, 3),
            "eval_time_s": round(time.perf_counter() - tic, 3),
        }
        history.append(row)
        if out_dir is not None:
            atomic_write_csv(
                Path(out_dir) / HISTORY_NAME, pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
            )
        if ckpt_path is not None:
            save_checkpoint(
                ckpt_path,
                params,
                opt_state,
                epoch=epoch + 1,
                seed=train.seed,
                fingerprint=fp,
                history=history,
            )
        log.info(
            "epoch %d/%d: train loss %.4f acc %.3f | valid acc %.3f | test acc %.3f | %.1f s",
            epoch + 1,
            train.epochs,
            train_loss,
            train_acc,
            valid_acc,
            test_acc,
            epoch_time,
        )
        bar.set_postfix(loss=f"{train_loss:.3f}", acc=f"{train_acc:.3f}", test=f"{test_acc:.3f}")
        if log_metrics is not None:
            log_metrics(row, epoch + 1)
        if on_epoch is not None:
            on_epoch(row)
    bar.close()
    return TrainResult(
        eqx.combine(params, frozen), history, completed, start, dp.n_devices, ckpt_path
    )


def make_train_step(algorithm: AlgorithmConfig, tx, frozen) -> Callable:
    """The jitted update ``step(params, opt_state, x, labels, weights) -> (params, opt_state,
    BatchResult)``: gradient by `algorithm`, then the optimizer `tx`.

    ``frozen`` (the untrained leaves, e.g. neuron decays) is closed over, not passed as an
    argument: it never changes during training, and its concrete values are what the
    online method's plan reads to recognise a decay shared by all neurons (the factorised
    trace, M values per sample instead of N x M; `spikead.online.classify`). As jit
    arguments they would be abstract and the plan would have to assume a different decay
    per neuron. Trained parameters stay arguments (their values never matter to the plan).
    """
    value_and_grad = make_value_and_grad(algorithm)

    @jax.jit
    def train_step(params, opt_state, x, labels, weights):
        result, grads = value_and_grad(params, frozen, x, labels, weights)
        updates, opt_state = tx.update(grads, opt_state, params)
        return eqx.apply_updates(params, updates), opt_state, result

    return train_step


def check_labels(splits: Splits, n_classes: int) -> None:
    """Raise `TrainConfigError` when a split's labels are not integers in [0, n_classes)
    (an out-of-range label would give an all-zero target: a silently wrong loss)."""
    for name, (_, y) in splits.items():
        y = np.asarray(y)
        if y.size == 0:
            continue
        if not np.issubdtype(y.dtype, np.integer):
            raise TrainConfigError(
                f"splits[{name!r}] labels have dtype {y.dtype}; expected integer class ids in "
                f"[0, {n_classes}). Convert them with y.astype(np.int32)."
            )
        bad = np.flatnonzero((y < 0) | (y >= n_classes))
        if bad.size:
            raise TrainConfigError(
                f"splits[{name!r}] has label {int(y[bad[0]])} (sample {int(bad[0])}; {bad.size} "
                f"such samples) but the model has n_classes={n_classes}: labels must lie in "
                f"[0, {n_classes}). Build the model with the dataset's number of classes."
            )


def _describe(model: SNNClassifier) -> dict[str, Any]:
    """Structure and shapes of a model (enters the checkpoint fingerprint)."""
    leaves, treedef = jax.tree_util.tree_flatten(model)
    return {"treedef": str(treedef), "shapes": [list(np.shape(a)) for a in leaves]}
