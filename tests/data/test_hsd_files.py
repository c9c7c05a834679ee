"""File checks and the download path (tonic's downloader replaced by fakes: no network)."""

from __future__ import annotations

import logging
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import tonic.dataset

from spikead.data import DataConfig, DatasetNotFoundError, load_dataset

from .conftest import write_handmade


def _fake_download(calls: list, *, fail: bool):
    def download_and_extract_archive(url, download_root, filename=None, md5=None, **kw):
        calls.append((url, Path(download_root), filename, md5))
        if fail:
            raise urllib.error.URLError("network unreachable")
        # what a real download + extraction leaves behind
        write_handmade(Path(download_root), filename.removesuffix(".zip"), [([0.35], [7])], [1])
        (Path(download_root) / filename).write_bytes(b"zip")

    return download_and_extract_archive


def test_download_goes_through_tonic(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(
        tonic.dataset, "download_and_extract_archive", _fake_download(calls, fail=False)
    )
    ds = load_dataset(
        DataConfig(name="shd", data_dir=str(tmp_path), download=True, n_bins=10, val_fraction=0)
    )
    assert [c[0] for c in calls] == [
        "https://zenkelab.org/datasets/shd_train.h5.zip",
        "https://zenkelab.org/datasets/shd_test.h5.zip",
    ]
    assert all(
        c[1] == tmp_path / "SHD" and c[3] for c in calls
    )  # tonic checks the md5 of downloads
    x, y = ds["test"]
    assert x[0, 3, 7] == 1 and y[0] == 1 and not ds.synthetic


def test_failed_download_says_why(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(
        tonic.dataset, "download_and_extract_archive", _fake_download(calls, fail=True)
    )
    with pytest.raises(DatasetNotFoundError, match="network unreachable") as info:
        load_dataset(DataConfig(name="ssc", data_dir=str(tmp_path), download=True))
    assert str(tmp_path / "SSC" / "ssc_valid.h5") in str(info.value)
    assert len(calls) == 1


def test_present_files_are_never_downloaded(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(
        tonic.dataset, "download_and_extract_archive", _fake_download(calls, fail=True)
    )
    for split in ("train", "test"):
        write_handmade(tmp_path / "SHD", f"shd_{split}.h5", [([0.1], [1]), ([0.2], [2])], [0, 1])
    load_dataset(DataConfig(name="shd", data_dir=str(tmp_path), download=True, val_fraction=0))
    assert calls == []
    assert (tmp_path / "SHD" / "shd_test.h5.zip").stat().st_size == 0  # placeholder for tonic


def test_overflow_is_logged(tmp_path, caplog):
    for split in ("train", "test"):
        write_handmade(
            tmp_path / "SHD", f"shd_{split}.h5", [([0.1, 0.5, 0.9, 1.1], [1, 1, 1, 1])], [0]
        )
    with caplog.at_level(logging.INFO, logger="spikead.data"):
        x, _ = load_dataset(
            DataConfig(name="shd", data_dir=str(tmp_path), duration=0.8, n_bins=4, val_fraction=0)
        )["test"]
    assert "2 of 4 events (50.000%) at or past duration=0.8 s were dropped" in caplog.text
    np.testing.assert_array_equal(x[0, :, 1], [1, 0, 1, 0])
