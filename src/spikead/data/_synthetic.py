"""Randman-style synthetic stand-in for SHD/SSC, written in the real HDF5 layout.

After Zenke & Vogels (2021, "The remarkable robustness of surrogate gradient learning"):
each class owns a random smooth manifold. Here a sample draws a latent point
`z ~ U[0, 1]^D`; for every spike slot `m` (channel `m // R`, `R` slots per channel) the
class's smooth function `f_km(z) = sum_{d, j} a_kmdj sin(2 pi j z_d + phi_kmdj)` (`j` =
1..F, amplitudes decaying as 1/j) is squashed to (0, 1) and gives the slot's spike time.
Each slot fires with a class-specific probability `p_km`, so both the spike counts and
the spike times carry the class: slot `m` of class `k` spikes at
`duration * (c_km + spread * (sigmoid(f_km(z) / std) - 1/2))` around a class-specific
centre `c_km`, so the latent moves the times smoothly. Gaussian jitter adds noise.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np

from ._cache import cache_key
from ._config import SyntheticConfig
from ._hsd_files import FileSpec, file_spec, file_splits

log = logging.getLogger(__name__)

#: Bump when the generator changes, so files of an older generator are not reused.
GENERATOR_VERSION = 1
#: Default class counts of the two layouts (as in the real SHD and SSC).
DEFAULT_CLASSES = {"shd": 20, "ssc": 35}
#: Spike times fill this fraction window of [0, duration] before jitter.
_WINDOW = (0.05, 0.95)
_MANIFEST = "synthetic.json"
#: Samples generated at once.
_CHUNK = 1024


def n_synthetic_classes(kind: str, cfg: SyntheticConfig) -> int:
    return cfg.n_classes if cfg.n_classes is not None else DEFAULT_CLASSES[kind]


def _split_sizes(kind: str, cfg: SyntheticConfig) -> dict[str, int]:
    sizes = {"train": cfg.n_train, "valid": cfg.n_valid, "test": cfg.n_test}
    return {s: sizes[s] for s in file_splits(kind)}


def draw_manifolds(
    n_classes: int, cfg: SyntheticConfig, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Random class manifolds: `a_cos`, `a_sin` (K, M, D*F); `scale`, `center`, `p` (K, M).

    `M = n_channels * spikes_per_channel` spike slots, `D` latent dims, `F` frequencies.
    `scale` is the standard deviation of `f_km(z)` for uniform `z` (the sinusoids are
    orthogonal); `center` is the slot's mean spike time as a fraction of the duration; `p`
    its firing probability.
    """
    k, m, d, f = n_classes, cfg.n_channels * cfg.spikes_per_channel, cfg.latent_dim, cfg.n_freq
    amp = rng.uniform(0.0, 1.0, (k, m, d, f)) / np.arange(1, f + 1)
    phase = rng.uniform(0.0, 2 * np.pi, (k, m, d, f))
    scale = np.sqrt(0.5 * np.sum(amp**2, axis=(2, 3)))
    p = rng.uniform(cfg.p_min, cfg.p_max, (k, m))
    lo, hi = _WINDOW
    half = 0.5 * cfg.time_spread * (hi - lo)
    center = rng.uniform(lo + half, hi - half, (k, m))
    return {
        "center": center,
        "a_cos": (amp * np.cos(phase)).reshape(k, m, d * f),
        "a_sin": (amp * np.sin(phase)).reshape(k, m, d * f),
        "scale": scale,
        "p": p,
    }


def sample_events(
    manifolds: dict[str, np.ndarray],
    labels: np.ndarray,
    cfg: SyntheticConfig,
    rng: np.random.Generator,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Draw one sample per label: per-sample spike times (s, sorted) and units (0..C-1).

    Args:
        manifolds: output of `draw_manifolds`.
        labels: (S,) class of each sample.

    Returns:
        Two lists of length S with the (E_s,) float32 times and (E_s,) uint16 units.
    """
    n = labels.shape[0]
    m = manifolds["p"].shape[1]
    z = rng.uniform(0.0, 1.0, (n, cfg.latent_dim, 1))
    angle = 2 * np.pi * np.arange(1, cfg.n_freq + 1) * z  # (S, D, F)
    sin_f, cos_f = np.sin(angle).reshape(n, -1), np.cos(angle).reshape(n, -1)
    f = np.empty((n, m))
    for k in np.unique(labels):  # one matrix product per class
        idx = labels == k
        f[idx] = sin_f[idx] @ manifolds["a_cos"][k].T + cos_f[idx] @ manifolds["a_sin"][k].T
    u = 1.0 / (1.0 + np.exp(-1.7 * f / manifolds["scale"][labels]))  # ~uniform on (0, 1)
    span = cfg.time_spread * (_WINDOW[1] - _WINDOW[0])
    t = cfg.duration * (manifolds["center"][labels] + span * (u - 0.5))
    t = t + cfg.jitter * rng.standard_normal((n, m))
    t = np.clip(t, 0.0, np.nextafter(cfg.duration, 0.0))
    fire = rng.uniform(size=(n, m)) < manifolds["p"][labels]
    sample, slot = np.nonzero(fire)
    times = t[sample, slot]
    order = np.lexsort((times, sample))
    sample, times, units = sample[order], times[order], slot[order] // cfg.spikes_per_channel
    cuts = np.cumsum(np.bincount(sample, minlength=n))[:-1]
    return np.split(times.astype(np.float32), cuts), np.split(units.astype(np.uint16), cuts)


def write_hsd_file(
    path: str | os.PathLike,
    times: list[np.ndarray],
    units: list[np.ndarray],
    labels: np.ndarray,
    speakers: np.ndarray,
    class_names: list[str],
) -> None:
    """Write one file in the SHD/SSC HDF5 layout, atomically (temporary file + `os.replace`).

    Keys: `spikes/times` (vlen float32 s), `spikes/units` (vlen uint16), `labels` (uint16),
    `extra/speaker` (uint16), `extra/keys` (class names as bytes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            # passed at creation: assigning into an existing vlen dataset fails in h5py when
            # all rows have the same length (it stacks them into a 2-D array first)
            f.create_dataset(
                "spikes/times",
                data=_vlen_array([np.asarray(t, dtype=np.float32) for t in times]),
                dtype=h5py.vlen_dtype(np.float32),
            )
            f.create_dataset(
                "spikes/units",
                data=_vlen_array([np.asarray(u, dtype=np.uint16) for u in units]),
                dtype=h5py.vlen_dtype(np.uint16),
            )
            f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))
            f.create_dataset("extra/speaker", data=np.asarray(speakers, dtype=np.uint16))
            f.create_dataset(
                "extra/keys", data=np.array([c.encode() for c in class_names], dtype="S")
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _vlen_array(rows: list[np.ndarray]) -> np.ndarray:
    """A 1-D object array holding `rows` (filled one by one, so equal lengths stay 1-D)."""
    obj = np.empty(len(rows), dtype=object)
    for i, r in enumerate(rows):
        obj[i] = r
    return obj


def synthetic_root(data_dir: str | os.PathLike, name: str, cfg: SyntheticConfig) -> Path:
    """tonic's `save_to` for a synthetic set: `<data_dir>/synthetic/<name>-<hash of cfg>`."""
    key = cache_key({"generator": GENERATOR_VERSION, "name": name, **cfg.__dict__})
    return Path(data_dir) / "synthetic" / f"{name}-{key}"


def write_synthetic_hsd(
    save_to: str | os.PathLike, kind: str, cfg: SyntheticConfig
) -> list[FileSpec]:
    """Generate every split file of `kind` (`shd`/`ssc`) under `<save_to>/SHD|SSC/`.

    Writes `shd_train.h5`, `shd_test.h5` (or `ssc_train/valid/test.h5`), an empty
    `<file>.h5.zip` placeholder for each (so tonic does not download) and a
    `synthetic.json` manifest. Skips the work when the manifest already exists.

    Returns:
        The `FileSpec` of each split file.
    """
    specs = [file_spec(kind, s, save_to) for s in file_splits(kind)]
    folder = specs[0].folder
    manifest = folder / _MANIFEST
    if manifest.is_file() and all(s.h5_path.is_file() for s in specs):
        return specs
    n_classes = n_synthetic_classes(kind, cfg)
    class_names = [f"synthetic-{k:02d}" for k in range(n_classes)]
    manifolds = draw_manifolds(n_classes, cfg, np.random.default_rng([cfg.seed, 0]))
    sizes = _split_sizes(kind, cfg)
    for i, spec in enumerate(specs, start=1):
        rng = np.random.default_rng([cfg.seed, i])
        n = sizes[spec.split]
        labels = rng.permutation(np.arange(n) % n_classes)
        speakers = rng.integers(0, cfg.n_speakers, n)
        times, units = [], []
        for start in range(0, n, _CHUNK):  # bounds memory: (chunk, M) arrays per step
            t, u = sample_events(manifolds, labels[start : start + _CHUNK], cfg, rng)
            times += t
            units += u
        write_hsd_file(spec.h5_path, times, units, labels, speakers, class_names)
        spec.zip_path.touch()
        log.info("Wrote synthetic %s (%d samples, %d classes)", spec.h5_path, n, n_classes)
    info = {
        "generator_version": GENERATOR_VERSION,
        "kind": kind,
        "n_classes": n_classes,
        **cfg.__dict__,
    }
    manifest.write_text(json.dumps(info, indent=2, sort_keys=True))
    return specs
