"""The Randman-style stand-in: file layout, determinism, temporal structure, learnability."""

from __future__ import annotations

from pathlib import Path

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.data import (
    DataConfig,
    SyntheticConfig,
    dataset_files,
    load_dataset,
    open_tonic_dataset,
    synthetic_root,
)


def test_files_have_tonic_names_and_shd_layout(synth_cfg, tiny_synthetic):
    cfg = synth_cfg()
    specs = dataset_files(cfg)
    folder = synthetic_root(cfg.data_dir, "synthetic_shd", tiny_synthetic) / "SHD"
    assert [s.h5_path for s in specs] == [folder / "shd_train.h5", folder / "shd_test.h5"]
    assert (folder / "shd_train.h5.zip").exists() and (
        folder / "shd_test.h5.zip"
    ).stat().st_size == 0
    with h5py.File(folder / "shd_train.h5") as f:
        assert f["spikes/times"].dtype.metadata["vlen"] == np.float32
        assert f["spikes/units"].dtype.metadata["vlen"] == np.uint16
        times, units = f["spikes/times"][()], f["spikes/units"][()]
        labels, keys = f["labels"][()], f["extra/keys"][()]
        assert len(times) == len(units) == len(labels) == len(f["extra/speaker"]) == 40
    assert list(keys) == [f"synthetic-{k:02d}".encode() for k in range(4)]
    assert set(labels) == {0, 1, 2, 3}
    for t, u in zip(times, units):
        assert len(t) == len(u) > 0
        assert np.all(np.diff(t) >= 0) and t.min() >= 0 and t.max() < 1.0
        assert u.max() < 700


def test_ssc_layout_has_three_files(synth_cfg):
    names = [s.h5_name for s in dataset_files(synth_cfg("synthetic_ssc"))]
    assert names == ["ssc_train.h5", "ssc_valid.h5", "ssc_test.h5"]


def test_tonic_reads_the_stand_in(synth_cfg):
    ds = open_tonic_dataset(synth_cfg(), "train")
    assert type(ds).__name__ == "SHD" and ds.synthetic and ds.name == "synthetic_shd"
    events, target = ds[0]
    assert len(ds) == 40 and events.dtype.names == ("t", "x", "p") and 0 <= target < 4
    assert events["t"].max() < 1e6  # microseconds


def test_default_class_counts(tmp_path):
    small = SyntheticConfig(n_train=4, n_valid=4, n_test=4, n_channels=10)
    shd = load_dataset(
        DataConfig(name="synthetic_shd", data_dir=str(tmp_path), val_fraction=0, synthetic=small)
    )
    ssc = load_dataset(DataConfig(name="synthetic_ssc", data_dir=str(tmp_path), synthetic=small))
    assert shd.n_classes == 20 and ssc.n_classes == 35 and shd.n_channels == 10


def test_generation_is_deterministic_and_seeded(tmp_path):
    def train_file(seed: int, sub: str) -> Path:
        cfg = DataConfig(name="synthetic_shd", data_dir=str(tmp_path / sub),
                         synthetic=SyntheticConfig(n_classes=3, n_train=6, n_test=3, seed=seed))  # fmt: skip
        return dataset_files(cfg)[0].h5_path

    def read(path):
        with h5py.File(path) as f:
            return np.concatenate(f["spikes/times"][()]), np.concatenate(f["spikes/units"][()])

    a, b, c = read(train_file(0, "a")), read(train_file(0, "b")), read(train_file(1, "c"))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape != c[0].shape or not np.array_equal(a[0], c[0])


def _softmax_regression(f_tr, y_tr, f_te, n_classes, steps=300, lr=0.5):
    """Multinomial logistic regression by full-batch gradient descent; predicted test labels."""
    mu, sd = f_tr.mean(0), f_tr.std(0) + 1e-6
    f_tr, f_te = jnp.asarray((f_tr - mu) / sd), jnp.asarray((f_te - mu) / sd)
    onehot = jax.nn.one_hot(y_tr, n_classes)

    def loss(params):
        w, b = params
        logp = jax.nn.log_softmax(f_tr @ w + b)
        return -jnp.mean(jnp.sum(onehot * logp, axis=1)) + 1e-3 * jnp.sum(w**2)

    def step(_, params):
        return jax.tree.map(lambda p, g: p - lr * g, params, jax.grad(loss)(params))

    init = (jnp.zeros((f_tr.shape[1], n_classes)), jnp.zeros(n_classes))
    w, b = jax.jit(lambda p: jax.lax.fori_loop(0, steps, step, p))(init)
    return np.asarray(jnp.argmax(f_te @ w + b, axis=1))


@pytest.mark.slow
def test_learnable_from_counts_and_time_matters(tmp_path):
    k = 5
    syn = SyntheticConfig(n_classes=k, n_train=250, n_test=150, seed=0)
    ds = load_dataset(DataConfig(name="synthetic_shd", data_dir=str(tmp_path), n_bins=10, pool=5,
                                 val_fraction=0.0, synthetic=syn))  # fmt: skip
    (x_tr, y_tr), (x_te, y_te) = ds["train"], ds["test"]
    chance = 1.0 / k
    acc_counts = np.mean(_softmax_regression(x_tr.sum(1), y_tr, x_te.sum(1), k) == y_te)
    acc_time = np.mean(
        _softmax_regression(x_tr.reshape(250, -1), y_tr, x_te.reshape(150, -1), k) == y_te
    )
    assert acc_counts > 2 * chance  # measured 0.53 (chance 0.2)
    # the time course carries information beyond the counts
    assert acc_time > acc_counts + 0.1 and acc_time > 0.8  # measured 0.99


def test_randman_setting_one_spike_per_channel(tmp_path):
    """p = 1 and one slot per channel (Paper B's Randman): every channel fires exactly once."""
    syn = SyntheticConfig(n_classes=3, n_train=9, n_test=3, n_channels=16, spikes_per_channel=1,
                          p_min=1.0, p_max=1.0, time_spread=1.0, latent_dim=1)  # fmt: skip
    ds = load_dataset(
        DataConfig(
            name="synthetic_shd", data_dir=str(tmp_path), n_bins=50, val_fraction=0, synthetic=syn
        )
    )
    x, _ = ds["train"]
    assert ds.n_channels == 16
    np.testing.assert_array_equal(x.sum(1), np.ones((9, 16)))
