"""Configuration dataclasses of model, algorithm, optimizer and training loop (Hydra-friendly)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._errors import TrainConfigError

#: Neuron kinds of the hidden layers (names in `spikead.snn.NEURONS`).
HIDDEN_NEURONS = ("lif", "alif", "adlif", "cuba_lif")
#: Gradient algorithms: our own BPTT (`jax.value_and_grad` through `lax.scan`) or a method
#: of `spikead.online.value_and_grad` ("sparse" is e-prop, "dense"/"rtrl"/"bptt" references).
ALGORITHMS = ("bptt", "eprop")
ONLINE_METHODS = ("sparse", "dense", "rtrl", "bptt")

C = TypeVar("C")


def from_mapping(cls: type[C], values: Mapping[str, Any] | C) -> C:
    """Build dataclass `cls` from a mapping (e.g. `OmegaConf.to_container(cfg.model)`).

    Raises:
        TrainConfigError: unknown keys (named, with the allowed ones).
    """
    if isinstance(values, cls):
        return values
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise TrainConfigError(
            f"Unknown {cls.__name__} keys {unknown}; expected a subset of {sorted(known)}."
        )
    return cls(**dict(values))


@dataclass(frozen=True)
class ModelConfig:
    """The classifier of Paper A: `depth` hidden spiking layers + a linear readout at every step.

    Attributes:
        name: label of the model in outputs (e.g. the config choice "lif", "paper_a_alif").
        neuron: hidden neuron kind, one of `HIDDEN_NEURONS`.
        width: neurons N per hidden layer.
        depth: number of hidden layers (Paper A: 1; Paper B's Randman MLP: 2).
        recurrent: add recurrent weights V (N x N) reading each layer's own spikes z_{t-1}.
        neuron_params: keyword arguments of the neuron class (beta, threshold, alpha, ...).
        surrogate: surrogate name (`spikead.snn.SURROGATES`), e.g. "sigmoid".
        surrogate_slope: the surrogate's slope.
        train_neuron_params: also train the neurons' decays/thresholds (Paper A: False).
        input_gain: gain of the orthogonal input-weight init (Paper A: sqrt 2).
        input_scale: fixed (untrained) multiplier of every layer's input current; 1 for
            LIF and Bellec's ALIF. For adLIF-type neurons (adLIF, Paper A's ALIF) it makes
            up for the `(1 - alpha)` factor and the adaptation on the membrane input
            without enlarging the trained weights (see `spikead.train._model`).
        recurrent_gain: gain of the orthogonal recurrent-weight init.
        readout_bias: give the readout a bias vector.
    """

    name: str = ""
    neuron: str = "lif"
    width: int = 128
    depth: int = 1
    recurrent: bool = False
    neuron_params: dict[str, Any] = field(default_factory=dict)
    surrogate: str = "sigmoid"
    surrogate_slope: float = 10.0
    train_neuron_params: bool = False
    input_gain: float = 2.0**0.5
    input_scale: float = 1.0
    recurrent_gain: float = 1.0
    readout_bias: bool = True

    def __post_init__(self) -> None:
        if self.neuron not in HIDDEN_NEURONS:
            raise TrainConfigError(
                f"model.neuron={self.neuron!r}; expected one of {HIDDEN_NEURONS} "
                "(the override model=<preset> picks a preset)."
            )
        for name in ("width", "depth"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise TrainConfigError(
                    f"model.{name}={getattr(self, name)!r}; expected an integer >= 1."
                )
        for name in ("surrogate_slope", "input_gain", "input_scale", "recurrent_gain"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise TrainConfigError(f"model.{name}={value!r}; expected a number > 0.")
        object.__setattr__(self, "neuron_params", dict(self.neuron_params))


@dataclass(frozen=True)
class AlgorithmConfig:
    """How gradients are computed.

    Attributes:
        name: "bptt" (`jax.value_and_grad` through `lax.scan` of the model's step) or
            "eprop" (`spikead.online.value_and_grad(..., method=online_method)`).
        online_method: the `spikead.online` method used by "eprop" ("sparse" = e-prop of
            Paper A; "dense", "rtrl" or "bptt" for cross-checks).
    """

    name: str = "bptt"
    online_method: str = "sparse"

    def __post_init__(self) -> None:
        if self.name not in ALGORITHMS:
            raise TrainConfigError(
                f"algorithm.name={self.name!r}; expected one of {ALGORITHMS} "
                "(pick one with the override algorithm=<name>)."
            )
        if self.online_method not in ONLINE_METHODS:
            raise TrainConfigError(
                f"algorithm.online_method={self.online_method!r}; expected one of {ONLINE_METHODS}."
            )


@dataclass(frozen=True)
class OptimizerConfig:
    """AdamW with a warmup-cosine learning-rate schedule and global-norm clipping (Paper A).

    The rate rises linearly from `init_lr` to `peak_lr` over `warmup_epochs` epochs, then
    follows a cosine down to `end_lr` at the last step of the run.
    """

    init_lr: float = 2e-4
    peak_lr: float = 1e-3
    end_lr: float = 1e-7
    warmup_epochs: float = 1.0
    weight_decay: float = 1e-3
    clip_norm: float = 0.5
    b1: float = 0.9
    b2: float = 0.999

    def __post_init__(self) -> None:
        for name in ("init_lr", "peak_lr", "end_lr", "weight_decay"):
            if getattr(self, name) < 0:
                raise TrainConfigError(f"optimizer.{name}={getattr(self, name)}; expected >= 0.")
        if self.warmup_epochs < 0:
            raise TrainConfigError(f"optimizer.warmup_epochs={self.warmup_epochs}; expected >= 0.")
        if not self.clip_norm > 0:
            raise TrainConfigError(
                f"optimizer.clip_norm={self.clip_norm}; expected > 0 (a global norm)."
            )


@dataclass(frozen=True)
class TrainConfig:
    """The training loop.

    Attributes:
        epochs: total epochs of the run.
        batch_size: B (a multiple of the number of devices; the last batch is padded with
            zero-weight samples, so every step compiles once).
        eval_batch_size: batch size of the validation/test passes (0: same as batch_size).
        seed: model init (`fold_in(key(seed), 0)`) and data order (`fold_in(key(seed), 1)`).
        stop_after_epochs: end this call after this many NEW epochs (0: never); used to
            simulate an interruption; rerunning resumes from the checkpoint.
        checkpoint: write `checkpoint.eqx` every epoch and resume from it.
        max_train_batches: cap the batches per epoch (0: all), for smoke runs.
        progress: show tqdm bars.
    """

    epochs: int = 10
    batch_size: int = 64
    eval_batch_size: int = 0
    seed: int = 0
    stop_after_epochs: int = 0
    checkpoint: bool = True
    max_train_batches: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise TrainConfigError(f"TrainConfig.epochs={self.epochs}; expected >= 1.")
        if self.batch_size < 1 or self.eval_batch_size < 0:
            raise TrainConfigError(
                f"TrainConfig.batch_size={self.batch_size}, eval_batch_size={self.eval_batch_size}; "
                "expected batch_size >= 1 and eval_batch_size >= 0."
            )
        if self.stop_after_epochs < 0 or self.max_train_batches < 0:
            raise TrainConfigError(
                f"TrainConfig.stop_after_epochs={self.stop_after_epochs} and "
                f"max_train_batches={self.max_train_batches}: both must be >= 0."
            )
