"""Seeded validation splits carved from a training set: stratified by label, or by speaker
(every sample of a held-out speaker goes to validation, as for SHD in the literature)."""

from __future__ import annotations

from typing import NamedTuple

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


class SpeakerSplit(NamedTuple):
    """Result of `speaker_split_indices`.

    Attributes:
        train: (S_train,) sorted indices of the samples of the training speakers.
        val: (S_val,) sorted indices of every sample of the held-out speakers.
        val_speakers: sorted ids of the held-out speakers.
        train_speakers: sorted ids of the remaining speakers.
    """

    train: np.ndarray
    val: np.ndarray
    val_speakers: tuple[int, ...]
    train_speakers: tuple[int, ...]


def speaker_split_indices(speakers: np.ndarray, fraction: float, seed: int) -> SpeakerSplit:
    """Hold out whole speakers: `round(fraction * K)` of the K distinct speaker ids, chosen
    by a permutation seeded with `seed`, give all their samples to validation.

    The validation size in samples is whatever those speakers recorded (speakers differ in
    how many samples they have); the split is disjoint by speaker and covers `0..S-1`.

    Args:
        speakers: (S,) integer speaker id of each sample (`extra/speaker` of SHD).
        fraction: share of the speakers held out, 0 < fraction < 1.
        seed: seed of the speaker permutation (same seed -> same speakers).

    Raises:
        DataConfigError: the fraction rounds to no speaker, or to all of them.
    """
    if not 0.0 < fraction < 1.0:
        raise DataConfigError(
            f"validation fraction={fraction}; expected 0 < fraction < 1 for a speaker split."
        )
    speakers = np.asarray(speakers)
    ids = np.unique(speakers)
    if ids.size < 2:
        raise DataConfigError(
            f"a speaker split needs at least 2 speakers; the training file has {ids.size} "
            f"speaker(s) {ids.tolist()}. Use data.val_split=stratified."
        )
    n_val = int(np.round(fraction * ids.size))
    if not 0 < n_val < ids.size:
        what = "no speaker" if n_val == 0 else "every speaker (none left to train on)"
        raise DataConfigError(
            f"validation fraction={fraction} of {ids.size} speaker(s) {ids.tolist()} holds out {what}; "
            f"expected round(fraction * {ids.size}) between 1 and {ids.size - 1} (e.g. fraction="
            f"{1 / ids.size:.3g} for one speaker), or data.val_split=stratified."
        )
    held = np.sort(np.random.default_rng(seed).permutation(ids)[:n_val])
    is_val = np.isin(speakers, held)
    return SpeakerSplit(
        np.flatnonzero(~is_val),
        np.flatnonzero(is_val),
        tuple(int(s) for s in held),
        tuple(int(s) for s in np.setdiff1d(ids, held)),
    )
