"""`load_dataset`: SHD/SSC (real or synthetic stand-in) through tonic -> dense arrays, cached."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._binning import BinStats, bin_events
from ._cache import (
    cache_key,
    cache_path,
    compact_counts,
    file_fingerprint,
    load_arrays,
    save_arrays,
)
from ._config import DataConfig
from ._errors import DataConfigError, DatasetFormatError
from ._hsd_files import (
    N_CHANNELS,
    FileSpec,
    ensure_present,
    file_spec,
    file_splits,
    open_tonic,
    read_speakers,
    validate_file,
)
from ._splits import speaker_split_indices, split_indices
from ._synthetic import synthetic_root, write_synthetic_hsd

log = logging.getLogger(__name__)

#: Samples read from tonic and binned together (bounds the memory of the flat event list).
CHUNK = 512
#: Our split names for tonic's file splits (SSC's `valid` file becomes `val`).
SPLIT_NAMES = {"train": "train", "valid": "val", "test": "test"}


@dataclass(frozen=True)
class LoadedDataset:
    """Dense, binned splits of one dataset plus what outputs need to label it.

    Index it like a dict: `ds["train"] -> (x, y)` with x (S, T, C) float32, y (S,) int32.

    Attributes:
        name: the config name, e.g. `shd` or `synthetic_shd` (write it into every output).
        synthetic: True for the generated stand-in, False for the real recordings.
        splits: `train`, `test` and `val` (SHD: carved from train when val_fraction > 0,
            by speaker or stratified; SSC: its own valid file).
        class_names: one name per class, from the files' `extra/keys`.
        n_channels: C after pooling.
        n_bins: T.
        dt: bin width in seconds.
        source: the folder tonic read the files from.
        config: the `DataConfig` used.
        split_info: how `val` was made (JSON-serialisable; write it into the results):
            `protocol` ("speaker", "stratified", "valid file" or "none"), `sizes` (samples
            per split) and, for "speaker", `val_speakers` / `train_speakers` (ids).
    """

    name: str
    synthetic: bool
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    class_names: tuple[str, ...]
    n_channels: int
    n_bins: int
    dt: float
    source: str
    config: DataConfig
    split_info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __getitem__(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in self.splits:
            raise KeyError(f"No split {split!r} in {self.name}; available: {sorted(self.splits)}.")
        return self.splits[split]

    def __contains__(self, split: object) -> bool:
        return split in self.splits

    def __iter__(self) -> Iterator[str]:
        return iter(self.splits)

    def keys(self):
        return self.splits.keys()

    def items(self):
        return self.splits.items()

    def metadata(self) -> dict[str, Any]:
        """JSON-serialisable description for `metrics.json` / figure labels."""
        return {
            "name": self.name,
            "synthetic": self.synthetic,
            "n_classes": self.n_classes,
            "n_channels": self.n_channels,
            "n_bins": self.n_bins,
            "dt": self.dt,
            "class_names": list(self.class_names),
            "split_sizes": {k: int(v[1].shape[0]) for k, v in self.splits.items()},
            "source": self.source,
            "config": dataclasses.asdict(self.config),
            "split": self.split_info,
        }


def dataset_files(cfg: DataConfig) -> list[FileSpec]:
    """The split files `cfg` reads; real ones are checked (or downloaded), synthetic ones generated."""
    if cfg.is_synthetic:
        return write_synthetic_hsd(
            synthetic_root(cfg.data_dir, cfg.name, cfg.synthetic), cfg.kind, cfg.synthetic
        )
    specs = [file_spec(cfg.kind, s, cfg.data_dir) for s in file_splits(cfg.kind)]
    ensure_present(specs, download=cfg.download)
    return specs


def open_tonic_dataset(cfg: DataConfig, split: str):
    """tonic's dataset object for one file split (`train`/`test`, SSC also `valid`).

    The object gets two extra attributes, `name` (e.g. `synthetic_shd`) and `synthetic`.
    """
    spec = next((s for s in dataset_files(cfg) if s.split == split), None)
    if spec is None:
        raise ValueError(
            f"{cfg.name} has no file split {split!r}; expected one of {file_splits(cfg.kind)}."
        )
    validate_file(spec, _raw_channels(cfg))
    ds = open_tonic(spec)
    ds.name = cfg.name
    ds.synthetic = cfg.is_synthetic
    return ds


def load_dataset(cfg: DataConfig) -> LoadedDataset:
    """Load every split of `cfg.name` as dense binned arrays (cached on disk).

    Raises:
        DatasetNotFoundError: real files absent and not downloadable (message says where/how).
        DatasetFormatError: a file is corrupt or not in the SHD/SSC layout.
    """
    if _raw_channels(cfg) % cfg.pool:
        raise DataConfigError(
            f"pool={cfg.pool} does not divide the {_raw_channels(cfg)} input channels of "
            f"{cfg.name}; choose a divisor (700: 1, 2, 4, 5, 7, 10, 14, 20, 25, 28, 35, ...)."
        )
    specs = dataset_files(cfg)
    raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    speakers: dict[str, np.ndarray] = {}
    names: tuple[str, ...] | None = None
    for spec in specs:
        x, y, class_names, spk = _read_split(spec, cfg)
        if names is not None and class_names != names:
            raise DatasetFormatError(
                f"{spec.h5_path}: extra/keys {list(class_names)} differ from the other splits' {list(names)}."
            )
        names = class_names
        raw[SPLIT_NAMES[spec.split]] = (x, y)
        speakers[SPLIT_NAMES[spec.split]] = spk
    splits, info = _validation_split(raw, speakers["train"], cfg)
    return LoadedDataset(
        name=cfg.name,
        synthetic=cfg.is_synthetic,
        splits=splits,
        class_names=names or (),
        n_channels=_raw_channels(cfg) // cfg.pool,
        n_bins=cfg.n_bins,
        dt=cfg.duration / cfg.n_bins,
        source=str(specs[0].folder),
        config=cfg,
        split_info=info,
    )


def _validation_split(
    raw: dict[str, tuple[np.ndarray, np.ndarray]], train_speakers: np.ndarray, cfg: DataConfig
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, Any]]:
    """The splits with `val` carved from SHD's train file as configured, and how it was made."""
    if cfg.kind != "shd" or cfg.val_fraction == 0:
        protocol = "valid file" if "val" in raw else "none"
        return dict(raw), {"protocol": protocol, "sizes": _sizes(raw)}
    x, y = raw["train"]
    info: dict[str, Any] = {
        "protocol": cfg.val_split,
        "val_fraction": cfg.val_fraction,
        "seed": cfg.seed,
    }
    if cfg.val_split == "speaker":
        split = speaker_split_indices(train_speakers, cfg.val_fraction, cfg.seed)
        tr, va = split.train, split.val
        info.update(
            val_speakers=list(split.val_speakers), train_speakers=list(split.train_speakers)
        )
    else:
        tr, va = split_indices(y, cfg.val_fraction, cfg.seed)
    splits = {"train": (x[tr], y[tr]), "val": (x[va], y[va]), "test": raw["test"]}
    info["sizes"] = _sizes(splits)
    log.info("%s: validation split by %s: %s", cfg.name, cfg.val_split, info)
    return splits, info


def _sizes(splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, int]:
    return {k: int(v[1].shape[0]) for k, v in splits.items()}


def _raw_channels(cfg: DataConfig) -> int:
    return cfg.synthetic.n_channels if cfg.is_synthetic else N_CHANNELS


def _read_split(
    spec: FileSpec, cfg: DataConfig
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """One file split as (x (S, T, C) float32, y (S,) int32, class names, speakers (S,)
    int64), via the cache."""
    n_channels = _raw_channels(cfg)
    prep = {"n_bins": cfg.n_bins, "duration": cfg.duration, "overflow": cfg.overflow, "pool": cfg.pool,
            "binary": cfg.binary, "n_channels": n_channels}  # fmt: skip
    key = cache_key(
        {"name": cfg.name, "split": spec.split, "file": file_fingerprint(spec.h5_path), **prep}
    )
    path = cache_path(
        Path(cfg.cache_dir or Path(cfg.data_dir) / "cache"), f"{cfg.name}_{spec.split}", key
    )
    if cfg.use_cache and (hit := load_arrays(path)) is not None and "speaker" in hit:
        log.info("%s %s: using cache %s", cfg.name, spec.split, path)
        return (
            hit["x"].astype(np.float32),
            hit["y"].astype(np.int32),
            tuple(str(c) for c in hit["class_names"]),
            hit["speaker"].astype(np.int64),
        )
    x, y, names = _bin_file(spec, cfg, n_channels)
    speakers = read_speakers(spec)
    if cfg.use_cache:
        save_arrays(
            path,
            {
                "x": compact_counts(x),
                "y": y,
                "speaker": speakers,
                "class_names": np.array(names, dtype=str),
            },
        )
    return x, y, names, speakers


def _bin_file(
    spec: FileSpec, cfg: DataConfig, n_channels: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read every sample of `spec` through tonic and bin it (chunks of `CHUNK` samples)."""
    n, names = validate_file(spec, n_channels)
    ds = open_tonic(spec)
    x = np.zeros((n, cfg.n_bins, n_channels // cfg.pool), dtype=np.float32)
    y = np.zeros(n, dtype=np.int32)
    total = BinStats(0, 0)
    try:
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            samples = [ds[i] for i in range(start, stop)]
            events = [ev for ev, _ in samples]
            y[start:stop] = [target for _, target in samples]
            lengths = np.array([len(ev) for ev in events])
            flat = np.concatenate(events) if events else np.zeros(0, dtype=ds.dtype)
            x[start:stop], stats = bin_events(
                flat["t"], flat["x"], np.repeat(np.arange(stop - start), lengths), stop - start,
                n_bins=cfg.n_bins, duration=cfg.duration, n_channels=n_channels, pool=cfg.pool,
                overflow=cfg.overflow, binary=cfg.binary,
            )  # fmt: skip
            total = BinStats(total.total + stats.total, total.overflow + stats.overflow)
    except DatasetFormatError as err:
        raise DatasetFormatError(f"{spec.h5_path}: {err}") from err
    except DataConfigError:
        raise
    except (KeyError, OSError, TypeError, ValueError) as err:
        raise DatasetFormatError(
            f"{spec.h5_path}: tonic could not read the events ({type(err).__name__}: {err}); "
            f"expected vlen float spikes/times and vlen int spikes/units per sample."
        ) from err
    share = 100.0 * total.overflow / max(total.total, 1)
    action = "dropped" if cfg.overflow == "drop" else "clipped into the last bin"
    log.info("%s %s: %d of %d events (%.3f%%) at or past duration=%g s were %s",
             cfg.name, spec.split, total.overflow, total.total, share, cfg.duration, action)  # fmt: skip
    return x, y, tuple(names)
