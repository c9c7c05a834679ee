"""On-disk cache of preprocessed arrays: `.npz` files keyed by a hash, written atomically."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Bump when the preprocessing changes meaning, so old cache files are not reused.
CACHE_VERSION = 2  # 2: the speaker of every sample is cached too


def file_fingerprint(path: str | os.PathLike) -> dict[str, Any]:
    """Size and modification time (ns) of `path`: changes when the file is replaced."""
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def cache_key(parts: Mapping[str, Any]) -> str:
    """A stable 16-hex-digit hash of a JSON-serialisable mapping (key order irrelevant)."""
    blob = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cache_path(cache_dir: str | os.PathLike, stem: str, key: str) -> Path:
    """`<cache_dir>/<stem>-<key>.npz`."""
    return Path(cache_dir) / f"{stem}-{key}.npz"


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` to `path` as `.npz` atomically (temporary file + `os.replace`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("Wrote cache %s", path)


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray] | None:
    """The arrays stored at `path`, or `None` when the file is absent or unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:  # truncated/foreign: redo
        log.warning("Ignoring unreadable cache file %s (%s)", path, err)
        return None


def compact_counts(x: np.ndarray) -> np.ndarray:
    """Store integer-valued counts in the smallest unsigned dtype that holds them."""
    top = float(x.max()) if x.size else 0.0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return x.astype(dtype)
    return x
