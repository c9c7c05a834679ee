"""`bin_events` against hand-computed grids."""

from __future__ import annotations

import numpy as np
import pytest

from spikead.data import DataConfigError, DatasetFormatError, bin_events


def _bin(times_s, units, samples, n_samples, **kw):
    opts = {"n_bins": 10, "duration": 1.0, "n_channels": 700}
    opts.update(kw)
    return bin_events(
        np.asarray(times_s) * 1e6, np.asarray(units), np.asarray(samples), n_samples, **opts
    )


def test_events_land_in_known_bins():
    # sample 0: t=0.05 (bin 0) unit 3, t=0.15 (bin 1) unit 3 twice, t=0.95 (bin 9) unit 699
    # sample 1: t=0.55 (bin 5) unit 0
    x, stats = _bin([0.05, 0.15, 0.151, 0.95, 0.55], [3, 3, 3, 699, 0], [0, 0, 0, 0, 1], 2)
    expected = np.zeros((2, 10, 700), np.float32)
    expected[0, 0, 3] = 1
    expected[0, 1, 3] = 2
    expected[0, 9, 699] = 1
    expected[1, 5, 0] = 1
    assert x.dtype == np.float32 and x.shape == (2, 10, 700)
    np.testing.assert_array_equal(x, expected)
    assert stats == (5, 0)


def test_bin_edges_belong_to_the_later_bin():
    x, _ = _bin([0.0, 0.1, 0.2], [0, 0, 0], [0, 0, 0], 1, n_bins=4, duration=0.4)
    np.testing.assert_array_equal(x[0, :, 0], [1, 1, 1, 0])


def test_events_past_the_end_are_dropped_by_default():
    x, stats = _bin([0.5, 1.0, 1.7], [1, 1, 1], [0, 0, 0], 1)
    assert x.sum() == 1 and x[0, 5, 1] == 1
    assert stats.overflow == 2 and stats.total == 3


def test_events_past_the_end_clip_into_last_bin():
    x, stats = _bin([0.5, 1.0, 1.7], [1, 1, 1], [0, 0, 0], 1, overflow="clip")
    assert x[0, 9, 1] == 2 and x[0, 5, 1] == 1 and x.sum() == 3
    assert stats.overflow == 2


def test_pooling_sums_channel_groups():
    units = [0, 4, 5, 699, 695, 10]
    x, _ = _bin([0.05] * 6, units, [0] * 6, 1, pool=5)
    assert x.shape == (1, 10, 140)
    row = x[0, 0]
    assert row[0] == 2 and row[1] == 1 and row[139] == 2 and row[2] == 1 and row.sum() == 6
    # pooling = summing the unpooled tensor over groups of 5 channels
    full, _ = _bin([0.05] * 6, units, [0] * 6, 1)
    np.testing.assert_array_equal(full.reshape(1, 10, 140, 5).sum(-1), x)


def test_binary_caps_counts_at_one():
    args = ([0.05, 0.06, 0.07, 0.5], [2, 2, 2, 3], [0, 0, 0, 0], 1)
    counts, _ = _bin(*args)
    binary, _ = _bin(*args, binary=True)
    assert counts[0, 0, 2] == 3
    np.testing.assert_array_equal(binary, np.minimum(counts, 1))
    assert set(np.unique(binary)) == {0.0, 1.0}


def test_random_events_match_a_histogram():
    rng = np.random.default_rng(0)
    n = 2000
    t, u, s = rng.uniform(0, 1.2, n), rng.integers(0, 700, n), rng.integers(0, 3, n)
    x, stats = _bin(t, u, s, 3, n_bins=7, pool=7)
    keep = t < 1.0
    ref, _ = np.histogramdd(
        np.stack([s[keep], t[keep], u[keep] // 7], 1),
        bins=(3, 7, 100),
        range=((0, 3), (0, 1.0), (0, 100)),
    )
    np.testing.assert_array_equal(x, ref)
    assert stats.overflow == int((~keep).sum())


def test_empty_input_gives_zeros():
    x, stats = _bin([], [], [], 2)
    assert x.shape == (2, 10, 700) and not x.any() and stats == (0, 0)


@pytest.mark.parametrize(
    "kw, err",
    [
        ({"pool": 3}, DataConfigError),
        ({"overflow": "wrap"}, DataConfigError),
    ],
)
def test_bad_options_raise(kw, err):
    with pytest.raises(err):
        _bin([0.1], [0], [0], 1, **kw)


def test_bad_events_raise():
    with pytest.raises(DatasetFormatError, match="0..699"):
        _bin([0.1], [700], [0], 1)
    with pytest.raises(DatasetFormatError, match="negative"):
        _bin([-0.1], [0], [0], 1)
