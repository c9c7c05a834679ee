"""Validation splits: `split_indices` (stratified) and `speaker_split_indices` (held-out
speakers), both deterministic and disjoint; and what `load_dataset` records about them."""

from __future__ import annotations

import numpy as np
import pytest

from spikead.data import DataConfigError, load_dataset, speaker_split_indices, split_indices


@pytest.fixture
def labels():
    return np.random.default_rng(1).integers(0, 5, 203)


def test_disjoint_and_complete(labels):
    tr, va = split_indices(labels, 0.2, seed=0)
    assert np.intersect1d(tr, va).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, va])), np.arange(labels.size))


def test_deterministic_per_seed(labels):
    a = split_indices(labels, 0.2, seed=4)
    b = split_indices(labels, 0.2, seed=4)
    c = split_indices(labels, 0.2, seed=5)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_stratified_counts(labels):
    _, va = split_indices(labels, 0.25, seed=0)
    counts = np.bincount(labels, minlength=5)
    np.testing.assert_array_equal(np.bincount(labels[va], minlength=5), np.round(0.25 * counts))


def test_zero_fraction_keeps_everything(labels):
    tr, va = split_indices(labels, 0.0, seed=0)
    assert va.size == 0 and tr.size == labels.size


def test_bad_fraction_raises(labels):
    with pytest.raises(DataConfigError, match="fraction=1.0"):
        split_indices(labels, 1.0, seed=0)


@pytest.mark.parametrize("val_split", ["stratified", "speaker"])
def test_loaded_val_split_is_deterministic_and_disjoint(synth_cfg, val_split):
    a = load_dataset(synth_cfg(val_fraction=0.25, val_split=val_split, seed=1))
    b = load_dataset(synth_cfg(val_fraction=0.25, val_split=val_split, seed=1))
    np.testing.assert_array_equal(a["val"][0], b["val"][0])
    # every train+val sample is a distinct sample of the train file
    rows = np.concatenate([a["train"][0], a["val"][0]]).reshape(40, -1)
    assert np.unique(rows, axis=0).shape[0] == 40


@pytest.fixture
def speakers():
    """12 speakers with very different sample counts (as in SHD), ids not contiguous."""
    rng = np.random.default_rng(2)
    ids = np.array([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 40])
    return rng.permutation(np.repeat(ids, rng.integers(1, 60, ids.size)))


@pytest.mark.parametrize("fraction,n_val", [(0.1, 1), (0.25, 3), (0.5, 6), (0.9, 11)])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_speaker_split_holds_out_whole_speakers(speakers, fraction, n_val, seed):
    split = speaker_split_indices(speakers, fraction, seed)
    assert len(split.val_speakers) == n_val and len(split.train_speakers) == 12 - n_val
    assert set(split.val_speakers).isdisjoint(split.train_speakers)
    assert set(split.val_speakers) | set(split.train_speakers) == set(np.unique(speakers).tolist())
    # every sample of a held-out speaker is in val, no sample of a training speaker is
    np.testing.assert_array_equal(split.val, np.flatnonzero(np.isin(speakers, split.val_speakers)))
    np.testing.assert_array_equal(
        split.train, np.flatnonzero(~np.isin(speakers, split.val_speakers))
    )
    assert split.val.size == sum(int((speakers == s).sum()) for s in split.val_speakers)


def test_speaker_split_is_deterministic_per_seed(speakers):
    a = speaker_split_indices(speakers, 0.25, seed=4)
    b = speaker_split_indices(speakers, 0.25, seed=4)
    assert a.val_speakers == b.val_speakers
    np.testing.assert_array_equal(a.val, b.val)
    chosen = {speaker_split_indices(speakers, 0.25, seed=s).val_speakers for s in range(6)}
    assert len(chosen) > 1  # the seed picks the speakers


@pytest.mark.parametrize(
    "fraction,what",
    [
        (0.04, "no speaker"),
        (0.97, "every speaker"),
        (0.0, "0 < fraction < 1"),
        (1.0, "0 < fraction < 1"),
    ],
)
def test_speaker_split_errors_name_the_fraction(speakers, fraction, what):
    with pytest.raises(DataConfigError, match=rf"fraction={fraction}.*{what}"):
        speaker_split_indices(speakers, fraction, seed=0)


def test_single_speaker_cannot_be_split():
    with pytest.raises(
        DataConfigError, match=r"at least 2 speakers.*1 speaker\(s\) \[3\].*val_split=stratified"
    ):
        speaker_split_indices(np.full(20, 3), 0.5, seed=0)


def test_loaded_speaker_split_is_recorded(synth_cfg, tiny_synthetic):
    """The stand-in's extra/speaker ids drive the split; split_info names the speakers and
    sizes; the held-out speakers' samples are exactly `val` (checked against the file)."""
    import h5py

    ds = load_dataset(synth_cfg(val_fraction=0.3, seed=2))
    info = ds.split_info
    assert info["protocol"] == "speaker" and info["seed"] == 2
    assert len(info["val_speakers"]) == round(0.3 * tiny_synthetic.n_speakers)
    assert info["sizes"] == {k: int(v[1].shape[0]) for k, v in ds.items()}
    assert ds.metadata()["split"] == info
    from pathlib import Path

    with h5py.File(Path(ds.source) / "shd_train.h5") as f:
        file_speakers = f["extra/speaker"][()]
        n_train_file = len(f["labels"])
    held = np.isin(file_speakers, info["val_speakers"])
    assert (
        info["sizes"]["val"] == held.sum() and info["sizes"]["train"] == n_train_file - held.sum()
    )
    assert set(np.unique(file_speakers[~held]).tolist()) == set(info["train_speakers"])


def test_loaded_stratified_and_ssc_protocols(synth_cfg):
    assert (
        load_dataset(synth_cfg(val_fraction=0.25, val_split="stratified")).split_info["protocol"]
        == "stratified"
    )
    ssc = load_dataset(synth_cfg("synthetic_ssc", val_fraction=0.3)).split_info
    assert ssc == {"protocol": "valid file", "sizes": {"train": 40, "val": 12, "test": 16}}
    assert load_dataset(synth_cfg(val_fraction=0.0)).split_info["protocol"] == "none"


def test_unknown_val_split_is_refused(synth_cfg):
    with pytest.raises(DataConfigError, match="val_split='by_class'.*speaker"):
        synth_cfg(val_split="by_class")
