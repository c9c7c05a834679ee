"""`value_and_grad(step, loss, method=...)`: online and reference gradients of a recurrent step."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from ._errors import UnknownMethodError
from ._reference import bptt_value_and_grad, dense_value_and_grad, rtrl_value_and_grad
from ._sparse import sparse_value_and_grad

METHODS: dict[str, Callable] = {
    "sparse": sparse_value_and_grad,
    "bptt": bptt_value_and_grad,
    "dense": dense_value_and_grad,
    "rtrl": rtrl_value_and_grad,
}


def value_and_grad(step: Callable, loss: Callable, method: str = "sparse", *,
                   batched: bool = False, time_major: bool = False,
                   jacobians: str = "auto") -> Callable:
    """Gradient of ``sum_t loss(y_t, target_t)`` for a recurrent one-step function.

    Args:
        step: ``step(params, state, x_t) -> (state, y_t)`` for ONE sample; any pytree of
            params, any number of state arrays (the state keeps its pytree structure).
        loss: ``loss(y_t, target_t) -> scalar``.
        method: ``"sparse"`` (structured eligibility traces, e-prop when the step has
            cross-neuron synaptic sums of the previous state; see `spikead.online._sparse`),
            ``"bptt"``, ``"dense"`` (exact, dense per-step Jacobians) or ``"rtrl"``
            (`jax.jacfwd` through the loop).
        batched: when True, ``state0``, ``xs`` and ``targets`` carry a leading batch axis B
            (xs: B x T x ...) and the returned loss and grads are SUMS over the batch
            (params are shared). "sparse" carries the batch axis through its scan and sums
            over it with one contraction per step (a matmul for factorised traces); the
            reference methods ``jax.vmap`` the per-sample function.
        time_major: (with ``batched``) xs and targets are laid out T x B x ... instead of
            B x T x .... "sparse" reads either layout in place, one step at a time (no copy
            of the sequences); the reference methods ``vmap`` over the batch axis.
        jacobians: (method "sparse" only) where the per-step structured Jacobian values
            come from: ``"engine"`` (`spikead.ad.structured_jacobian`; steps without
            cuts), ``"jvp"`` (compressed transposed JVPs; supports e-prop cuts) or
            ``"auto"`` (default: engine without cuts, else jvp).

    Returns:
        ``fn(params, state0, xs, targets) -> (total_loss, grads)``; xs and targets have a
        leading time axis T (after the batch axis when batched); grads has the pytree
        structure of params.

    Raises:
        UnknownMethodError: for an unknown ``method``.
        UnsupportedStepError: (method "sparse", when called) the step's state Jacobian
            cannot be expressed in the sparse form.
    """
    if method not in METHODS:
        raise UnknownMethodError(
            f"method={method!r} is not an online-gradient method; use one of {sorted(METHODS)}.")
    if method == "sparse":  # batches natively: contractions over B inside the scan (see _sparse)
        return sparse_value_and_grad(step, loss, jacobians, batched=batched, time_major=time_major)
    if jacobians != "auto":
        raise UnknownMethodError(f"jacobians={jacobians!r} applies to method='sparse' only")
    fn = METHODS[method](step, loss)
    if not batched:
        return fn

    def batched_fn(params, state0, xs, targets):
        axis = 1 if time_major else 0
        losses, grads = jax.vmap(fn, in_axes=(None, 0, axis, axis))(params, state0, xs, targets)
        return jnp.sum(losses), jax.tree.map(lambda g: jnp.sum(g, axis=0), grads)

    return batched_fn
