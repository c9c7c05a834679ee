"""Reference gradients of the same loss: BPTT, per-step dense Jacobians, RTRL.

All three take ``step(params, state, x_t) -> (state, y_t)`` and ``loss(y_t, target_t)``
and return ``fn(params, state0, xs, targets) -> (total_loss, grads)``: for ONE sample
(xs: T x ..., total = sum over t) or, with ``batched``, for a batch (state0: B x ...,
xs: B x T x ..., or T x B x ... with ``time_major``; total and grads summed over B).

* ``bptt``: `jax.value_and_grad` through `lax.scan` (memory grows with T). Batched, it is
  the standard form: ONE gradient of the batch loss through ONE scan of the batched
  (`jax.vmap`-ed) step, not a `vmap` of per-sample gradients.
* ``dense``: exact forward-in-time gradients from dense per-step Jacobians
  (``jax.jacrev`` of the step: H as N x N, F as N x N x M, traces N x N x M, recursion by
  `tensordot`). This is the "dense e-prop" baseline without the e-prop approximation.
  Batched, one scan carries B x N x N x M traces; the per-sample step is `vmap`-ed inside it.
* ``rtrl``: `jax.jacfwd` of the whole unrolled loss (forward mode through the scan); batched,
  of the batch loss through one scan of the batched step.
* ``eprop_reference``: Bellec et al.'s e-prop as `jax.grad`: BPTT of the e-prop step
  (`_eprop.eprop_step`: ``stop_gradient`` on every cross-neuron sum of the previous state).

Batch-major sequences (B x T x ...) are swapped to time-major once (``jnp.swapaxes``, a
copy), as a user writing the scan by hand would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._eprop import eprop_step


def instant_loss_and_signal(step: Callable, loss: Callable, params, state, x, target):
    """One step's loss E_t, the new state, and by one VJP: dE_t/dparams (direct, within the
    step) and the learning signal dE_t/dstate_{t-1}, both as lists of leaves."""

    def out_loss(p, s):
        new_s, y = step(p, s, x)
        return loss(y, target), new_s

    value, vjp, new_state = jax.vjp(out_loss, params, state, has_aux=True)
    g_direct, signal = vjp(jnp.ones_like(value))
    return value, new_state, jax.tree.leaves(g_direct), jax.tree.leaves(signal)


def loss_dtype(step: Callable, loss: Callable, params, state, x, target):
    """dtype of one step's loss at these (per-sample) arguments (traced, not run)."""
    return jax.eval_shape(
        lambda p, s, xx, tg: loss(step(p, s, xx)[1], tg), params, state, x, target
    ).dtype


def scan_loss(step: Callable, loss: Callable, params, state0, xs, targets) -> jax.Array:
    """Total loss ``sum_t loss(y_t, target_t)`` of one sample (xs: T x ...)."""

    def body(state, inp):
        x, target = inp
        state, y = step(params, state, x)
        return state, loss(y, target)

    _, losses = jax.lax.scan(body, state0, (xs, targets))
    return jnp.sum(losses)


def batch_scan_loss(
    step: Callable, loss: Callable, params, state0, xs, targets, *, time_major: bool = False
) -> jax.Array:
    """Total loss ``sum_b sum_t loss(y_bt, target_bt)`` by ONE scan of the batched step.

    state0: B x ...; xs, targets: B x T x ... (T x B x ... when ``time_major``).
    """
    if not time_major:
        xs, targets = _time_major(xs), _time_major(targets)
    step_b = jax.vmap(step, in_axes=(None, 0, 0))
    loss_b = lambda y, target: jnp.sum(jax.vmap(loss)(y, target))
    return scan_loss(step_b, loss_b, params, state0, xs, targets)


def _time_major(tree):
    """B x T x ... -> T x B x ... for every leaf."""
    return jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), tree)


def _total_loss(step: Callable, loss: Callable, batched: bool, time_major: bool) -> Callable:
    """``total(params, state0, xs, targets)`` of one sample or of a batch."""
    if batched:
        return lambda p, s0, xs, tg: batch_scan_loss(
            step, loss, p, s0, xs, tg, time_major=time_major
        )
    return lambda p, s0, xs, tg: scan_loss(step, loss, p, s0, xs, tg)


def bptt_value_and_grad(
    step: Callable, loss: Callable, *, batched: bool = False, time_major: bool = False
) -> Callable:
    """Backpropagation through time (batched: the standard one-scan form, see module doc)."""
    return jax.value_and_grad(_total_loss(step, loss, batched, time_major))


def rtrl_value_and_grad(
    step: Callable, loss: Callable, *, batched: bool = False, time_major: bool = False
) -> Callable:
    """Real-time recurrent learning as forward-mode AD through the loop (`jax.jacfwd`)."""
    total = _total_loss(step, loss, batched, time_major)

    def fn(params, state0, xs, targets):
        return total(params, state0, xs, targets), jax.jacfwd(total)(params, state0, xs, targets)

    return fn


def eprop_reference_value_and_grad(
    step: Callable, loss: Callable, *, batched: bool = False, time_major: bool = False
) -> Callable:
    """Bellec et al.'s e-prop (Nat. Commun. 11:3625, 2020) by `jax.grad` through a scan.

    The gradient is BPTT's of the e-prop step (`eprop_step`, built from ``step``'s jaxpr at
    the first sample's shapes): every operand through which the previous state reaches
    OTHER neurons (``W_rec @ z_{t-1}``, ``L @ relu(v_{t-1})``) reads ``stop_gradient``;
    neuron-local paths (leak, the neuron's own reset and adaptation, the surrogate) stay.

    Why this is e-prop. With those stops, a weight ``W_ji`` of neuron j reaches the loss
    only through neuron j's own spikes ``z_j^t``, each a function of neuron j's own
    history, so the chain rule through the scan gives

        dE/dW_ji = sum_t  dE_t/dz_j^t . e_ji^t,    e_ji^t = [dz_j^t / dW_ji]_local,

    where ``dE_t/dz_j^t`` is the partial derivative of the INSTANTANEOUS loss through the
    current readout (for ``y_t = W_out z_t`` and the half squared error: Bellec's learning
    signal ``L_j^t = sum_k B_jk (y_k^t - y*_k^t)`` with ``B = W_out^T``, symmetric e-prop) and
    ``e_ji^t`` is the total derivative within neuron j: Bellec's eligibility trace
    ``dz_j^t/dh_j^t . eps_ji^t`` with ``eps^t = dh^t/dh^{t-1} eps^{t-1} + dh^t/dW``, the
    neuron's own paths through its previous spike (reset, adaptation) included in
    ``dh^t/dh^{t-1}``. Paths through later steps of OTHER neurons (Bellec's total
    ``dE/dz_j^t``) are exactly what the stops remove. The readout weights get their exact
    gradient. Self-connections ``W_rec[j, j]`` go through the stopped sum too.

    Several layers: a deeper layer's input (a sum carrying a lower layer's weights) is
    stopped on the way to the new state only; BPTT of that step is per-layer e-prop
    (`_eprop`, "Depth").

    Same layouts as `bptt_value_and_grad`. Raises `UnsupportedStepError` where the stops
    cannot be placed (`eprop_step`).
    """

    def fn(params, state0, xs, targets):
        lead = 2 if batched else 1  # the batch and time axes in front of one step's x
        x0 = jax.tree.map(lambda a: a[(0,) * lead], xs)
        s0 = jax.tree.map(lambda a: a[0], state0) if batched else state0
        stopped = eprop_step(step, params, s0, x0)
        return bptt_value_and_grad(stopped, loss, batched=batched, time_major=time_major)(
            params, state0, xs, targets
        )

    return fn


def _tdot(a: jax.Array, b: jax.Array, n: int) -> jax.Array:
    return jnp.tensordot(a, b, axes=n)


def _dense_sample_step(step: Callable, loss: Callable, params, state, trace, x, target):
    """One sample's step of the dense recursion: ``(value, new_state, new_trace, dgrads)``.

    trace[s][p]: d state[s] / d params[p] (state shape + param shape); dgrads[p]: this
    step's contribution dE_t/dparams[p] (direct path + learning signal . old trace).
    """
    s_leaves, s_tree = jax.tree.flatten(state)
    n_p, n_s = len(jax.tree.leaves(params)), len(s_leaves)
    value, new_state, g_leaves, sig = instant_loss_and_signal(step, loss, params, state, x, target)
    dgrads = [
        g_leaves[p] + sum(_tdot(sig[r], trace[r][p], sig[r].ndim) for r in range(n_s))
        for p in range(n_p)
    ]
    jac = jax.jacrev(lambda p, s: step(p, s, x)[0], argnums=(0, 1))(params, state)
    Fp, Hs = _blocks(jac, s_tree, n_s, n_p, n_s)
    new_trace = [
        [
            Fp[s][p] + sum(_tdot(Hs[s][r], trace[r][p], s_leaves[r].ndim) for r in range(n_s))
            for p in range(n_p)
        ]
        for s in range(n_s)
    ]
    return value, new_state, new_trace, dgrads


def dense_value_and_grad(
    step: Callable, loss: Callable, *, batched: bool = False, time_major: bool = False
) -> Callable:
    """Exact online gradients with dense per-step Jacobians (N x N x M traces per sample).

    One scan over time with the batch axis in the carry (a single sample runs as a batch
    of one); the per-sample step (`_dense_sample_step`) is `vmap`-ed inside it and its
    gradient contributions summed over the batch each step.
    """
    sample_step = jax.vmap(
        lambda p, s, tr, x, tg: _dense_sample_step(step, loss, p, s, tr, x, tg),
        in_axes=(None, 0, 0, 0, 0),
    )

    def fn(params, state0, xs, targets):
        if not batched:
            state0, xs, targets = jax.tree.map(lambda a: a[None], (state0, xs, targets))
        if not (batched and time_major):
            xs, targets = _time_major(xs), _time_major(targets)
        p_leaves, p_tree = jax.tree.flatten(params)
        s_leaves = jax.tree.leaves(state0)
        batch = s_leaves[0].shape[0]
        dtype = jnp.result_type(*p_leaves, *s_leaves)
        trace0 = [
            [jnp.zeros((batch, *s.shape[1:], *p.shape), dtype) for p in p_leaves] for s in s_leaves
        ]
        grads0 = [jnp.zeros_like(p) for p in p_leaves]

        def body(carry, inp):
            state, trace, grads, total = carry
            value, new_state, new_trace, dgrads = sample_step(params, state, trace, *inp)
            new_grads = [g + jnp.sum(d, axis=0) for g, d in zip(grads, dgrads)]
            return (new_state, new_trace, new_grads, total + jnp.sum(value)), None

        one = lambda tree, index: jax.tree.map(lambda a: a[index], tree)
        value0 = jnp.zeros(
            (),
            loss_dtype(step, loss, params, one(state0, 0), one(xs, (0, 0)), one(targets, (0, 0))),
        )
        carry0 = (state0, trace0, grads0, value0)
        (_, _, grads, total), _ = jax.lax.scan(body, carry0, (xs, targets))
        return total, jax.tree.unflatten(p_tree, grads)

    return fn


def _blocks(jac: Any, out_tree, n_out: int, n_p: int, n_s: int):
    """Split ``jacrev(argnums=(0, 1))`` (out pytree of (params, state)) into
    ``F[out leaf][param leaf]`` and ``H[out leaf][state leaf]`` dense arrays."""
    outer = out_tree.flatten_up_to(jac)
    F = [jax.tree.leaves(o[0]) for o in outer]
    H = [jax.tree.leaves(o[1]) for o in outer]
    assert len(F) == n_out and all(len(r) == n_p for r in F) and all(len(r) == n_s for r in H)
    return F, H
