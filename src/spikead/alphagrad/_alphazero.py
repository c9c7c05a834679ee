"""AlphaZero on the true elimination environment (mctx Gumbel MuZero search).

The environment is the model: ``recurrent_fn`` steps :func:`~spikead.alphagrad._env.step`.
Rewards are minus the multiplications divided by a reference cost (the best baseline),
so returns are about -1 whatever the task; the value head predicts the R2D2-transformed
return-to-go. Each iteration plays ``games`` episodes in parallel (every episode has
exactly ``n`` moves, one per eliminable vertex), stores (observation, search policy,
return) in a replay buffer of the last ``buffer`` iterations, and takes ``updates``
Adam steps (global-norm clip) on minibatches from it; the learning rate decays on a
cosine over exactly the steps taken (:func:`optimizer_steps`). Episode costs are exact
(:mod:`~spikead.alphagrad._count`); rewards are their ``float32`` roundings.
"""

from __future__ import annotations

import dataclasses
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import mctx
import numpy as np
import optax

from . import _count
from ._env import EnvState, action_mask, is_done, step
from ._network import (
    Observation,
    PolicyValueNet,
    build_network,
    observe,
    value_inverse,
    value_transform,
)
from ._search import SearchResult, _eliminable, _Tracker


@dataclasses.dataclass(frozen=True)
class AgentConfig:
    """Sizes of the RL agents (AlphaZero and PPO share the network and optimizer knobs).

    Attributes:
        dim, heads, layers: transformer (paper: 64, 6, 6).
        games: episodes played in parallel per iteration (paper: 32).
        iterations: training iterations (episodes = iterations x games).
        simulations: MCTS simulations per move (AlphaZero; paper: 50).
        considered: actions considered at the root by Gumbel search (paper: 5).
        lr: peak Adam learning rate (paper: 1e-3), cosine-decayed over training.
        clip: global-norm gradient clip (paper: 0.5).
        updates: gradient steps per iteration; batch: minibatch size.
        buffer: iterations kept in the replay buffer (AlphaZero).
        ppo_epochs, ppo_clip, gae_lambda, entropy: PPO knobs.
    """

    dim: int = 64
    heads: int = 6
    layers: int = 6
    games: int = 32
    iterations: int = 100
    simulations: int = 50
    considered: int = 5
    lr: float = 1e-3
    clip: float = 0.5
    updates: int = 8
    batch: int = 128
    buffer: int = 4
    ppo_epochs: int = 4
    ppo_clip: float = 0.2
    gae_lambda: float = 0.95
    entropy: float = 0.01


def make_network(cfg: AgentConfig, key) -> PolicyValueNet:
    return build_network(dim=cfg.dim, heads=cfg.heads, layers=cfg.layers, key=key)


AGENT_KINDS = ("alphazero", "ppo")


def optimizer_steps(cfg: AgentConfig, agent: str) -> int:
    """Adam steps one training run takes: ``iterations x updates`` for AlphaZero,
    ``iterations x ppo_epochs x updates`` for PPO (the cosine schedule's length)."""
    if agent == "alphazero":
        return max(1, cfg.iterations * cfg.updates)
    if agent == "ppo":
        return max(1, cfg.iterations * cfg.ppo_epochs * cfg.updates)
    raise ValueError(f"unknown agent {agent!r}; choose one of {AGENT_KINDS}")


def make_optimizer(cfg: AgentConfig, steps: int) -> optax.GradientTransformation:
    """Global-norm clip and Adam with a cosine decay from ``cfg.lr`` to ``cfg.lr / 100``
    over ``steps`` (pass :func:`optimizer_steps`)."""
    schedule = optax.cosine_decay_schedule(cfg.lr, max(1, steps), alpha=0.01)
    return optax.chain(optax.clip_by_global_norm(cfg.clip), optax.adam(schedule))


def _batched_net(net, obs: Observation):
    return jax.vmap(net)(obs)


def broadcast_games(state: EnvState, games: int) -> EnvState:
    """``games`` copies of one state: ``[...]`` -> ``[G, ...]``."""
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (games,) + x.shape), state)


def _play(net, key, states: EnvState, ref, cfg: AgentConfig, n: int):
    """Play one episode per root state (``states``: ``[G, ...]``, ``ref``: ``[G]`` reward
    scales, ``n`` moves) with Gumbel MuZero search; returns trajectories ``[n, G, ...]``.

    Roots may come from different graphs padded to one size (the joint agent); moves
    after an episode's last elimination are no-ops (:func:`action_mask`).
    """

    def recurrent_fn(params, rng, action, embedding):
        del rng
        out = jax.vmap(step)(embedding, action)
        logits, value = _batched_net(params, jax.vmap(observe)(out.state))
        done = jax.vmap(is_done)(out.state)
        rec = mctx.RecurrentFnOutput(
            reward=out.reward / ref,
            discount=jnp.where(done, 0.0, 1.0),
            prior_logits=logits,
            value=jnp.where(done, 0.0, value_inverse(value)),
        )
        return rec, out.state

    def move(carry, key):
        states = carry
        obs = jax.vmap(observe)(states)
        logits, value = _batched_net(net, obs)
        root = mctx.RootFnOutput(prior_logits=logits, value=value_inverse(value), embedding=states)
        policy = mctx.gumbel_muzero_policy(
            net,
            key,
            root,
            recurrent_fn,
            num_simulations=cfg.simulations,
            invalid_actions=~jax.vmap(action_mask)(states),
            max_num_considered_actions=cfg.considered,
        )
        out = jax.vmap(step)(states, policy.action)
        return out.state, (obs, policy.action_weights, policy.action, out.reward / ref)

    final, (obs, pi, actions, rewards) = jax.lax.scan(move, states, jax.random.split(key, n))
    return final.cost, actions.T, obs, pi, rewards  # costs: exact counts [G, WIDTH]


def _az_loss(net, obs: Observation, pi, target):
    logits, value = _batched_net(net, obs)
    logp = jax.nn.log_softmax(logits)
    live = jnp.any(obs.legal, -1).astype(jnp.float32)  # moves after the episode: no signal
    count = jnp.maximum(jnp.sum(live), 1.0)
    policy_loss = -jnp.sum(live * jnp.sum(jnp.where(obs.legal, pi * logp, 0.0), -1)) / count
    value_loss = jnp.sum(live * (value - value_transform(target)) ** 2) / count
    return policy_loss + value_loss, (policy_loss, value_loss)


def _flatten_steps(x) -> np.ndarray:
    """``[n, G, ...]`` trajectory array -> ``[n * G, ...]`` NumPy array."""
    return np.asarray(x).reshape((-1,) + x.shape[2:])


def _take(x: np.ndarray, idx: np.ndarray):
    return jnp.asarray(x[idx])


@eqx.filter_jit
def _az_play(net, key, states: EnvState, ref, cfg: AgentConfig, n: int):
    return _play(net, key, states, ref, cfg, n)


@eqx.filter_jit
def _az_update(net, opt_state, obs, pi, target, cfg: AgentConfig, steps: int):
    opt = make_optimizer(cfg, steps)
    (loss, _), grads = eqx.filter_value_and_grad(_az_loss, has_aux=True)(net, obs, pi, target)
    upd, opt_state = opt.update(grads, opt_state, eqx.filter(net, eqx.is_array))
    return eqx.apply_updates(net, upd), opt_state, loss


def train_alphazero(
    roots: EnvState, refs, key, cfg: AgentConfig, *, moves: int, on_episodes
) -> list[float]:
    """AlphaZero training loop over fixed root states (``[G, ...]``, ``refs``: ``[G]``).

    Each iteration plays one episode per root, hands ``(costs [G], actions [G, moves])``
    to ``on_episodes``, stores the moves in the replay buffer and takes ``cfg.updates``
    Adam steps. Returns the last loss of every iteration.
    """
    key, knet = jax.random.split(key)
    net = make_network(cfg, knet)
    steps = optimizer_steps(cfg, "alphazero")
    opt_state = make_optimizer(cfg, steps).init(eqx.filter(net, eqx.is_array))
    refs = jnp.asarray(refs, jnp.float32)
    buffer: list[tuple] = []
    losses = []
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).astype(np.uint64).tolist())
    for _ in range(cfg.iterations):
        key, kplay = jax.random.split(key)
        costs, orders, obs, pi, rewards = _az_play(net, kplay, roots, refs, cfg, moves)
        on_episodes(_count.exact(costs), np.asarray(orders))
        returns = jnp.cumsum(rewards[::-1], axis=0)[::-1]  # [n, G]
        buffer.append(jax.tree.map(_flatten_steps, (obs, pi, returns)))
        buffer = buffer[-cfg.buffer :]
        data = jax.tree.map(lambda *xs: np.concatenate(xs), *buffer)
        size = len(data[2])
        for _ in range(cfg.updates):
            idx = rng.integers(0, size, cfg.batch)  # fixed batch: one compilation
            o, p, t = jax.tree.map(functools.partial(_take, idx=idx), data)
            net, opt_state, loss = _az_update(net, opt_state, o, p, t, cfg, steps)
        losses.append(float(loss))
    return losses


def alphazero(
    state: EnvState, key, cfg: AgentConfig, *, reference: float, moves: int | None = None
) -> SearchResult:
    """Train an AlphaZero agent on one graph; returns the best episode's order.

    ``reference`` scales rewards (use the best baseline cost). Evaluations count every
    environment step of the search and of the played moves. ``moves`` (default: the
    eliminable count) pads episodes with no-op moves; compiled functions are cached per
    (padded graph size, ``moves``, ``cfg``), so seeds and graphs of one size compile once.
    """
    elim = _eliminable(state)
    n = len(elim)
    track = _Tracker("alphazero", n, state.eliminable)
    mean_costs = []

    def record(costs, orders):
        track.spend(cfg.games * n * (cfg.simulations + 1))
        track.offer(costs, orders)
        mean_costs.append(float(np.mean(costs)))

    roots = broadcast_games(state, cfg.games)
    ref = jnp.full((cfg.games,), max(reference, 1), jnp.float32)
    losses = train_alphazero(
        roots, ref, key, cfg, moves=n if moves is None else moves, on_episodes=record
    )
    return track.result(losses=losses, mean_costs=mean_costs, episodes=cfg.iterations * cfg.games)
