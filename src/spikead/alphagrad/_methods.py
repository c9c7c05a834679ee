"""One entry point for every search method, by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ._alphazero import AgentConfig, alphazero
from ._env import SCORES, EnvState
from ._ppo import ppo
from ._search import SearchResult, beam_search, random_search, simulated_annealing

CLASSICAL = ("random", "anneal") + tuple(f"beam_{k}" for k in SCORES)
AGENTS = ("alphazero", "ppo")
JOINT = ("alphazero_joint",)  # one agent over all tasks (not per graph: see alphazero_joint)
# Methods on the engine graph itself, not the environment state (search_task runs them):
# annealing priced by the engine in Python (engine_annealing) and A* from the other
# methods' best orders (exact_search). Last, so that the PRNG keys of the others
# (method_key folds in the index) stay as they were.
EXACT = ("exact",)
ENGINE = ("anneal_engine",) + EXACT
METHODS = CLASSICAL + AGENTS + JOINT + ENGINE


class UnknownMethodError(ValueError):
    """A method name that is not in :data:`METHODS`."""


@dataclasses.dataclass
class SearchConfig:
    """Knobs of the classical methods.

    Attributes:
        budget: evaluations (complete-order equivalents) per classical run.
        batch: orders evaluated per call (random search) = annealing chains.
        expand: children per beam entry.
        max_width: largest beam width.
        anneal_from_baselines: start half the annealing chains from the baseline orders.
        anneal_t_start, anneal_t_end: annealing temperatures, relative to the best
            starting cost (:func:`~spikead.alphagrad.simulated_annealing`).
        engine_budget, engine_chains, engine_t_start, engine_t_end: evaluations,
            chains and relative temperatures of ``anneal_engine``
            (:func:`~spikead.alphagrad.engine_annealing`).
        exact_time_limit: seconds of A* per task for the ``exact`` method
            (:func:`~spikead.alphagrad.exact_search`).
    """

    budget: int = 1000
    batch: int = 16
    expand: int = 4
    max_width: int = 256
    anneal_from_baselines: bool = True
    anneal_t_start: float = 0.05
    anneal_t_end: float = 0.001
    engine_budget: int = 4096
    engine_chains: int = 4
    engine_t_start: float = 0.003
    engine_t_end: float = 0.0003
    exact_time_limit: float = 60.0


def run_method(
    name: str,
    state: EnvState,
    key,
    *,
    search: SearchConfig,
    agent: AgentConfig,
    starts: Sequence[Sequence[int]] = (),
    reference: float = 1.0,
    moves: int | None = None,
) -> SearchResult:
    """Run method ``name`` on the graph of ``state``.

    Args:
        name: one of :data:`METHODS`.
        state: initial environment state (from :func:`encode`).
        key: PRNG key.
        search: classical budgets; agent: RL sizes.
        starts: orders (positions) annealing may start from (the baselines).
        reference: cost that scales RL rewards (the best baseline).
        moves: actions per episode / order (>= the eliminable count; the extra ones are
            no-ops), so graphs padded to one size share compiled functions.
    """
    if name == "random":
        return random_search(state, search.budget, key, batch=search.batch, moves=moves)
    if name == "anneal":
        return simulated_annealing(
            state,
            search.budget,
            key,
            chains=search.batch,
            starts=starts if search.anneal_from_baselines else (),
            t_start=search.anneal_t_start,
            t_end=search.anneal_t_end,
            moves=moves,
        )
    if name.startswith("beam_") and name[5:] in SCORES:
        return beam_search(
            state,
            search.budget,
            key,
            kind=name[5:],
            expand=search.expand,
            max_width=search.max_width,
            moves=moves,
        )
    if name == "alphazero":
        return alphazero(state, key, agent, reference=reference, moves=moves)
    if name == "ppo":
        return ppo(state, key, agent, reference=reference, moves=moves)
    if name in JOINT:
        raise UnknownMethodError(
            f"{name!r} trains one agent on several graphs: call "
            "alphazero_joint(states, ...) (or search_joint) instead"
        )
    if name in ENGINE:
        raise UnknownMethodError(
            f"{name!r} searches the engine graph, not an environment state: call "
            "engine_annealing / exact_search(graph, sym, ...) (or search_task) instead"
        )
    raise UnknownMethodError(f"unknown search method {name!r}; choose from {list(METHODS)}")
