"""How close one gradient is to another, per parameter leaf."""

from __future__ import annotations

import jax
import numpy as np


def compare(grad, reference) -> dict[str, float]:
    """Cosine similarity, relative L2 error and max abs error of ``grad`` vs ``reference``.

    Both are arrays of one shape. Cosine is 1.0 when both are zero; the relative error
    divides by ``max(|reference|_2, tiny)``.
    """
    g = np.asarray(grad, np.float64).ravel()
    r = np.asarray(reference, np.float64).ravel()
    ng, nr = np.linalg.norm(g), np.linalg.norm(r)
    if ng == 0.0 and nr == 0.0:
        cos = 1.0
    elif ng == 0.0 or nr == 0.0:
        cos = 0.0
    else:
        cos = float(g @ r / (ng * nr))
    rel = float(np.linalg.norm(g - r) / max(nr, np.finfo(np.float64).tiny))
    return {
        "cosine": cos,
        "rel_l2": rel,
        "max_abs": float(np.max(np.abs(g - r), initial=0.0)),
        "ref_norm": float(nr),
    }


def compare_trees(grads, reference) -> dict[str, dict[str, float]]:
    """`compare` for every leaf; keys are the leaves' key paths (``"['w_in']"``)."""
    flat, _ = jax.tree_util.tree_flatten_with_path(grads)
    ref = jax.tree.leaves(reference)
    return {jax.tree_util.keystr(path): compare(g, r) for (path, g), r in zip(flat, ref)}


def cosine(a, b) -> float:
    """Cosine similarity of two arrays (flattened)."""
    return compare(a, b)["cosine"]


__all__ = ["compare", "compare_trees", "cosine"]
