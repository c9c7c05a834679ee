"""`load_dataset` end to end through tonic: shapes, hand-made files, cache, errors."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from spikead.data import (
    DataConfig,
    DatasetFormatError,
    DatasetNotFoundError,
    _load,
    load_dataset,
    open_tonic_dataset,
)

from .conftest import write_handmade


def test_synthetic_shd_shapes_and_labels(synth_cfg, tiny_synthetic):
    ds = load_dataset(synth_cfg(val_fraction=0.2, val_split="stratified", pool=5))
    assert ds.name == "synthetic_shd" and ds.synthetic is True
    assert set(ds) == {"train", "val", "test"}
    assert (
        ds.n_classes == 4
        and ds.n_channels == 140
        and ds.n_bins == 20
        and ds.dt == pytest.approx(0.05)
    )
    x, y = ds["train"]
    assert x.dtype == np.float32 and x.shape == (32, 20, 140) and y.dtype == np.int32
    assert ds["val"][0].shape == (8, 20, 140) and ds["test"][0].shape == (16, 20, 140)
    np.testing.assert_array_equal(np.bincount(y, minlength=4), [8, 8, 8, 8])
    assert ds.metadata()["synthetic"] is True and ds.metadata()["split_sizes"] == {
        "train": 32,
        "val": 8,
        "test": 16,
    }


def test_synthetic_ssc_has_its_own_valid_split(synth_cfg):
    ds = load_dataset(synth_cfg("synthetic_ssc", val_fraction=0.5))
    assert ds.name == "synthetic_ssc" and ds.synthetic
    assert {k: v[0].shape[0] for k, v in ds.items()} == {"train": 40, "val": 12, "test": 16}
    assert ds.n_channels == 700


def test_counts_equal_the_files_events(synth_cfg):
    """Summing the count tensor over time and channels gives each sample's event count."""
    cfg = synth_cfg(val_fraction=0.0)
    ds = load_dataset(cfg)
    tonic_ds = open_tonic_dataset(cfg, "test")
    assert tonic_ds.synthetic is True and tonic_ds.name == "synthetic_shd"
    with h5py.File(Path(ds.source) / "shd_test.h5") as f:
        n_events = np.array([len(t) for t in f["spikes/times"]])
        labels = f["labels"][()]
    x, y = ds["test"]
    np.testing.assert_array_equal(x.sum(axis=(1, 2)), n_events)
    np.testing.assert_array_equal(y, labels)
    binary = load_dataset(dataclasses.replace(cfg, binary=True))["test"][0]
    np.testing.assert_array_equal(binary, np.minimum(x, 1))


def _handmade_shd(root: Path) -> None:
    folder = root / "SHD"
    samples = [
        ([0.05, 0.15, 0.95, 1.3], [0, 4, 699, 5]),  # 1.3 s is past the 1 s grid
        ([0.55, 0.551], [5, 9]),
    ]
    write_handmade(folder, "shd_train.h5", samples, [2, 0])
    write_handmade(folder, "shd_test.h5", samples[:1], [1])


def test_handmade_real_layout_through_tonic(tmp_path):
    _handmade_shd(tmp_path)
    cfg = DataConfig(
        name="shd", data_dir=str(tmp_path), n_bins=10, duration=1.0, pool=5, val_fraction=0.0
    )
    ds = load_dataset(cfg)
    assert ds.synthetic is False and ds.name == "shd"
    assert (tmp_path / "SHD" / "shd_train.h5.zip").exists()  # placeholder: tonic must not download
    x, y = ds["train"]
    np.testing.assert_array_equal(y, [2, 0])
    want = np.zeros((2, 10, 140), np.float32)
    want[0, 0, 0] = 1
    want[0, 1, 0] = 1
    want[0, 9, 139] = 1
    want[1, 5, 1] = 2
    np.testing.assert_array_equal(x, want)
    clipped = load_dataset(dataclasses.replace(cfg, overflow="clip"))["train"][0]
    assert clipped[0, 9, 1] == 1 and clipped.sum() == want.sum() + 1


def test_second_load_reads_only_the_cache(synth_cfg, monkeypatch):
    cfg = synth_cfg()
    first = load_dataset(cfg)

    def forbidden(*args, **kwargs):
        raise AssertionError("HDF5 opened on a cache hit")

    monkeypatch.setattr(h5py, "File", forbidden)
    monkeypatch.setattr(_load, "open_tonic", forbidden)
    second = load_dataset(cfg)
    for split in first:
        np.testing.assert_array_equal(first[split][0], second[split][0])
        np.testing.assert_array_equal(first[split][1], second[split][1])
    assert second.class_names == first.class_names
    # a different preprocessing config is a different cache entry: it must read the file
    with pytest.raises(AssertionError, match="HDF5 opened"):
        load_dataset(dataclasses.replace(cfg, n_bins=7))


def test_cache_key_follows_config_and_file(tmp_path):
    _handmade_shd(tmp_path)
    cfg = DataConfig(name="shd", data_dir=str(tmp_path), n_bins=10, val_fraction=0.0)
    load_dataset(cfg)
    cache = tmp_path / "cache"
    assert len(list(cache.glob("shd_train-*.npz"))) == 1
    load_dataset(dataclasses.replace(cfg, pool=7))
    load_dataset(dataclasses.replace(cfg, seed=5))  # the seed only moves the val split: same entry
    assert len(list(cache.glob("shd_train-*.npz"))) == 2
    assert not list(cache.glob("*.tmp"))  # atomic writes leave no temporaries
    # replacing the file (new size/mtime) invalidates the cache
    write_handmade(tmp_path / "SHD", "shd_train.h5", [([0.25], [1])], [1])
    os.utime(tmp_path / "SHD" / "shd_train.h5", ns=(1, 1))
    x, y = load_dataset(cfg)["train"]
    assert x.shape[0] == 1 and x[0, 2, 1] == 1 and y[0] == 1


def test_missing_real_files_name_the_path(tmp_path):
    cfg = DataConfig(name="shd", data_dir=str(tmp_path), download=False)
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset(cfg)
    msg = str(info.value)
    assert (
        str(tmp_path / "SHD" / "shd_train.h5") in msg
        and str(tmp_path / "SHD" / "shd_test.h5") in msg
    )
    assert "https://zenkelab.org/datasets/shd_train.h5.zip" in msg and "synthetic_shd" in msg
    assert not (tmp_path / "synthetic").exists()  # no silent fall-back to the stand-in


def test_one_missing_ssc_file_is_named(tmp_path):
    folder = tmp_path / "SSC"
    for split in ("train", "test"):
        write_handmade(folder, f"ssc_{split}.h5", [([0.1], [1])], [0])
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset(DataConfig(name="ssc", data_dir=str(tmp_path)))
    assert "ssc_valid.h5" in str(info.value) and "ssc_train.h5\n" not in str(info.value)


def test_random_bytes_are_a_format_error(tmp_path):
    _handmade_shd(tmp_path)
    bad = tmp_path / "SHD" / "shd_test.h5"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DatasetFormatError, match="not a readable HDF5") as info:
        load_dataset(DataConfig(name="shd", data_dir=str(tmp_path)))
    assert str(bad) in str(info.value)


def test_missing_spikes_key_is_a_format_error(tmp_path):
    _handmade_shd(tmp_path)
    path = tmp_path / "SHD" / "shd_train.h5"
    with h5py.File(path, "a") as f:
        del f["spikes"]
    with pytest.raises(DatasetFormatError, match="spikes/times") as info:
        load_dataset(DataConfig(name="shd", data_dir=str(tmp_path)))
    assert str(path) in str(info.value)


def test_units_beyond_700_channels_are_a_format_error(tmp_path):
    _handmade_shd(tmp_path)
    write_handmade(tmp_path / "SHD", "shd_test.h5", [([0.1, 0.2], [3, 900])], [0])
    with pytest.raises(DatasetFormatError, match="0..699") as info:
        load_dataset(DataConfig(name="shd", data_dir=str(tmp_path)))
    assert "shd_test.h5" in str(info.value)


def test_labels_outside_keys_are_a_format_error(tmp_path):
    _handmade_shd(tmp_path)
    write_handmade(tmp_path / "SHD", "shd_test.h5", [([0.1], [3])], [5], n_classes=3)
    with pytest.raises(DatasetFormatError, match="labels span 5..5"):
        load_dataset(DataConfig(name="shd", data_dir=str(tmp_path)))


def test_unreadable_cache_file_is_recomputed(synth_cfg):
    cfg = synth_cfg(val_fraction=0.0)
    first = load_dataset(cfg)
    cache_files = sorted((Path(cfg.data_dir) / "cache").glob("*.npz"))
    assert len(cache_files) == 2
    cache_files[0].write_bytes(b"not a zip")  # e.g. a foreign or damaged file
    second = load_dataset(cfg)
    for split in first:
        np.testing.assert_array_equal(first[split][0], second[split][0])
    with np.load(cache_files[0]) as z:  # rewritten
        assert {"x", "y", "class_names"} <= set(z.files)


def test_pool_must_divide_the_channels(synth_cfg):
    from spikead.data import DataConfigError

    with pytest.raises(DataConfigError, match="pool=3"):
        load_dataset(synth_cfg(pool=3))
