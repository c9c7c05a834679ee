"""Seeded, stratified validation split carved from a training set."""

from __future__ import annotations

import numpy as np

from ._errors import DataConfigError


def split_indices(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices into `(train_idx, val_idx)`, stratified by label.

    From each class `round(fraction * count)` samples go to validation, chosen by a
    permutation seeded with `seed`; both index arrays are sorted, disjoint and together
    cover `0..S-1`.

    Args:
        labels: (S,) integer class of each sample.
        fraction: share of every class that goes to validation, 0 <= fraction < 1.
        seed: seed of the permutation (same seed -> same split).
    """
    if not 0.0 <= fraction < 1.0:
        raise DataConfigError(f"validation fraction={fraction}; expected 0 <= fraction < 1.")
    labels = np.asarray(labels)
    n = labels.shape[0]
    perm = np.random.default_rng(seed).permutation(n)
    order = perm[np.argsort(labels[perm], kind="stable")]  # grouped by class, shuffled within
    sorted_labels = labels[order]
    _, first, counts = np.unique(sorted_labels, return_index=True, return_counts=True)
    rank = np.arange(n) - np.repeat(first, counts)  # position inside its class group
    n_val = np.repeat(np.round(fraction * counts).astype(np.int64), counts)
    is_val = rank < n_val
    return np.sort(order[~is_val]), np.sort(order[is_val])
