"""Black-Scholes European call price and its gradient (the "Greeks" delta, dual delta,
rho, vega and minus theta) computed by reverse-mode AD inside the task function.

C(S, K, r, sigma, T) = S N(d1) - K exp(-r T) N(d2),
d1 = (log(S / K) + (r + sigma^2 / 2) T) / (sigma sqrt(T)),  d2 = d1 - sigma sqrt(T),
with the standard normal CDF N(x) = (1 + erf(x / sqrt 2)) / 2.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf

from ._paper import PAPER
from ._registry import Task

__all__ = [
    "black_scholes_jacobian",
    "black_scholes_task",
    "call_price",
    "call_price_gradient",
    "normal_cdf",
]


def normal_cdf(x: jax.Array) -> jax.Array:
    """Standard normal CDF via erf."""
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def call_price(spot, strike, rate, vol, maturity):
    """Black-Scholes price of a European call (all arguments scalars)."""
    vol_sqrt_t = vol * jnp.sqrt(maturity)
    d1 = (jnp.log(spot / strike) + (rate + 0.5 * vol * vol) * maturity) / vol_sqrt_t
    d2 = d1 - vol_sqrt_t
    return spot * normal_cdf(d1) - strike * jnp.exp(-rate * maturity) * normal_cdf(d2)


call_price_gradient = jax.grad(call_price, argnums=(0, 1, 2, 3, 4))
"""(dC/dS, dC/dK, dC/dr, dC/dsigma, dC/dT) of one option, by reverse mode."""


def black_scholes_jacobian(spot, strike, rate, vol, maturity):
    """Gradient of the call price, vmapped over a batch.

    Shapes: each argument (B,) -> tuple of five (B,) arrays (d/dS, d/dK, d/dr,
    d/dsigma, d/dT).
    """
    return jax.vmap(call_price_gradient)(spot, strike, rate, vol, maturity)


def black_scholes_task() -> Task:
    """BlackScholes_Jacobian: 5 inputs of shape (B=1,) -> 5 outputs of shape (B=1,)."""
    values = (100.0, 95.0, 0.05, 0.2, 1.0)
    return Task(
        name="BlackScholes_Jacobian",
        fn=black_scholes_jacobian,
        args=tuple(jnp.asarray(np.array([x], dtype=np.float32)) for x in values),
        argnums=tuple(range(5)),
        description="jax.grad of the Black-Scholes call price w.r.t. (S, K, r, sigma, T), "
        "vmapped: five (B=1,) arrays -> five (B=1,) arrays",
        paper=PAPER["BlackScholes_Jacobian"],
    )
