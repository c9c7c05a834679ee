"""`split_indices`: deterministic, disjoint, stratified."""

from __future__ import annotations

import numpy as np
import pytest

from spikead.data import DataConfigError, split_indices


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


def test_loaded_val_split_is_deterministic_and_disjoint(synth_cfg):
    from spikead.data import load_dataset

    a = load_dataset(synth_cfg(val_fraction=0.25, seed=1))
    b = load_dataset(synth_cfg(val_fraction=0.25, seed=1))
    np.testing.assert_array_equal(a["val"][0], b["val"][0])
    # every train+val sample is a distinct sample of the train file
    rows = np.concatenate([a["train"][0], a["val"][0]]).reshape(40, -1)
    assert np.unique(rows, axis=0).shape[0] == 40
