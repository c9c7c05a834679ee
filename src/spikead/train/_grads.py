"""Batch loss and gradients of the classifier by BPTT or by an online method (e-prop).

Both algorithms train the SAME model (`SNNClassifier.step`) with the SAME loss (per-step
softmax cross-entropy summed over time, averaged over the real samples of the batch):

- "bptt": the standard batched BPTT: ONE `jax.value_and_grad` of the batch loss through
  the `vmap`-ed forward pass (a `vmap` of `lax.scan` is one scan of the batched step), not
  a `vmap` of per-sample gradients;
- "eprop": `spikead.online.value_and_grad(step, step_cross_entropy, method)`, method
  "sparse" by default (Paper A's e-prop: exact without recurrent weights). Choosing
  "eprop" is the opt-in to e-prop's approximation: with recurrent weights the sparse
  method is called with ``approximation="eprop"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._config import AlgorithmConfig
from ._errors import TrainConfigError
from ._loss import make_targets, predict, sequence_loss, step_cross_entropy


class BatchResult(NamedTuple):
    """What one training step returns besides the update.

    Attributes:
        loss: mean per-sample loss over the real samples (the value that was differentiated).
        loss_sum: sum of per-sample losses over the real samples.
        correct: number of correctly classified real samples.
        count: number of real samples (sum of the weights).
    """

    loss: Array
    loss_sum: Array
    correct: Array
    count: Array


def forward_metrics(params, frozen, x: Array, labels: Array, weights: Array) -> BatchResult:
    """Loss and accuracy of a batch without gradients: x (B, T, M), labels (B,), weights (B,)."""
    model = eqx.combine(params, frozen)
    ys = jax.vmap(model.run)(x)
    return _metrics(ys, labels, weights)


def _metrics(ys: Array, labels: Array, weights: Array) -> BatchResult:
    per_sample = jax.vmap(sequence_loss)(ys, labels)
    loss_sum = jnp.sum(weights * per_sample)
    count = jnp.sum(weights)
    correct = jnp.sum(weights * (predict(ys) == labels))
    return BatchResult(loss_sum / jnp.maximum(count, 1.0), loss_sum, correct, count)


def make_value_and_grad(algorithm: AlgorithmConfig) -> Callable:
    """`fn(params, frozen, x, labels, weights) -> (BatchResult, grads)`.

    Args of `fn`: params / frozen from `split_model`; x (B, T, M) inputs; labels (B,) int;
    weights (B,) 1.0 for real samples and 0.0 for padding. grads (like params) are the
    gradients of `BatchResult.loss`, the mean over real samples.
    """
    if algorithm.name == "bptt":
        return _bptt_value_and_grad
    return _online_value_and_grad(algorithm.online_method)


def _bptt_value_and_grad(params, frozen, x, labels, weights):
    def batch_loss(p):
        ys = jax.vmap(eqx.combine(p, frozen).run)(x)
        result = _metrics(ys, labels, weights)
        return result.loss, result

    (_, result), grads = jax.value_and_grad(batch_loss, has_aux=True)(params)
    return result, grads


def _online_value_and_grad(method: str) -> Callable:
    """e-prop's `fn(params, frozen, x, labels, weights)`: the loss AND the accuracy come out of
    the online method's own forward pass (no second pass over the batch).

    The accuracy needs ``argmax_c sum_t y_t[c]`` per sample, which a per-step loss cannot
    see; so the online method differentiates an augmented step (`_counting_step`): its state
    also carries ``ysum_t = ysum_[t-1] + stop_gradient(y_t)`` (no parameter tangent: no
    trace), its input also carries ``last_t`` (``weight * one_hot(label)`` at the last step,
    zeros before), and its output also carries ``counter * hit_t`` with ``hit_t = last_t .
    one_hot(argmax ysum_t)`` and a scalar ``counter`` parameter equal to 0. The loss adds
    that output, so its value is unchanged and ``d loss / d counter = sum_b hit_T[b]``, the
    number of correct real samples, is read from the gradient.
    """
    from spikead import online

    def loss(y_t, target_t):
        logits, counted = y_t
        return step_cross_entropy(logits, target_t) + counted

    def fn(params, frozen, x, labels, weights):
        model = eqx.combine(params, frozen)
        batch, n_steps = x.shape[:2]
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch, *a.shape)), model.init_state())
        targets = make_targets(labels, weights, model.n_classes, n_steps)
        # ysum0 and last_t from the targets, so they share the batch's sharding (a mismatch
        # would put `reshard` ops on state tangents, which the plan cannot read)
        state0 = (*state0, jnp.zeros_like(targets[:, 0]))
        last = jnp.where(jnp.arange(n_steps)[None, :, None] == n_steps - 1, targets, 0.0)
        approximation = "eprop" if method == "sparse" else None  # the algorithm is e-prop
        p = (params, jnp.zeros((), jnp.float32))
        step = _counting_step(frozen, model.n_classes)
        # not with several recurrent layers: there layer l's new spike reads its previous
        # membrane also through V_l @ H(v_{t-1}) (dense over neurons, not paired), and
        # (likely why) `_eprop` places no stop on layer l+1's sum W @ z^l_t (UnsupportedStepError)
        if method == "sparse" and not (model.recurrent and len(model.weights) > 1):
            step, state0 = _without_derived_state(step, model, p, state0, (x, last))
        grad_fn = online.value_and_grad(
            step, loss, method=method, batched=True, approximation=approximation
        )
        total, (grads, correct) = grad_fn(p, state0, (x, last), targets)
        count = jnp.sum(weights)
        result = BatchResult(total / jnp.maximum(count, 1.0), total, correct, count)
        grads = jax.tree.map(lambda g: g / jnp.maximum(count, 1.0), grads)
        return result, grads

    return fn


def _without_derived_state(step, model, params, state0, inputs):
    """``(step, state0)`` without the state leaves the step recomputes from its other new
    leaves (the spike ``z_t = H(v_t - thr)``; `spikead.online.derived_state`): the sparse
    method then carries no eligibility trace for them (LIF: one N x M trace per sample
    instead of two). The gradient is unchanged; the reduction is used only when the
    model's initial state (concrete values) satisfies the same relation, else
    ``(step, state0)`` is returned as is. That check needs the frozen leaves (the
    threshold in ``z = H(v - thr)``) as concrete values: closed over, as `fit`'s training
    step does (`make_train_step`); passed through `jit` as arguments, the step is used as is.

    Measured (``scripts/eprop_vs_bptt.py``: quick profile shapes B 64, T 50, M 140, N 64,
    LIF reset to zero; 2-core CPU, interleaved): gradient step 3.3-3.5x -> 1.7-2.0x the
    standard BPTT, `fit` epoch 3.0-3.1x -> 1.8x; compiled temporaries 12.1 -> 7.6 MB.
    """
    from spikead import online

    with jax.ensure_compile_time_eval():
        init = (*model.init_state(), jnp.zeros((model.n_classes,), jnp.float32))
    first = jax.tree.map(_first_step, inputs)
    step, state0, _ = online.reduce_step(step, params, state0, first, init=init)
    return step, state0


def _first_step(a: Array) -> Array:
    """B x T x ... -> B x ... (step 0)."""
    return a[:, 0]


def _counting_step(frozen, n_classes: int) -> Callable:
    """The model's step augmented to count correct predictions (see `_online_value_and_grad`):
    params ``(model params, counter)``, state ``(*model state, ysum)``, input ``(x_t, last_t)``,
    output ``(y_t, counter * hit_t)``."""

    def step(p, state, inp):
        params, counter = p
        x_t, last_t = inp
        new_state, y = eqx.combine(params, frozen).step(tuple(state[:-1]), x_t)
        ysum = state[-1] + jax.lax.stop_gradient(y)
        hit = jnp.sum(last_t * jax.nn.one_hot(jnp.argmax(ysum), n_classes, dtype=ysum.dtype))
        return (*new_state, ysum), (y, counter * jax.lax.stop_gradient(hit))

    return step


def check_algorithm(
    model, algorithm: AlgorithmConfig, *, label: str = "", train_neuron_params: bool = False
) -> None:
    """Fail now, not at the first training step, when `algorithm` cannot train `model`.

    Traces one gradient step (`jax.eval_shape`: no arithmetic) on a batch of 1 sample and
    2 time steps. BPTT differentiates every model. e-prop (online method "sparse") trains
    every model of `spikead.train` (several layers: per-layer e-prop, see
    `spikead.online._eprop`, "Depth"), but refuses a step it cannot express (a state
    primitive without a structure rule, a state array not indexed by neurons); that
    `UnsupportedStepError` becomes a `TrainConfigError` naming the model, the algorithm,
    the reason and the fix. `build_model(..., algorithm=...)` calls this.

    Args:
        model: an `SNNClassifier` (any size: only its structure matters).
        algorithm: the gradient algorithm.
        label: the model's name in the message (e.g. the config choice).
        train_neuron_params: the neuron parameters are trained too (as in `fit`).
    """
    if algorithm.name == "bptt":
        return
    from spikead import online

    from ._model import split_model

    params, frozen = split_model(model, train_neuron_params)
    x = jnp.zeros((1, 2, model.n_inputs), jnp.float32)
    labels, weights = jnp.zeros((1,), jnp.int32), jnp.ones((1,), jnp.float32)
    try:
        jax.eval_shape(make_value_and_grad(algorithm), params, frozen, x, labels, weights)
    except online.UnsupportedStepError as err:
        layers = f"{len(model.weights)} hidden layer(s)" + (
            ", recurrent" if model.recurrent else ""
        )
        raise TrainConfigError(
            f"algorithm={algorithm.name} (online_method={algorithm.online_method}) cannot train "
            f"model {label or '?'} ({layers}, neuron {type(model.neurons[0]).__name__}): {err} "
            "Use algorithm=bptt (exact for every model)."
        ) from err
