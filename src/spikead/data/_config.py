"""Configuration dataclasses of the data pipeline (plain, Hydra-friendly, validated)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import DataConfigError

#: Dataset names `load_dataset` understands. The synthetic stand-ins are chosen by name only.
DATASET_NAMES = ("shd", "ssc", "synthetic_shd", "synthetic_ssc")
#: How SHD's validation split is carved from its training file (SSC has a validation file).
VAL_SPLITS = ("speaker", "stratified")
#: What happens to events at or past `duration`.
OVERFLOW_MODES = ("drop", "clip")


@dataclass
class SyntheticConfig:
    """Sizes and shape of the Randman-style synthetic stand-in (see `write_synthetic_hsd`).

    Attributes:
        n_classes: number of classes; `None` means 20 for `synthetic_shd`, 35 for `synthetic_ssc`.
        n_train, n_valid, n_test: samples per file (`n_valid` only used for the SSC layout).
        n_channels: input channels (units 0..n_channels-1); 700 like the real data.
        duration: length of every sample in seconds; spikes fall inside [0, duration).
        latent_dim: dimension of each class manifold's latent space.
        n_freq: sinusoid frequencies per latent dimension (smoothness of the manifold).
        spikes_per_channel: spike slots per channel; each fires with a class-dependent probability.
        p_min, p_max: range of the per-(class, channel, slot) firing probabilities.
        time_spread: fraction of the spike window over which the latent moves a slot's time
            (0: every sample of a class has the same times; 1: the whole window).
        jitter: std of the Gaussian spike-time noise in seconds.
        n_speakers: number of fake speaker ids written to `extra/speaker`.
        seed: seed of the generator (manifolds and samples).
    """

    n_classes: int | None = None
    n_train: int = 512
    n_valid: int = 128
    n_test: int = 256
    n_channels: int = 700
    duration: float = 1.0
    latent_dim: int = 2
    n_freq: int = 3
    spikes_per_channel: int = 2
    p_min: float = 0.1
    p_max: float = 0.3
    time_spread: float = 0.5
    jitter: float = 0.01
    n_speakers: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_classes is not None and self.n_classes < 2:
            raise DataConfigError(
                f"SyntheticConfig.n_classes={self.n_classes}; expected >= 2 (or None for 20/35)."
            )
        for name in ("n_train", "n_valid", "n_test"):
            if getattr(self, name) < 0:
                raise DataConfigError(
                    f"SyntheticConfig.{name}={getattr(self, name)}; expected >= 0."
                )
        for name in ("n_channels", "latent_dim", "n_freq", "spikes_per_channel", "n_speakers"):
            if getattr(self, name) < 1:
                raise DataConfigError(
                    f"SyntheticConfig.{name}={getattr(self, name)}; expected >= 1."
                )
        if not self.duration > 0:
            raise DataConfigError(
                f"SyntheticConfig.duration={self.duration}; expected seconds > 0."
            )
        if not 0.0 <= self.p_min <= self.p_max <= 1.0:
            raise DataConfigError(
                f"SyntheticConfig.p_min={self.p_min}, p_max={self.p_max}; expected 0 <= p_min <= p_max <= 1."
            )
        if not 0.0 <= self.time_spread <= 1.0:
            raise DataConfigError(
                f"SyntheticConfig.time_spread={self.time_spread}; expected 0 <= spread <= 1."
            )
        if self.jitter < 0:
            raise DataConfigError(f"SyntheticConfig.jitter={self.jitter}; expected seconds >= 0.")


@dataclass
class DataConfig:
    """Which dataset to load and how to turn its events into dense arrays.

    Attributes:
        name: one of `DATASET_NAMES`. `shd`/`ssc` need the real files; `synthetic_*` are
            generated stand-ins (never used unless named here).
        data_dir: root folder; real files live in `<data_dir>/SHD/` and `<data_dir>/SSC/`
            (tonic's layout), synthetic files in `<data_dir>/synthetic/`.
        cache_dir: where preprocessed `.npz` arrays go; `None` means `<data_dir>/cache`.
        use_cache: read and write the preprocessing cache.
        download: let tonic download missing real files (needs network access).
        n_bins: number T of time bins of the fixed grid.
        duration: length in seconds covered by the grid; bin width is `duration / n_bins`.
        overflow: `drop` events at or past `duration`, or `clip` them into the last bin.
        pool: sum groups of `pool` neighbouring channels (700 -> 700 // pool channels).
        binary: 1.0 where a bin has any spike instead of the spike count.
        val_fraction: SHD only: share of the training file carved out as `val` (of the
            speakers with `val_split="speaker"`, of every class's samples with
            "stratified"); 0 -> no `val`.
        val_split: SHD only: "speaker" (default; every sample of the held-out speakers goes
            to `val`, as in the literature's clean protocol) or "stratified" (by label).
            SSC always uses its own validation file.
        seed: seed of the validation split.
        synthetic: options of the synthetic stand-in (ignored for real data).
    """

    name: str = "shd"
    data_dir: str = "data"
    cache_dir: str | None = None
    use_cache: bool = True
    download: bool = False
    n_bins: int = 100
    duration: float = 1.0
    overflow: str = "drop"
    pool: int = 1
    binary: bool = False
    val_fraction: float = 0.1
    val_split: str = "speaker"
    seed: int = 0
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)

    def __post_init__(self) -> None:
        if self.name not in DATASET_NAMES:
            raise DataConfigError(
                f"DataConfig.name={self.name!r}; expected one of {DATASET_NAMES} "
                "(pick one with the override data=<name>)."
            )
        if self.n_bins < 1:
            raise DataConfigError(f"DataConfig.n_bins={self.n_bins}; expected >= 1.")
        if not self.duration > 0:
            raise DataConfigError(f"DataConfig.duration={self.duration}; expected seconds > 0.")
        if self.overflow not in OVERFLOW_MODES:
            raise DataConfigError(
                f"DataConfig.overflow={self.overflow!r}; expected one of {OVERFLOW_MODES}."
            )
        if self.pool < 1:
            raise DataConfigError(f"DataConfig.pool={self.pool}; expected an integer >= 1.")
        if not 0.0 <= self.val_fraction < 1.0:
            raise DataConfigError(
                f"DataConfig.val_fraction={self.val_fraction}; expected 0 <= f < 1."
            )
        if self.val_split not in VAL_SPLITS:
            raise DataConfigError(
                f"DataConfig.val_split={self.val_split!r}; expected one of {VAL_SPLITS}."
            )
        if isinstance(self.synthetic, Mapping):  # Hydra / YAML hands a dict
            object.__setattr__(self, "synthetic", SyntheticConfig(**self.synthetic))

    @property
    def is_synthetic(self) -> bool:
        """Whether `name` selects the synthetic stand-in."""
        return self.name.startswith("synthetic_")

    @property
    def kind(self) -> str:
        """The file layout: `shd` or `ssc`."""
        return self.name.removeprefix("synthetic_")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DataConfig:
        """Build from a mapping (e.g. `OmegaConf.to_container(cfg.data)`); unknown keys fail."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DataConfigError(
                f"Unknown DataConfig keys {unknown}; expected a subset of {sorted(known)}."
            )
        values = dict(values)
        if isinstance(values.get("synthetic"), Mapping):
            values["synthetic"] = SyntheticConfig(**values["synthetic"])
        return cls(**values)
