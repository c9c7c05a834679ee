"""Fixtures of the data tests: tiny synthetic configs and a writer of hand-made HSD files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spikead.data import DataConfig, SyntheticConfig, write_hsd_file


@pytest.fixture
def tiny_synthetic() -> SyntheticConfig:
    """A few dozen samples per split: fast to generate and to read through tonic."""
    return SyntheticConfig(n_classes=4, n_train=40, n_valid=12, n_test=16, seed=3)


@pytest.fixture
def synth_cfg(tmp_path: Path, tiny_synthetic: SyntheticConfig):
    """Factory of `DataConfig`s for the tiny synthetic set under `tmp_path`."""

    def make(name: str = "synthetic_shd", **overrides) -> DataConfig:
        opts = {"name": name, "data_dir": str(tmp_path), "n_bins": 20, "synthetic": tiny_synthetic}
        opts.update(overrides)
        return DataConfig(**opts)

    return make


def write_handmade(
    folder: Path, split_file: str, samples: list[tuple[list[float], list[int]]], labels, n_classes=3
):
    """Write `samples` (times in s, units) as `<folder>/<split_file>` in the SHD layout."""
    times = [np.asarray(t, dtype=np.float32) for t, _ in samples]
    units = [np.asarray(u, dtype=np.uint16) for _, u in samples]
    write_hsd_file(
        folder / split_file,
        times,
        units,
        np.asarray(labels),
        np.zeros(len(labels), dtype=int),
        [f"class-{k}" for k in range(n_classes)],
    )
