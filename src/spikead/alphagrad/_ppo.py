"""PPO actor-critic on the elimination environment (same network as AlphaZero).

Each iteration samples ``games`` episodes from the policy, computes generalised
advantage estimates (discount 1, ``gae_lambda``) on rewards scaled by a reference cost,
and runs ``ppo_epochs`` passes of ``updates`` clipped-objective minibatch steps.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import _count
from ._alphazero import (
    AgentConfig,
    _flatten_steps,
    _take,
    broadcast_games,
    make_network,
    make_optimizer,
    optimizer_steps,
)
from ._env import EnvState, step
from ._network import observe, value_inverse, value_transform
from ._search import SearchResult, _eliminable, _Tracker


def _rollout(net, key, states: EnvState, ref, n: int):
    """Sample one ``n``-move episode per root state (``[G, ...]``; ``ref``: ``[G]``)."""

    def move(states, key):
        obs = jax.vmap(observe)(states)
        logits, value = jax.vmap(net)(obs)
        action = jax.random.categorical(key, logits)
        logp = jnp.take_along_axis(jax.nn.log_softmax(logits), action[:, None], 1)[:, 0]
        out = jax.vmap(step)(states, action)
        value = jnp.where(jnp.any(obs.legal, -1), value_inverse(value), 0.0)  # 0 once done
        return out.state, (obs, action, logp, value, out.reward / ref)

    final, traj = jax.lax.scan(move, states, jax.random.split(key, n))
    obs, actions, logp, values, rewards = traj
    return final.cost, actions.T, obs, actions, logp, values, rewards


def _gae(rewards, values, lam: float):
    """Advantages and returns, ``[n, G]`` each (episode ends after the last move)."""
    next_values = jnp.concatenate([values[1:], jnp.zeros_like(values[:1])], 0)
    deltas = rewards + next_values - values

    def back(carry, d):
        adv = d + lam * carry
        return adv, adv

    _, adv = jax.lax.scan(back, jnp.zeros_like(values[0]), deltas, reverse=True)
    return adv, adv + values


def _ppo_loss(net, obs, actions, old_logp, adv, returns, clip: float, entropy: float):
    logits, value = jax.vmap(net)(obs)
    logp_all = jax.nn.log_softmax(logits)
    logp = jnp.take_along_axis(logp_all, actions[:, None], 1)[:, 0]
    ratio = jnp.exp(logp - old_logp)
    live = jnp.any(obs.legal, -1).astype(jnp.float32)  # no-op moves after the episode
    count = jnp.maximum(jnp.sum(live), 1.0)
    mean = lambda x: jnp.sum(live * x) / count
    adv_mean = mean(adv)
    adv = (adv - adv_mean) / (jnp.sqrt(mean((adv - adv_mean) ** 2)) + 1e-8)
    pg = -mean(jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip, 1 + clip) * adv))
    vloss = mean((value - value_transform(returns)) ** 2)
    probs = jnp.exp(logp_all)
    ent = -mean(jnp.sum(jnp.where(obs.legal, probs * logp_all, 0.0), -1))
    return pg + 0.5 * vloss - entropy * ent


@eqx.filter_jit
def _ppo_rollout(net, key, states: EnvState, ref, n: int, lam: float):
    costs, orders, obs, actions, logp, values, rewards = _rollout(net, key, states, ref, n)
    adv, returns = _gae(rewards, values, lam)
    return costs, orders, (obs, actions, logp, adv, returns)


@eqx.filter_jit
def _ppo_update(net, opt_state, batch, cfg: AgentConfig, steps: int):
    opt = make_optimizer(cfg, steps)
    loss, grads = eqx.filter_value_and_grad(_ppo_loss)(net, *batch, cfg.ppo_clip, cfg.entropy)
    upd, opt_state = opt.update(grads, opt_state, eqx.filter(net, eqx.is_array))
    return eqx.apply_updates(net, upd), opt_state, loss


def ppo(
    state: EnvState, key, cfg: AgentConfig, *, reference: float, moves: int | None = None
) -> SearchResult:
    """Train a PPO agent on one graph; returns the best sampled episode's order.

    ``moves`` (default: the eliminable count) pads episodes with no-op moves so that
    graphs padded to one size share one compilation.
    """
    n = len(_eliminable(state))
    moves = n if moves is None else moves
    track = _Tracker("ppo", n, state.eliminable)
    roots = broadcast_games(state, cfg.games)
    key, knet = jax.random.split(key)
    net = make_network(cfg, knet)
    steps = optimizer_steps(cfg, "ppo")
    opt_state = make_optimizer(cfg, steps).init(eqx.filter(net, eqx.is_array))
    ref = jnp.full((cfg.games,), max(reference, 1), jnp.float32)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).astype(np.uint64).tolist())
    losses, mean_costs = [], []
    for _ in range(cfg.iterations):
        key, kroll = jax.random.split(key)
        counts, orders, traj = _ppo_rollout(net, kroll, roots, ref, moves, cfg.gae_lambda)
        costs = _count.exact(counts)
        track.spend(cfg.games * n)
        track.offer(np.asarray(costs), np.asarray(orders))
        mean_costs.append(float(np.mean(costs)))
        data = jax.tree.map(_flatten_steps, traj)
        size = len(data[1])
        for _ in range(cfg.ppo_epochs):
            for _ in range(cfg.updates):
                idx = rng.integers(0, size, cfg.batch)  # fixed batch: one compilation
                batch = jax.tree.map(functools.partial(_take, idx=idx), data)
                net, opt_state, loss = _ppo_update(net, opt_state, batch, cfg, steps)
        losses.append(float(loss))
    return track.result(losses=losses, mean_costs=mean_costs, episodes=cfg.iterations * cfg.games)
