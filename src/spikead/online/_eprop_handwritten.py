"""Hand-written exact e-prop for `SingleLayer` with `snn.LIF` or `snn.ALIF` (no recurrence).

The floor the sparse method is measured against (memory_scaling). Traces and reset paths
derived by hand for (the LIF has no b: beta_a = 0 and no e^b trace)

    b_t = rho b_{t-1} + (1 - rho) z_{t-1};   A_t = thr + beta_a b_t
    v_t = beta (v_{t-1} - thr z_{t-1}) + W_in x_t      (reset="subtract")
        = beta v_{t-1} (1 - z_{t-1}) + W_in x_t        (reset="zero")
    z_t = H(v_t - A_t),  psi_t = surrogate'(v_t - A_t);   y_t = W_out z_t

Eligibility traces w.r.t. W_in (N x M each): e^v_t = dv_t/dW, e^b_t = db_t/dW,
e^z_t = psi_t (e^v_t - beta_a e^b_t):

    e^b_t = rho e^b_{t-1} + (1 - rho) e^z_{t-1}
    e^v_t = beta (e^v_{t-1} - thr e^z_{t-1}) + x_t               (subtract)
          = beta ((1 - z_{t-1}) e^v_{t-1} - v_{t-1} e^z_{t-1}) + x_t   (zero)

(with ``stop_reset_grad`` the e^z_{t-1} terms of the reset are dropped)

    grad W_in  += (W_out^T dE_t/dy_t) * e^z_t;   grad W_out += dE_t/dy_t z_t^T

Exact (equal to BPTT) because nothing couples neurons. Carry: e^v, e^z (+ e^b for ALIF).
The batched form is the one a user writes: every array carries a leading batch axis B
inside ONE scan and the weight gradients are summed over B at each step (no `vmap` of
per-sample gradients).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from spikead import snn

from ._models import SingleLayer


def handwritten_eprop_value_and_grad(net: SingleLayer, loss: Callable, *,
                                     batched: bool = False) -> Callable:
    """`fn(params, state0, xs, targets) -> (total_loss, grads)`, exact e-prop by hand.

    ``batched=False``: one sample, xs (T, M), targets (T, K), state0 arrays (N,).
    ``batched=True``: time-major batch, xs (T, B, M), targets (T, B, K), state0 arrays
    (B, N); the loss and the gradients are summed over the batch.
    ``loss(y (K,), target (K,)) -> scalar`` is the loss of one step of one sample.
    Raises TypeError for a neuron other than `snn.LIF` / `snn.ALIF` or a recurrent layer.
    """
    cell = net.neuron
    if not isinstance(cell, (snn.LIF, snn.ALIF)) or net.recurrent:
        raise TypeError(f"the hand-written e-prop needs a non-recurrent LIF or ALIF layer, "
                        f"got {type(cell).__name__} (recurrent={net.recurrent}); use "
                        f"spikead.online.value_and_grad for other steps")
    adaptive = isinstance(cell, snn.ALIF)
    surrogate = cell.surrogate.derivative
    beta, thr = cell.beta, cell.threshold
    rho, beta_a = (cell.rho, cell.beta_a) if adaptive else (None, None)
    zero_reset, reset_grad = cell.reset == "zero", not cell.stop_reset_grad
    step_loss = jax.value_and_grad(loss)
    if batched:
        step_loss = jax.vmap(step_loss)

    def col(a):  # per-neuron constant (N,) or batched state (..., N) -> (..., N, 1)
        return a[..., None]

    def trace_step(state, traces, x, w_in):
        """One step of the neuron and of its traces; x (..., M) -> (state, traces, psi)."""
        if adaptive:
            (v, b, z), (ev, eb, ez) = state, traces
            b_new = rho * b + (1.0 - rho) * z
            eb_new = col(rho) * eb + col(1.0 - rho) * ez
        else:
            (v, z), (ev, ez) = state, traces
        current = x @ w_in.T
        if zero_reset:
            v_new = beta * v * (1.0 - z) + current
            ev_new = col(1.0 - z) * ev - (col(v) * ez if reset_grad else 0.0)
        else:
            v_new = beta * (v - thr * z) + current
            ev_new = ev - (col(thr) * ez if reset_grad else 0.0)
        ev_new = col(beta) * ev_new + x[..., None, :]
        if adaptive:
            u = v_new - (thr + beta_a * b_new)
            ez_pre = ev_new - col(beta_a) * eb_new
        else:
            u, ez_pre = v_new - thr, ev_new
        z_new = (u > 0).astype(v.dtype)
        ez_new = col(surrogate(u)) * ez_pre
        if adaptive:
            return (v_new, b_new, z_new), (ev_new, eb_new, ez_new)
        return (v_new, z_new), (ev_new, ez_new)

    def fn(params, state0, xs, targets):
        w_in, w_out = params["w_in"], params["w_out"]
        e0 = jnp.zeros((*xs.shape[1:-1], *w_in.shape), w_in.dtype)  # (..., N, M)
        traces0 = tuple(e0 for _ in state0)

        def body(carry, inp):
            state, traces, g_in, g_out, total = carry
            x, target = inp
            state, traces = trace_step(state, traces, x, w_in)
            z = state[-1]
            value, dy = step_loss(z @ w_out.T, target)      # dy (..., K)
            signal = dy @ w_out                             # (..., N)
            g_in = g_in + jnp.einsum("...n,...nm->nm", signal, traces[-1])
            g_out = g_out + jnp.einsum("...k,...n->kn", dy, z)
            return (state, traces, g_in, g_out, total + jnp.sum(value)), None

        carry0 = (tuple(state0), traces0, jnp.zeros_like(w_in), jnp.zeros_like(w_out),
                  jnp.zeros((), w_in.dtype))
        (_, _, g_in, g_out, total), _ = jax.lax.scan(body, carry0, (xs, targets))
        return total, {"w_in": g_in, "w_out": g_out}

    return fn


#: the former name (ALIF only at the time); the same function
alif_eprop_value_and_grad = handwritten_eprop_value_and_grad
