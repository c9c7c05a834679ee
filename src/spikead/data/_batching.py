"""Seeded mini-batches: a per-epoch permutation, deterministic given (seed, epoch)."""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np


def epoch_permutation(
    n: int, *, key: jax.Array | None = None, seed: int | None = None, epoch: int = 0
) -> np.ndarray:
    """The sample order of `epoch`: a permutation of `0..n-1` from `fold_in(key, epoch)`.

    Give exactly one of `key` (a `jax.random` key) or `seed` (`key = PRNGKey(seed)`).
    """
    if (key is None) == (seed is None):
        raise ValueError("Give exactly one of key= (a jax.random key) or seed= (an int).")
    if key is None:
        key = jax.random.PRNGKey(seed)
    return np.asarray(jax.random.permutation(jax.random.fold_in(key, epoch), n))


def num_batches(n: int, batch_size: int, *, drop_last: bool = False) -> int:
    """Number of batches `batches` yields for `n` samples."""
    return n // batch_size if drop_last else -(-n // batch_size)


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    key: jax.Array | None = None,
    seed: int | None = None,
    epoch: int = 0,
    shuffle: bool = True,
    drop_last: bool = False,
) -> Iterator[tuple[jax.Array, jax.Array]]:
    """Yield `(x_b, y_b)` JAX arrays of shapes (B, T, C) and (B,), one epoch long.

    With `shuffle` the order is `epoch_permutation(S, key|seed, epoch)`, so a resumed run
    sees the same batches; without it samples come in order (no key needed). The last,
    smaller batch is kept unless `drop_last`.

    Args:
        x: (S, ...) inputs, e.g. (S, T, C) spike tensors.
        y: (S,) labels.
        batch_size: B.
    """
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(
            f"x has {n} samples but y has {y.shape[0]}; expected the same leading size."
        )
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}; expected >= 1.")
    order = epoch_permutation(n, key=key, seed=seed, epoch=epoch) if shuffle else np.arange(n)
    for b in range(num_batches(n, batch_size, drop_last=drop_last)):
        idx = order[b * batch_size : (b + 1) * batch_size]
        yield jnp.asarray(x[idx]), jnp.asarray(y[idx])
