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

Exact (equal to BPTT) because nothing couples neurons. Carry: e^v (+ e^b for ALIF) and
psi_{t-1}; e^z_{t-1} is substituted, so each trace update is one per-neuron multiply-add.
The batched form is the one a user writes: every array carries a leading batch axis B
inside ONE scan and the weight gradients are summed over B at each step (no `vmap` of
per-sample gradients).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from spikead import snn
from spikead.online import SingleLayer


def handwritten_eprop_value_and_grad(
    net: SingleLayer, loss: Callable, *, batched: bool = False
) -> Callable:
    """`fn(params, state0, xs, targets) -> (total_loss, grads)`, exact e-prop by hand.

    ``batched=False``: one sample, xs (T, M), targets (T, K), state0 arrays (N,).
    ``batched=True``: time-major batch, xs (T, B, M), targets (T, B, K), state0 arrays
    (B, N); the loss and the gradients are summed over the batch.
    ``loss(y (K,), target (K,)) -> scalar`` is the loss of one step of one sample.
    Raises TypeError for a neuron other than `snn.LIF` / `snn.ALIF` or a recurrent layer.
    """
    cell = net.neuron
    if not isinstance(cell, (snn.LIF, snn.ALIF)) or net.recurrent:
        raise TypeError(
            f"the hand-written e-prop needs a non-recurrent LIF or ALIF layer, "
            f"got {type(cell).__name__} (recurrent={net.recurrent}); use "
            f"spikead.online.value_and_grad for other steps"
        )
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

    def trace_step(state, psi_prev, traces, x, w_in):
        """One step of the neuron and of its traces; x (..., M) -> (state, psi, traces).

        e^z_{t-1} = psi_{t-1} (e^v_{t-1} - beta_a e^b_{t-1}) is substituted, so each new
        trace is a per-neuron linear combination of the old ones plus x: one fused
        multiply-add per (..., N, M) trace and no e^z carried.
        """
        v, z = state[0], state[-1]
        current = x @ w_in.T
        if zero_reset:  # e^v_t = c e^v_{t-1} + d e^z_{t-1} + x_t
            v_new, c = beta * v * (1.0 - z) + current, beta * (1.0 - z)
            d = -beta * v if reset_grad else 0.0
        else:
            v_new, c = beta * (v - thr * z) + current, beta
            d = -beta * thr if reset_grad else 0.0
        ev = traces[0]
        ev_new = col(c + d * psi_prev) * ev + x[..., None, :]
        if not adaptive:
            u = v_new - thr
            psi = surrogate(u)
            return (v_new, (u > 0).astype(v.dtype)), psi, (ev_new,)
        b, eb = state[1], traces[1]
        b_new = rho * b + (1.0 - rho) * z
        ev_new = ev_new - col(d * psi_prev * beta_a) * eb
        eb_new = col((1.0 - rho) * psi_prev) * ev + col(rho - (1.0 - rho) * psi_prev * beta_a) * eb
        u = v_new - (thr + beta_a * b_new)
        psi = surrogate(u)
        return (v_new, b_new, (u > 0).astype(v.dtype)), psi, (ev_new, eb_new)

    def grad_in(signal_psi, traces):
        """L_t psi_t e^z_t = L_t psi_t (e^v_t - beta_a e^b_t) per sample: (..., N, M).

        Accumulated per sample and summed over B once after the scan: a per-step
        ``einsum("bn,bnm->nm")`` (XLA:CPU: N batched B x M products) made the whole step
        2.2x slower, a per-step multiply-and-sum over B 1.15-1.5x (ALIF, LIF; B 16, N 128,
        M 140, T 300, interleaved)."""
        ez = traces[0] - col(beta_a) * traces[1] if adaptive else traces[0]
        return col(signal_psi) * ez

    def fn(params, state0, xs, targets):
        w_in, w_out = params["w_in"], params["w_out"]
        e0 = jnp.zeros((*xs.shape[1:-1], *w_in.shape), w_in.dtype)  # (..., N, M)
        traces0 = (e0, e0) if adaptive else (e0,)

        def body(carry, inp):
            state, psi, traces, g_in, g_out, total = carry
            x, target = inp
            state, psi, traces = trace_step(state, psi, traces, x, w_in)
            z = state[-1]
            value, dy = step_loss(z @ w_out.T, target)  # dy (..., K)
            g_in = g_in + grad_in((dy @ w_out) * psi, traces)
            g_out = g_out + jnp.einsum("...k,...n->kn", dy, z)
            return (state, psi, traces, g_in, g_out, total + jnp.sum(value)), None

        carry0 = (
            tuple(state0),
            jnp.zeros_like(state0[0]),
            traces0,
            e0,
            jnp.zeros_like(w_out),
            jnp.zeros((), w_in.dtype),
        )
        (_, _, _, g_in, g_out, total), _ = jax.lax.scan(body, carry0, (xs, targets))
        return total, {"w_in": jnp.sum(g_in, axis=tuple(range(g_in.ndim - 2))), "w_out": g_out}

    return fn


#: the former name (ALIF only at the time); the same function
alif_eprop_value_and_grad = handwritten_eprop_value_and_grad
