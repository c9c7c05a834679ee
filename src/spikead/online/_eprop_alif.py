"""Hand-written exact e-prop for `SingleLayer` with `snn.ALIF` (no recurrence): the floor.

Traces and reset paths derived by hand for

    b_t = rho b_{t-1} + (1 - rho) z_{t-1};   A_t = thr + beta_a b_t
    v_t = beta (v_{t-1} - thr z_{t-1}) + W_in x_t      (reset="subtract")
        = beta v_{t-1} (1 - z_{t-1}) + W_in x_t        (reset="zero")
    z_t = H(v_t - A_t),  psi_t = surrogate'(v_t - A_t);   y_t = W_out z_t

Eligibility traces w.r.t. W_in (N x M each): e^v_t = dv_t/dW, e^b_t = db_t/dW,
e^z_t = psi_t (e^v_t - beta_a e^b_t):

    e^b_t = rho e^b_{t-1} + (1 - rho) e^z_{t-1}
    e^v_t = beta (e^v_{t-1} - thr e^z_{t-1}) + x_t               (subtract)
          = beta ((1 - z_{t-1}) e^v_{t-1} - v_{t-1} e^z_{t-1}) + x_t   (zero)

    grad W_in  += (W_out^T dE_t/dy_t) * e^z_t;   grad W_out += dE_t/dy_t z_t^T

Exact (equal to BPTT) because nothing couples neurons. Carry: e^v, e^b, e^z.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from spikead import snn

from ._models import SingleLayer


def alif_eprop_value_and_grad(net: SingleLayer, loss: Callable) -> Callable:
    """`fn(params, state0, xs, targets) -> (total_loss, grads)` for ONE sample."""
    cell = net.neuron
    if not isinstance(cell, snn.ALIF) or net.recurrent:
        raise TypeError(f"the hand-written e-prop needs a non-recurrent ALIF layer, got "
                        f"{type(cell).__name__} (recurrent={net.recurrent})")
    if cell.stop_reset_grad:
        raise TypeError("the hand-written e-prop assumes stop_reset_grad=False")
    surrogate = cell.surrogate.derivative
    beta, rho, beta_a, thr = cell.beta, cell.rho, cell.beta_a, cell.threshold
    zero_reset = cell.reset == "zero"

    def fn(params, state0, xs, targets):
        w_in, w_out = params["w_in"], params["w_out"]
        n, m = w_in.shape
        e0 = jnp.zeros((n, m), jnp.float32)

        def body(carry, inp):
            (v, b, z), (ev, eb, ez), g_in, g_out, total = carry
            x, target = inp
            b_new = rho * b + (1.0 - rho) * z
            if zero_reset:
                v_new = beta * v * (1.0 - z) + w_in @ x
                ev_new = beta[:, None] * ((1.0 - z)[:, None] * ev - v[:, None] * ez) + x[None, :]
            else:
                v_new = beta * (v - thr * z) + w_in @ x
                ev_new = beta[:, None] * (ev - thr[:, None] * ez) + x[None, :]
            eb_new = rho[:, None] * eb + (1.0 - rho)[:, None] * ez
            u = v_new - (thr + beta_a * b_new)
            z_new = (u > 0).astype(jnp.float32)
            psi = surrogate(u)
            ez_new = psi[:, None] * (ev_new - beta_a[:, None] * eb_new)
            y = w_out @ z_new
            value, dy = jax.value_and_grad(loss)(y, target)
            signal = w_out.T @ dy
            g_in = g_in + signal[:, None] * ez_new
            g_out = g_out + jnp.outer(dy, z_new)
            return ((v_new, b_new, z_new), (ev_new, eb_new, ez_new), g_in, g_out,
                    total + value), None

        carry0 = (tuple(state0), (e0, e0, e0), e0, jnp.zeros_like(w_out), jnp.zeros((), jnp.float32))
        (_, _, g_in, g_out, total), _ = jax.lax.scan(body, carry0, (xs, targets))
        return total, {"w_in": g_in, "w_out": g_out}

    return fn
