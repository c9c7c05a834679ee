"""BlackScholes_Jacobian as the AlphaGrad paper defines it (the authors' published source).

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/economics.py``
(``Phi``, ``Black76``, ``BlackScholes``, ``BlackScholes_Jacobian``): the call price via the
Black-76 formula on the forward F = exp(r T) S, and its gradient with respect to
(S, K, r, sigma, T) by reverse mode, vmapped with batch 1 as the authors' benchmark does
(``alphagrad/experiments.py``, ``make_BlackScholes_Jacobian``: five ``ones((1,))``).

The source takes the inner gradient with Graphax's own ``jacve(..., order="rev")``, so the
paper's graph is the program Graphax's executor emitted; that program cannot be rebuilt
without Graphax. Here the inner reverse mode is ``jax.grad`` (JAX's reverse-mode program
of the same price; ``jax.jacrev`` would add its basis-vector iota/eq equations, and this
repository's ``ad.jacve`` would tie the task's graph to the engine under test), so the
counts differ from the paper's (measured in tests/tasks/test_paper_tasks.py).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

__all__ = ["black76", "black_scholes", "black_scholes_jacobian", "normal_cdf"]


def normal_cdf(z):
    """Standard normal CDF (1 + erf(z / sqrt 2)) / 2, in the source's order."""
    return (1.0 + jss.erf(z / jnp.sqrt(2.0))) / 2


def black76(forward, strike, rate, sigma, maturity):
    """Black-76 call price on a forward: exp(-r T) (F N(d1) - K N(d2)); scalars."""
    d1 = (jnp.log(forward / strike) + (sigma**2) / 2.0 * maturity) / (sigma * jnp.sqrt(maturity))
    d2 = d1 - sigma * jnp.sqrt(maturity)
    return jnp.exp(-rate * maturity) * (forward * normal_cdf(d1) - strike * normal_cdf(d2))


def black_scholes(spot, strike, rate, sigma, maturity):
    """Black-Scholes call price via Black-76 on F = exp(r T) S; scalars -> scalar."""
    forward = jnp.exp(rate * maturity) * spot
    return black76(forward, strike, rate, sigma, maturity)


_price_gradient = jax.grad(black_scholes, argnums=(0, 1, 2, 3, 4))


def black_scholes_jacobian(spot, strike, rate, sigma, maturity):
    """Gradient of the price by reverse mode, vmapped: five (B,) arrays -> five (B,) arrays."""
    return jax.vmap(_price_gradient)(spot, strike, rate, sigma, maturity)
