"""The classifier of Paper A: spiking hidden layer(s) + a linear readout at every step.

    I^l_t = s (W_l h^{l-1}_t (+ V_l z^l_{t-1} when recurrent)),   h^0_t = x_t
    (state^l_t, z^l_t) = neuron_l(state^l_{t-1}, I^l_t)
    y_t = R z^L_t + b                                          (logits at every step)

The model is one sample and one step (`step`); time is a `lax.scan`, batch a `vmap`
(see `spikead.train._grads`). Its state is a FLAT tuple: the neuron states of all layers
concatenated (each neuron state is a tuple of arrays, spike last), so online-gradient
code sees plain state arrays.

`s` (`input_scale`) is a fixed, untrained multiplier of every layer's input current. It
lets a neuron whose membrane sees only a fraction of its input (adLIF, Paper A's ALIF:
`(1 - alpha) (I - w)`) get the same membrane drive as a LIF neuron while its weights keep
Paper A's init scale. Putting the factor in the forward pass instead of in the init gain
matters for training: Adam's steps are about `lr` in parameter units whatever the
gradient's scale, so weights initialised `s` times larger change `s` times slower
relative to their size (Paper A's ALIF with a 20x init gain learned about 20x slower than LIF).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from spikead import snn

from ._config import AlgorithmConfig, ModelConfig

#: Model fields holding trainable weights (everything else is frozen unless
#: `ModelConfig.train_neuron_params`).
WEIGHT_FIELDS = ("weights", "recurrent", "readout", "bias")


class SNNClassifier(eqx.Module):
    """`depth` spiking layers of N neurons and a readout to C classes.

    Attributes:
        weights: per layer, input weights (N, M_l) (M_1 = M inputs, later M_l = N).
        recurrent: per layer, recurrent weights (N, N); empty tuple without recurrence.
        neurons: per layer, a `spikead.snn` neuron of shape (N,).
        readout: (C, N).
        bias: (C,) or None.
        input_scale: fixed multiplier of every layer's input current (not trained; see
            the module docstring).
    """

    weights: tuple[Array, ...]
    recurrent: tuple[Array, ...]
    neurons: tuple[snn.AbstractNeuron, ...]
    readout: Array
    bias: Array | None
    input_scale: float = eqx.field(static=True, default=1.0)

    @property
    def n_inputs(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.readout.shape[0])

    def init_state(self) -> tuple[Array, ...]:
        """Zero state of every layer, flattened: a tuple of (N,) arrays."""
        return tuple(a for nrn in self.neurons for a in nrn.init_state(nrn.shape))

    def step(self, state: tuple[Array, ...], x: Array) -> tuple[tuple[Array, ...], Array]:
        """One time step of one sample: x (M,) -> (new flat state, logits (C,))."""
        new_state: list[Array] = []
        h, start = x, 0
        for layer, (w, nrn) in enumerate(zip(self.weights, self.neurons)):
            s = tuple(state[start : start + nrn.n_state])
            start += nrn.n_state
            current = w @ h
            if self.recurrent:
                current = current + self.recurrent[layer] @ s[-1]
            if self.input_scale != 1.0:
                current = self.input_scale * current
            s, h = nrn(s, current)
            new_state.extend(s)
        y = self.readout @ h
        if self.bias is not None:
            y = y + self.bias
        return tuple(new_state), y

    def run(self, xs: Array) -> Array:
        """Logits of every step for one sample: xs (T, M) -> ys (T, C)."""
        _, ys = jax.lax.scan(lambda s, x: self.step(s, x), self.init_state(), xs)
        return ys


def make_neuron(cfg: ModelConfig) -> snn.AbstractNeuron:
    """The hidden neuron of `cfg` (shape (N,), surrogate and parameters from the config)."""
    surrogate = snn.surrogate_from_name(cfg.surrogate, slope=float(cfg.surrogate_slope))
    return snn.neuron_from_name(
        cfg.neuron, shape=(cfg.width,), surrogate=surrogate, **cfg.neuron_params
    )


def build_model(
    cfg: ModelConfig,
    n_inputs: int,
    n_classes: int,
    *,
    key: PRNGKeyArray,
    algorithm: AlgorithmConfig | None = None,
) -> SNNClassifier:
    """Initialise the classifier (Paper A): input and recurrent weights orthogonal with gain
    `input_gain` / `recurrent_gain`, readout Xavier-normal, bias zero; `input_scale` fixed.

    Args:
        cfg: the model configuration.
        n_inputs: M, input channels.
        n_classes: C.
        key: PRNG key of the initialisation.
        algorithm: when given, the model is refused NOW if this algorithm cannot train it
            (`check_algorithm`: a `TrainConfigError` with the reason), not at the first
            training step.
    """
    keys = jax.random.split(key, 2 * cfg.depth + 1)
    n = cfg.width
    weights, recurrent = [], []
    for layer in range(cfg.depth):
        m = n_inputs if layer == 0 else n
        weights.append(
            jax.nn.initializers.orthogonal(scale=cfg.input_gain)(
                keys[2 * layer], (n, m), jnp.float32
            )
        )
        if cfg.recurrent:
            init = jax.nn.initializers.orthogonal(scale=cfg.recurrent_gain)
            recurrent.append(init(keys[2 * layer + 1], (n, n), jnp.float32))
    readout = jax.nn.initializers.glorot_normal()(keys[-1], (n_classes, n), jnp.float32)
    bias = jnp.zeros((n_classes,), jnp.float32) if cfg.readout_bias else None
    neurons = tuple(make_neuron(cfg) for _ in range(cfg.depth))
    model = SNNClassifier(
        tuple(weights), tuple(recurrent), neurons, readout, bias, float(cfg.input_scale)
    )
    if algorithm is not None:
        from ._grads import check_algorithm

        check_algorithm(
            model,
            algorithm,
            label=cfg.name or cfg.neuron,
            train_neuron_params=cfg.train_neuron_params,
        )
    return model


def trainable_spec(model: SNNClassifier, train_neuron_params: bool = False):
    """Filter spec (bool pytree like `model`): True for trained leaves.

    Weights, recurrent weights, readout and bias are trained; neuron parameters (decays,
    thresholds, ...) only with `train_neuron_params`.
    """

    def keep(path, leaf) -> bool:
        if not eqx.is_inexact_array(leaf):
            return False
        return train_neuron_params or getattr(path[0], "name", None) in WEIGHT_FIELDS

    return jax.tree_util.tree_map_with_path(keep, model)


def split_model(model: SNNClassifier, train_neuron_params: bool = False):
    """`(params, frozen)` by `trainable_spec`; `eqx.combine(params, frozen)` gives the model back."""
    return eqx.partition(model, trainable_spec(model, train_neuron_params))
