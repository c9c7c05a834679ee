"""Black-Scholes price and Greeks against closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from spikead import tasks
from spikead.tasks import black_scholes


def _phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_price_matches_textbook_value():
    price = black_scholes.call_price(*(jnp.float32(v) for v in (100.0, 100.0, 0.05, 0.2, 1.0)))
    np.testing.assert_allclose(price, 10.4506, atol=2e-3)


def test_greeks_match_closed_form():
    s, k, r, sig, t = 100.0, 95.0, 0.05, 0.2, 1.0
    task = tasks.load("BlackScholes_Jacobian_v0")
    grads = [float(g[0]) for g in jax.jit(task.fn)(*task.args)]
    d1 = (math.log(s / k) + (r + 0.5 * sig * sig) * t) / (sig * math.sqrt(t))
    d2 = d1 - sig * math.sqrt(t)
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    expected = [
        _phi(d1),  # delta
        -math.exp(-r * t) * _phi(d2),  # dual delta
        k * t * math.exp(-r * t) * _phi(d2),  # rho
        s * pdf * math.sqrt(t),  # vega
        s * pdf * sig / (2 * math.sqrt(t)) + r * k * math.exp(-r * t) * _phi(d2),  # -theta
    ]
    np.testing.assert_allclose(grads, expected, rtol=2e-4)


def test_normal_cdf():
    np.testing.assert_allclose(black_scholes.normal_cdf(jnp.float32(1.0)), _phi(1.0), rtol=1e-6)
