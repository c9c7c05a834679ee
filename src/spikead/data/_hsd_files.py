"""Where the SHD/SSC HDF5 files live, how they are checked, and how tonic opens them.

tonic 1.7 (`tonic.datasets.hsd`) looks in `<save_to>/SHD/` or `<save_to>/SSC/` (the class
name) and calls `download()` unless (a) the archive `<file>.h5.zip` exists there (no
checksum is verified) and (b) the folder holds at least one `.h5` file. It never checks
that the *specific* `.h5` it then opens exists, so we check that ourselves first.
"""

from __future__ import annotations

import logging
import os
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from ._errors import DatasetFormatError, DatasetNotFoundError

log = logging.getLogger(__name__)

#: Keys every SHD/SSC file must contain.
REQUIRED_KEYS = ("spikes/times", "spikes/units", "labels", "extra/keys", "extra/speaker")
#: Input channels of the real SHD/SSC data (cochlea model output units).
N_CHANNELS = 700
#: tonic's download location (`tonic.datasets.hsd.HSD.base_url`).
BASE_URL = "https://zenkelab.org/datasets/"


@dataclass(frozen=True)
class FileSpec:
    """One split file of SHD or SSC.

    Attributes:
        kind: `shd` or `ssc`.
        split: the file's split as tonic names it (`train`, `test`, `valid`).
        folder: the folder tonic reads, `<save_to>/SHD` or `<save_to>/SSC`.
    """

    kind: str
    split: str
    folder: Path

    @property
    def h5_name(self) -> str:
        return f"{self.kind}_{self.split}.h5"

    @property
    def h5_path(self) -> Path:
        return self.folder / self.h5_name

    @property
    def zip_path(self) -> Path:
        return self.folder / f"{self.h5_name}.zip"

    @property
    def url(self) -> str:
        return f"{BASE_URL}{self.h5_name}.zip"


def file_splits(kind: str) -> tuple[str, ...]:
    """The split files of a dataset kind, in tonic's names."""
    return ("train", "test") if kind == "shd" else ("train", "valid", "test")


def file_spec(kind: str, split: str, save_to: str | os.PathLike) -> FileSpec:
    """The `FileSpec` of `kind` (`shd`/`ssc`) and `split` under tonic's `save_to` root."""
    if kind not in ("shd", "ssc") or split not in file_splits(kind):
        raise ValueError(
            f"No {kind!r} file for split {split!r}; expected one of {file_splits(kind)}."
        )
    return FileSpec(kind, split, Path(save_to) / kind.upper())


def missing_message(specs: list[FileSpec], reason: str = "") -> str:
    """A message listing the missing files, where they go and how to fetch them."""
    lines = [f"Dataset files not found{': ' + reason if reason else ''}."]
    for s in specs:
        lines.append(f"  missing: {s.h5_path}")
    folder = specs[0].folder
    lines.append(
        f"Put the files into {folder}/ (keep the archives <name>.h5.zip next to them, or an empty "
        f"placeholder with that name), e.g.:"
    )
    lines.append(f"  mkdir -p {folder} && cd {folder}")
    for s in specs:
        lines.append(f"  curl -LO {s.url} && unzip -o {s.h5_name}.zip")
    lines.append(
        "or set data.download=true on a machine with network access. To run without the real data, "
        "choose the labelled stand-in explicitly: the override data=synthetic_"
        + specs[0].kind
        + ' (in Python: DataConfig(name="synthetic_'
        + specs[0].kind
        + '")).'
    )
    return "\n".join(lines)


def ensure_present(specs: list[FileSpec], *, download: bool) -> None:
    """Make sure every `.h5` of `specs` is on disk and tonic will not try to download it.

    A present `.h5` without its `.zip` gets an empty placeholder archive (tonic only checks
    that the archive exists). Missing files are downloaded through tonic when `download` is
    true; otherwise, or when that fails, `DatasetNotFoundError` lists what to do.
    """
    missing = [s for s in specs if not s.h5_path.is_file()]
    for s in specs:
        if s.h5_path.is_file() and not s.zip_path.exists():
            try:
                s.zip_path.touch()
            except OSError as err:
                raise DatasetNotFoundError(
                    f"{s.h5_path} is present but tonic also needs {s.zip_path} (it downloads "
                    f"otherwise) and creating an empty placeholder failed ({err}). Create it "
                    f"(`touch {s.zip_path}`) or point data.data_dir to a writable copy."
                ) from err
            log.info(
                "Created empty placeholder %s so tonic uses the present %s", s.zip_path, s.h5_name
            )
    if not missing:
        return
    if not download:
        raise DatasetNotFoundError(
            missing_message(missing, "download disabled (data.download=false)")
        )
    for s in missing:
        if s.zip_path.exists() and s.zip_path.stat().st_size == 0:
            s.zip_path.unlink()  # an empty placeholder would stop tonic from downloading
        try:
            log.info("Downloading %s through tonic into %s", s.url, s.folder)
            open_tonic(s)
        except (OSError, RuntimeError, urllib.error.URLError) as err:
            raise DatasetNotFoundError(
                missing_message(
                    missing, f"download of {s.url} failed ({type(err).__name__}: {err})"
                )
            ) from err
    still = [s for s in missing if not s.h5_path.is_file()]
    if still:
        raise DatasetNotFoundError(
            missing_message(still, "download finished but the .h5 files are absent")
        )


def validate_file(spec: FileSpec, n_channels: int = N_CHANNELS) -> tuple[int, list[str]]:
    """Check the HDF5 layout of `spec` without reading the events.

    Returns:
        `(n_samples, class_names)`.

    Raises:
        DatasetFormatError: not HDF5, a missing key, inconsistent lengths or bad labels.
    """
    path = spec.h5_path
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise DatasetFormatError(
            f"{path} is not a readable HDF5 file ({err}); expected the {spec.h5_name} of "
            f"{spec.kind.upper()}. Delete it and fetch it again from {spec.url}."
        ) from err
    with f:
        absent = [k for k in REQUIRED_KEYS if k not in f]
        if absent:
            raise DatasetFormatError(
                f"{path} lacks HDF5 key(s) {absent}; an SHD/SSC file has {list(REQUIRED_KEYS)}. "
                f"Replace it with the original {spec.h5_name} from {spec.url}."
            )
        n = len(f["labels"])
        lengths = {k: len(f[k]) for k in ("spikes/times", "spikes/units", "extra/speaker")}
        bad = {k: v for k, v in lengths.items() if v != n}
        if bad:
            raise DatasetFormatError(
                f"{path}: {bad} entries but {n} labels; every per-sample key must have one entry per label."
            )
        names = [_decode(k) for k in np.atleast_1d(f["extra/keys"][()])]
        labels = np.asarray(f["labels"][()])
    if n and (labels.min() < 0 or labels.max() >= len(names)):
        raise DatasetFormatError(
            f"{path}: labels span {labels.min()}..{labels.max()} but extra/keys names {len(names)} "
            f"classes; expected labels in 0..{len(names) - 1}."
        )
    return n, names


def read_speakers(spec: FileSpec) -> np.ndarray:
    """(S,) int64 `extra/speaker` of every sample of `spec` (tonic does not return it)."""
    with h5py.File(spec.h5_path, "r") as f:
        return np.asarray(f["extra/speaker"][()], dtype=np.int64)


def open_tonic(spec: FileSpec):
    """The tonic dataset object of `spec` (`tonic.datasets.SHD` or `SSC`); may download."""
    import tonic  # local: importing tonic is slow (librosa) and only needed on a cache miss

    save_to = str(spec.folder.parent)
    if spec.kind == "shd":
        return tonic.datasets.SHD(save_to, train=spec.split == "train")
    return tonic.datasets.SSC(save_to, split=spec.split)


def _decode(name) -> str:
    return name.decode() if isinstance(name, bytes | np.bytes_) else str(name)
