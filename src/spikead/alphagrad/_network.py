"""Policy-value network: a graph transformer with one token per vertex.

Observation of an :class:`~spikead.alphagrad._env.EnvState` (:func:`observe`):
per-vertex features ``[V, F]`` (flags, log-degrees in scalar units, Markowitz score,
log-sizes of the shape) and the adjacency ``[V, V, 2]`` (edge present, edge valued).
The adjacency enters every attention layer as a learned per-head bias for "i feeds j",
"j feeds i" and their valued variants, so the transformer sees the graph. The policy
head gives one logit per vertex (illegal ones masked by the caller); the value head
pools the tokens into one scalar (in the transformed value space, see
:func:`value_transform`).
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from ._env import EnvState, degrees, legal_actions

NUM_FEATURES = 10


class Observation(NamedTuple):
    nodes: Array  # [V, F] float32
    adj: Array  # [V, V, 2] bool: exists, valued (src, dst)
    legal: Array  # [V] bool


def observe(state: EnvState) -> Observation:
    """Network input of one state (``vmap`` for batches)."""
    indeg, outdeg = degrees(state)
    legal = legal_actions(state)
    e = state.exists
    npred = jnp.sum(e, 0)
    nsucc = jnp.sum(e, 1)
    size = jnp.prod(state.sizes, axis=-1) if state.max_rank else jnp.ones_like(state.rank)
    v = state.num_vertices
    feats = jnp.stack(
        [
            state.eliminable.astype(jnp.float32),
            state.eliminated.astype(jnp.float32),
            legal.astype(jnp.float32),
            jnp.log1p(indeg.astype(jnp.float32)),
            jnp.log1p(outdeg.astype(jnp.float32)),
            jnp.log1p((indeg * outdeg).astype(jnp.float32)),
            jnp.log1p(npred.astype(jnp.float32)),
            jnp.log1p(nsucc.astype(jnp.float32)),
            jnp.log1p(size.astype(jnp.float32)),
            jnp.arange(v, dtype=jnp.float32) / v,
        ],
        axis=-1,
    )
    adj = jnp.stack([e, e & state.valued], axis=-1)
    return Observation(feats, adj, legal)


def value_transform(x: Array, eps: float = 1e-3) -> Array:
    """R2D2's ``h(x) = sign(x)(sqrt(|x| + 1) - 1) + eps x`` (squashes large returns)."""
    return jnp.sign(x) * (jnp.sqrt(jnp.abs(x) + 1.0) - 1.0) + eps * x


def value_inverse(y: Array, eps: float = 1e-3) -> Array:
    """Inverse of :func:`value_transform`."""
    inner = (jnp.sqrt(1.0 + 4.0 * eps * (jnp.abs(y) + 1.0 + eps)) - 1.0) / (2.0 * eps)
    return jnp.sign(y) * (inner**2 - 1.0)


class _Block(eqx.Module):
    norm1: eqx.nn.LayerNorm
    norm2: eqx.nn.LayerNorm
    qkv: eqx.nn.Linear
    proj: eqx.nn.Linear
    mlp1: eqx.nn.Linear
    mlp2: eqx.nn.Linear
    edge_bias: Array  # [4, H]
    heads: int = eqx.field(static=True)

    def __init__(self, dim: int, heads: int, *, key):
        k = jax.random.split(key, 5)
        self.norm1 = eqx.nn.LayerNorm(dim)
        self.norm2 = eqx.nn.LayerNorm(dim)
        self.qkv = eqx.nn.Linear(dim, 3 * dim, key=k[0])
        self.proj = eqx.nn.Linear(dim, dim, key=k[1])
        self.mlp1 = eqx.nn.Linear(dim, 4 * dim, key=k[2])
        self.mlp2 = eqx.nn.Linear(4 * dim, dim, key=k[3])
        self.edge_bias = 0.1 * jax.random.normal(k[4], (4, heads))
        self.heads = heads

    def __call__(self, x: Array, adj: Array) -> Array:
        """``x: [V, D]``, ``adj: [V, V, 2]`` -> ``[V, D]``."""
        v, d = x.shape
        h = jax.vmap(self.norm1)(x)
        q, k, val = jnp.split(jax.vmap(self.qkv)(h), 3, axis=-1)
        hd = d // self.heads
        q = q.reshape(v, self.heads, hd)
        k = k.reshape(v, self.heads, hd)
        val = val.reshape(v, self.heads, hd)
        logits = jnp.einsum("ihd,jhd->hij", q, k) / jnp.sqrt(hd)
        a = adj.astype(jnp.float32)
        edges = jnp.concatenate([a, jnp.swapaxes(a, 0, 1)], axis=-1)  # [V, V, 4]
        logits = logits + jnp.einsum("ijc,ch->hij", edges, self.edge_bias)
        att = jax.nn.softmax(logits, axis=-1)
        out = jnp.einsum("hij,jhd->ihd", att, val).reshape(v, d)
        x = x + jax.vmap(self.proj)(out)
        h = jax.vmap(self.norm2)(x)
        return x + jax.vmap(lambda t: self.mlp2(jax.nn.gelu(self.mlp1(t))))(h)


class PolicyValueNet(eqx.Module):
    """Graph transformer over vertex tokens -> (policy logits ``[V]``, value ``[]``).

    Args:
        dim: token width (paper: 64); heads: attention heads (paper: 6; ``dim`` is
        rounded up to a multiple); layers: blocks (paper: 6); key: PRNG key.
    """

    embed: eqx.nn.Linear
    blocks: tuple
    norm: eqx.nn.LayerNorm
    policy: eqx.nn.Linear
    value1: eqx.nn.Linear
    value2: eqx.nn.Linear

    def __init__(self, *, dim: int = 64, heads: int = 6, layers: int = 6, key):
        dim = heads * -(-dim // heads)
        k = jax.random.split(key, layers + 4)
        self.embed = eqx.nn.Linear(NUM_FEATURES, dim, key=k[0])
        self.blocks = tuple(_Block(dim, heads, key=k[1 + i]) for i in range(layers))
        self.norm = eqx.nn.LayerNorm(dim)
        self.policy = eqx.nn.Linear(dim, 1, key=k[layers + 1])
        self.value1 = eqx.nn.Linear(dim, dim, key=k[layers + 2])
        self.value2 = eqx.nn.Linear(dim, 1, key=k[layers + 3])

    def __call__(self, obs: Observation) -> tuple[Array, Array]:
        """One observation (unbatched) -> (logits ``[V]`` with illegal = -1e9, value ``[]``)."""
        x = jax.vmap(self.embed)(obs.nodes)
        for block in self.blocks:
            x = block(x, obs.adj)
        x = jax.vmap(self.norm)(x)
        logits = jax.vmap(self.policy)(x)[:, 0]
        logits = jnp.where(obs.legal, logits, -1e9)
        w = obs.nodes[:, 0:1]  # pool over eliminable vertices
        pooled = jnp.sum(x * w, 0) / jnp.maximum(jnp.sum(w), 1.0)
        value = self.value2(jax.nn.gelu(self.value1(pooled)))[0]
        return logits, value


def build_network(*, dim: int = 64, heads: int = 6, layers: int = 6, key) -> PolicyValueNet:
    """A :class:`PolicyValueNet` initialised with NumPy from ``key``'s bits.

    Same initialisation family as equinox's (weights uniform in +-1/sqrt(fan_in), zero
    biases, unit layer-norm scales, edge biases N(0, 0.1^2)) but without compiling any
    random op: XLA compiles of ``jax.random`` initialisers take tens of seconds on a busy
    CPU, more than a whole quick-profile training run.
    """
    shapes = eqx.filter_eval_shape(
        lambda k: PolicyValueNet(dim=dim, heads=heads, layers=layers, key=k), key
    )
    seed = np.asarray(jax.random.key_data(key)).astype(np.uint64).tolist()
    rng = np.random.default_rng(seed)

    def init(path, leaf):
        if not isinstance(leaf, jax.ShapeDtypeStruct):
            return leaf
        name = jax.tree_util.keystr(path)
        if "edge_bias" in name:
            value = 0.1 * rng.standard_normal(leaf.shape)
        elif "norm" in name:
            value = np.ones(leaf.shape) if name.endswith(".weight") else np.zeros(leaf.shape)
        elif len(leaf.shape) == 2:
            bound = 1.0 / np.sqrt(leaf.shape[1])
            value = rng.uniform(-bound, bound, leaf.shape)
        else:
            value = np.zeros(leaf.shape)
        return jnp.asarray(value, leaf.dtype)

    return jax.tree_util.tree_map_with_path(init, shapes)
