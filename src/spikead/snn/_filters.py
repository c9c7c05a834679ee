"""Choose which parameters are trained: equinox filter specs by field name."""

from __future__ import annotations

from collections.abc import Iterable

import equinox as eqx
import jax


def trainable_filter(model, freeze: Iterable[str] = ()):
    """Filter spec (same structure as `model`, bool leaves): True for every floating
    array leaf except those reached through an attribute whose name is in `freeze`.

    Example (train weights, keep every neuron's `beta` and `threshold` fixed):

        spec = snn.trainable_filter(model, freeze=("beta", "threshold"))
        params, static = eqx.partition(model, spec)
        loss_grad = jax.grad(lambda p: loss(eqx.combine(p, static)))(params)

    Frozen leaves are in `static` and get no gradient or optimiser update.
    """
    frozen = frozenset(freeze)

    def keep(path, leaf) -> bool:
        if not eqx.is_inexact_array(leaf):
            return False
        return not any(getattr(k, "name", None) in frozen for k in path)

    return jax.tree_util.tree_map_with_path(keep, model)
