"""The two deep-learning tasks: a small tanh MLP and a two-block transformer encoder.

Both take their data and parameters as flat positional arrays (no PyTrees) so that the
jaxpr's inputs are exactly the differentiated tensors; the one-hot labels come last and
are not differentiated.

MLP (86 differentiated scalars -> 1):
    x (B=1, 8), w1 (8, 4), b1 (4,), w2 (4, 6), b2 (6,), gamma (6,), beta (6,);
    labels (B=1, 6) one-hot.
    h = tanh(x w1 + b1); z = tanh(h w2 + b2); logits = layer_norm(z) * gamma + beta;
    loss = mean over the batch of the softmax cross-entropy.

Encoder (154 differentiated scalars -> 2):
    x (L=2, D=3) token embeddings; for each of the 2 blocks
    wq, wk, wv (D, D), gamma, beta (D,), w1 (D, H=5), b1 (H,), w2 (H, D), b2 (D,);
    w_out (D, C=2); labels (L, C) one-hot. Each block is a parallel (GPT-J style)
    pre-norm block with one layer norm: z = LN(x); x <- x + Attn(z) + MLP(z), with
    single-head softmax attention and a SiLU MLP. Output: per-token cross-entropy (L,).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._registry import Task

__all__ = [
    "LAYER_NORM_EPS",
    "encoder_block",
    "encoder_loss",
    "encoder_task",
    "layer_norm",
    "mlp_loss",
    "mlp_task",
    "softmax_cross_entropy",
]

LAYER_NORM_EPS = 1e-5


def layer_norm(z: jax.Array, gamma: jax.Array, beta: jax.Array) -> jax.Array:
    """Normalise over the last axis, then scale and shift. Shapes: z (..., D), gamma, beta (D,)."""
    mean = jnp.mean(z, axis=-1, keepdims=True)
    centred = z - mean
    var = jnp.mean(centred * centred, axis=-1, keepdims=True)
    return centred / jnp.sqrt(var + LAYER_NORM_EPS) * gamma + beta


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """-sum(labels * log_softmax(logits)) over the last axis. Shapes: (..., C) -> (...)."""
    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1), axis=-1)


def mlp_loss(x, w1, b1, w2, b2, gamma, beta, labels):
    """Mean cross-entropy of the 2-layer tanh MLP with layer norm. Returns a scalar.

    Shapes: x (B, 8), w1 (8, 4), b1 (4,), w2 (4, 6), b2 (6,), gamma, beta (6,),
    labels (B, 6).
    """
    h = jnp.tanh(x @ w1 + b1)
    z = jnp.tanh(h @ w2 + b2)
    logits = layer_norm(z, gamma, beta)
    return jnp.mean(softmax_cross_entropy(logits, labels))


def encoder_block(x, wq, wk, wv, gamma, beta, w1, b1, w2, b2):
    """One parallel pre-norm encoder block. Shapes: x (L, D) -> (L, D)."""
    z = layer_norm(x, gamma, beta)
    q, k, v = z @ wq, z @ wk, z @ wv
    scores = (q @ k.T) / math.sqrt(x.shape[-1])
    attn = jax.nn.softmax(scores, axis=-1) @ v
    mlp = jax.nn.silu(z @ w1 + b1) @ w2 + b2
    return x + attn + mlp


_BLOCK_ARRAYS = 9
"""Arrays per encoder block: wq, wk, wv, gamma, beta, w1, b1, w2, b2."""


def encoder_loss(x, *rest):
    """Per-token cross-entropy of the 2-block encoder.

    Args: x (L, D), then 9 arrays per block (wq, wk, wv, gamma, beta, w1, b1, w2, b2)
    for 2 blocks, then w_out (D, C) and labels (L, C). Returns (L,).
    """
    n_block = _BLOCK_ARRAYS
    if len(rest) != 2 * n_block + 2:
        raise TypeError(
            f"encoder_loss expects x, 2 x {n_block} block arrays, w_out and labels "
            f"({2 * n_block + 3} arrays), got {len(rest) + 1}."
        )
    h = x
    for i in range(2):
        h = encoder_block(h, *rest[i * n_block : (i + 1) * n_block])
    w_out, labels = rest[-2], rest[-1]
    return softmax_cross_entropy(h @ w_out, labels)


def _normal(rng: np.random.Generator, shape, scale: float) -> jax.Array:
    return jnp.asarray((scale * rng.standard_normal(shape)).astype(np.float32))


def mlp_task() -> Task:
    """MLP: 86 differentiated scalars -> 1 scalar loss."""
    rng = np.random.default_rng(3)
    n_in, n_hidden, n_classes, batch = 8, 4, 6, 1
    labels = np.zeros((batch, n_classes), np.float32)
    labels[0, 2] = 1.0
    args = (
        _normal(rng, (batch, n_in), 1.0),
        _normal(rng, (n_in, n_hidden), 1 / math.sqrt(n_in)),
        _normal(rng, (n_hidden,), 0.1),
        _normal(rng, (n_hidden, n_classes), 1 / math.sqrt(n_hidden)),
        _normal(rng, (n_classes,), 0.1),
        jnp.asarray(1.0 + 0.1 * rng.standard_normal(n_classes).astype(np.float32)),
        _normal(rng, (n_classes,), 0.1),
        jnp.asarray(labels),
    )
    return Task(
        name="MLP",
        fn=mlp_loss,
        args=args,
        argnums=tuple(range(7)),
        description="2-layer tanh MLP + layer norm + softmax CE, batch 1: x (1,8), w1 (8,4), "
        "b1 (4,), w2 (4,6), b2 (6,), gamma (6,), beta (6,) [+ labels (1,6)] -> scalar",
        paper=PAPER["MLP"],
    )


def encoder_task() -> Task:
    """Encoder: 154 differentiated scalars -> 2 per-token losses."""
    rng = np.random.default_rng(4)
    seq, dim, hidden, n_classes = 2, 3, 5, 2
    args = [_normal(rng, (seq, dim), 1.0)]
    for _ in range(2):
        args += [
            _normal(rng, (dim, dim), 1 / math.sqrt(dim)),
            _normal(rng, (dim, dim), 1 / math.sqrt(dim)),
            _normal(rng, (dim, dim), 1 / math.sqrt(dim)),
            jnp.asarray(1.0 + 0.1 * rng.standard_normal(dim).astype(np.float32)),
            _normal(rng, (dim,), 0.1),
            _normal(rng, (dim, hidden), 1 / math.sqrt(dim)),
            _normal(rng, (hidden,), 0.1),
            _normal(rng, (hidden, dim), 1 / math.sqrt(hidden)),
            _normal(rng, (dim,), 0.1),
        ]
    args.append(_normal(rng, (dim, n_classes), 1 / math.sqrt(dim)))
    labels = np.zeros((seq, n_classes), np.float32)
    labels[0, 1] = labels[1, 0] = 1.0
    args.append(jnp.asarray(labels))
    return Task(
        name="Encoder",
        fn=encoder_loss,
        args=tuple(args),
        argnums=tuple(range(len(args) - 1)),
        description="2 parallel pre-norm transformer-encoder blocks (single-head attention, "
        "residual, layer norm, SiLU MLP) + softmax CE: x (2,3) and 2 x 9 block arrays and "
        "w_out (3,2) [+ labels (2,2)] -> per-token loss (2,)",
        paper=PAPER["Encoder"],
    )
