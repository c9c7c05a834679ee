"""Reference gradients of the same loss: BPTT, per-step dense Jacobians, RTRL.

All three take ``step(params, state, x_t) -> (state, y_t)`` and ``loss(y_t, target_t)``
and return ``fn(params, state0, xs, targets) -> (total_loss, grads)`` for ONE sample
(xs: T x ..., total = sum over t).

* ``bptt``: `jax.value_and_grad` through `lax.scan` (memory grows with T).
* ``dense``: exact forward-in-time gradients from dense per-step Jacobians
  (``jax.jacrev`` of the step: H as N x N, F as N x N x M, traces N x N x M, recursion by
  `tensordot`). This is the "dense e-prop" baseline without the e-prop approximation.
* ``rtrl``: `jax.jacfwd` of the whole unrolled loss (forward mode through the scan).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def instant_loss_and_signal(step: Callable, loss: Callable, params, state, x, target):
    """One step's loss E_t, the new state, and by one VJP: dE_t/dparams (direct, within the
    step) and the learning signal dE_t/dstate_{t-1}, both as lists of leaves."""

    def out_loss(p, s):
        new_s, y = step(p, s, x)
        return loss(y, target), new_s

    value, vjp, new_state = jax.vjp(out_loss, params, state, has_aux=True)
    g_direct, signal = vjp(jnp.ones_like(value))
    return value, new_state, jax.tree.leaves(g_direct), jax.tree.leaves(signal)

def scan_loss(step: Callable, loss: Callable, params, state0, xs, targets) -> jax.Array:
    """Total loss ``sum_t loss(y_t, target_t)`` of one sample."""

    def body(state, inp):
        x, target = inp
        state, y = step(params, state, x)
        return state, loss(y, target)

    _, losses = jax.lax.scan(body, state0, (xs, targets))
    return jnp.sum(losses)


def bptt_value_and_grad(step: Callable, loss: Callable) -> Callable:
    """Backpropagation through time."""

    def fn(params, state0, xs, targets):
        return jax.value_and_grad(scan_loss, argnums=2)(step, loss, params, state0, xs, targets)

    return fn


def rtrl_value_and_grad(step: Callable, loss: Callable) -> Callable:
    """Real-time recurrent learning as forward-mode AD through the loop (`jax.jacfwd`)."""

    def fn(params, state0, xs, targets):
        value = scan_loss(step, loss, params, state0, xs, targets)
        grads = jax.jacfwd(scan_loss, argnums=2)(step, loss, params, state0, xs, targets)
        return value, grads

    return fn


def _tdot(a: jax.Array, b: jax.Array, n: int) -> jax.Array:
    return jnp.tensordot(a, b, axes=n)


def dense_value_and_grad(step: Callable, loss: Callable) -> Callable:
    """Exact online gradients with dense per-step Jacobians (N x N x M traces)."""

    def fn(params, state0, xs, targets):
        p_leaves, p_tree = jax.tree.flatten(params)
        s_leaves, s_tree = jax.tree.flatten(state0)
        n_p, n_s = len(p_leaves), len(s_leaves)
        trace0 = [[jnp.zeros(s.shape + p.shape, jnp.float32) for p in p_leaves] for s in s_leaves]
        grads0 = [jnp.zeros_like(p) for p in p_leaves]

        def body(carry, inp):
            state, trace, grads, total = carry
            x, target = inp

            value, new_state, g_leaves, sig = instant_loss_and_signal(
                step, loss, params, state, x, target)
            new_grads = [grads[p] + g_leaves[p]
                         + sum(_tdot(sig[r], trace[r][p], sig[r].ndim) for r in range(n_s))
                         for p in range(n_p)]
            jac = jax.jacrev(lambda p, s: step(p, s, x)[0], argnums=(0, 1))(params, state)
            Fp, Hs = _blocks(jac, s_tree, n_s, n_p, n_s)
            new_trace = [[Fp[s][p] + sum(_tdot(Hs[s][r], trace[r][p], s_leaves[r].ndim)
                                         for r in range(n_s))
                          for p in range(n_p)] for s in range(n_s)]
            return (new_state, new_trace, new_grads, total + value), None

        carry0 = (state0, trace0, grads0, jnp.zeros((), jnp.float32))
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
