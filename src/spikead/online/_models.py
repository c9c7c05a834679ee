"""The single-hidden-layer spiking network of Paper A's experiments, as a step function.

    I_t = W_in x_t (+ W_rec z_{t-1} when recurrent)     W_in: N x M, W_rec: N x N
    (state_t, z_t) = neuron(state_{t-1}, I_t)            any `spikead.snn` neuron
    y_t = W_out z_t                                      W_out: K x N (linear readout)

Params (trainable, differentiated): ``{"w_in", "w_out"[, "w_rec"]}``; the neuron's own
per-neuron constants (decay, threshold, ...) are closed over, not trained.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from spikead import snn


@dataclasses.dataclass(frozen=True)
class SingleLayer:
    """A hidden layer of ``neuron`` with a linear readout (see module docstring)."""

    neuron: snn.AbstractNeuron
    recurrent: bool = False

    def step(self, params: dict, state: tuple, x: jax.Array):
        """One time step of ONE sample: x (M,) -> (state, y (K,))."""
        current = params["w_in"] @ x
        if self.recurrent:
            current = current + params["w_rec"] @ state[-1]
        state, z = self.neuron(state, current)
        return state, params["w_out"] @ z

    def init_state(self) -> tuple:
        return self.neuron.init_state(self.neuron.shape)


def make_single_layer(
    neuron: str,
    n_in: int,
    n_hidden: int,
    n_out: int,
    *,
    key: jax.Array,
    recurrent: bool = False,
    gain: float = 3.0,
    **neuron_kwargs,
) -> tuple[SingleLayer, dict]:
    """Network and initial params (Gaussian, std ``gain / sqrt(fan_in)`` for W_in).

    ``gain`` is chosen so that random binary inputs make a fraction of neurons spike.
    """
    cell = snn.neuron_from_name(neuron, shape=(n_hidden,), **neuron_kwargs)
    k_in, k_rec, k_out = jax.random.split(key, 3)
    params = {
        "w_in": gain / jnp.sqrt(n_in) * jax.random.normal(k_in, (n_hidden, n_in)),
        "w_out": jax.random.normal(k_out, (n_out, n_hidden)) / jnp.sqrt(n_hidden),
    }
    if recurrent:
        params["w_rec"] = jax.random.normal(k_rec, (n_hidden, n_hidden)) / jnp.sqrt(n_hidden)
    return SingleLayer(cell, recurrent), params


def random_task(
    key: jax.Array, n_in: int, n_out: int, T: int, *, batch: int | None = None, rate: float = 0.2
) -> tuple[jax.Array, jax.Array]:
    """Random binary input spikes (T x M, prob ``rate``) and Gaussian targets (T x K)."""
    k_x, k_y = jax.random.split(key)
    lead = (T,) if batch is None else (batch, T)
    xs = jax.random.bernoulli(k_x, rate, (*lead, n_in)).astype(jnp.float32)
    targets = jax.random.normal(k_y, (*lead, n_out))
    return xs, targets


def mse(y: jax.Array, target: jax.Array) -> jax.Array:
    """Half squared error of one step."""
    return 0.5 * jnp.sum((y - target) ** 2)
