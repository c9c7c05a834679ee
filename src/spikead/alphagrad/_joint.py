"""Padding graphs to one size, and one AlphaZero agent trained on several graphs at once.

Graphs of different sizes share compiled searches and one agent when their states are
padded to common ``V`` (vertices) and ``R`` (rank): padding vertices have no edges and
are never legal, and episodes play a common number of moves (the largest eliminable
count; later moves are no-ops). :func:`pad_groups` buckets graphs by padded size so that
small graphs are not priced at the largest one's size; :func:`alphazero_joint` trains one
agent whose games cycle over all graphs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._alphazero import AgentConfig, train_alphazero
from ._env import EnvState, encode, index_maps, narrow_products
from ._graph import SymGraph
from ._search import SearchResult, _eliminable, _Tracker


class PaddingError(ValueError):
    """States that should share one padded size do not."""


def padded_size(graph: SymGraph, multiple: int = 1) -> tuple[int, int]:
    """``(V, R)`` of ``graph``'s encoded state with ``V`` rounded up to ``multiple``.

    ``R`` is 0 for graphs whose vertices are all single scalars (see :func:`encode`).
    """
    if multiple < 1:
        raise ValueError(f"multiple={multiple}: expected a positive vertex multiple")
    unit = all(math.prod(shape) == 1 for shape in graph.shapes)
    return multiple * -(-graph.num_vertices // multiple), 0 if unit else graph.max_rank


def pad_groups(
    graphs: Sequence[SymGraph],
    *,
    scalar_multiple: int = 64,
    tensor_multiple: int = 64,
    convention: str = "structured",
) -> list[tuple[EnvState, int]]:
    """Encode ``graphs`` padded by bucket; returns per graph ``(state, moves)``.

    Graphs whose vertices are all scalars (rank 0) round ``V`` up to ``scalar_multiple``,
    the others to ``tensor_multiple``; each bucket ``(V, R)`` then shares ``moves`` = its
    largest eliminable count, so every search compiles once per bucket. ``convention``:
    the counting convention of every state (:func:`encode`).
    """
    keys = []
    for g in graphs:
        _, r = padded_size(g)
        mult = scalar_multiple if r == 0 else tensor_multiple
        keys.append(padded_size(g, mult))
    moves: dict[tuple[int, int], int] = {}
    narrow: dict[tuple[int, int], bool] = {}  # one product arithmetic per bucket
    maps: dict[tuple[int, int], int] = {}  # one size of index-map table per bucket
    for g, key in zip(graphs, keys):
        moves[key] = max(moves.get(key, 0), len(g.eliminable))
        narrow[key] = narrow.get(key, True) and narrow_products(g)
        maps[key] = max(maps.get(key, 1), _num_maps(g, convention))
    return [
        (
            encode(
                g,
                num_vertices=k[0],
                max_rank=k[1],
                narrow=narrow[k],
                convention=convention,
                num_maps=maps[k],
            ),
            moves[k],
        )
        for g, k in zip(graphs, keys)
    ]


def _num_maps(graph: SymGraph, convention: str) -> int:
    """Size of ``graph``'s table of index maps under ``convention`` (:func:`index_maps`)."""
    return len(index_maps(graph.priced(convention)))


def pad_common(
    graphs: Sequence[SymGraph], *, convention: str = "structured"
) -> tuple[list[EnvState], int]:
    """Encode every graph at the largest ``V`` and ``R`` among them (counting with
    ``convention``); returns the states and the common number of moves (the largest
    eliminable count)."""
    v = max(g.num_vertices for g in graphs)
    r = max(padded_size(g)[1] for g in graphs)
    narrow = all(narrow_products(g) for g in graphs)  # stacked states share one arithmetic
    m = max(_num_maps(g, convention) for g in graphs)
    return (
        [
            encode(g, num_vertices=v, max_rank=r, narrow=narrow, convention=convention, num_maps=m)
            for g in graphs
        ],
        max(len(g.eliminable) for g in graphs),
    )


def _check_same_shape(states: Sequence[EnvState]) -> None:
    shapes = {(s.num_vertices, s.max_rank, s.num_maps, s.narrow, s.convention) for s in states}
    if len(shapes) != 1:
        raise PaddingError(
            f"joint training needs states of one padded size, product "
            f"arithmetic and counting convention, got (V, R, index maps, narrow, "
            f"convention) {sorted(shapes)}; encode them with "
            "pad_common(graphs, convention=...)"
        )


def alphazero_joint(
    states: Sequence[EnvState],
    key,
    cfg: AgentConfig,
    *,
    references: Sequence[float],
    moves: int | None = None,
    name: str = "alphazero_joint",
) -> list[SearchResult]:
    """Train one AlphaZero agent on all ``states`` (one padded size) at once.

    Each iteration plays ``max(cfg.games, T)`` games rounded up to a multiple of the
    ``T`` graphs, cycling over the graphs, so every graph gets the same number of
    episodes; rewards of each graph are scaled by its ``references`` entry (its best
    baseline). Returns one :class:`SearchResult` per graph (its best episode); a graph's
    evaluations count the environment steps spent on its own games.
    """
    _check_same_shape(states)
    t = len(states)
    if len(references) != t:
        raise ValueError(f"{len(references)} references for {t} states: give one per graph")
    per_task = max(1, -(-cfg.games // t))
    games = per_task * t
    task_of_game = np.arange(games) % t
    roots = jax.tree.map(lambda *xs: jnp.stack(xs), *[states[i] for i in task_of_game])
    refs = np.asarray([max(float(references[i]), 1.0) for i in task_of_game], np.float32)
    sizes = [len(_eliminable(s)) for s in states]
    moves = max(sizes) if moves is None else moves
    trackers = [_Tracker(name, n, s.eliminable) for n, s in zip(sizes, states)]

    def record(costs, orders):
        for i, track in enumerate(trackers):
            mine = task_of_game == i
            track.spend(per_task * sizes[i] * (cfg.simulations + 1))
            track.offer(costs[mine], orders[mine])

    losses = train_alphazero(roots, refs, key, cfg, moves=moves, on_episodes=record)
    return [
        track.result(losses=losses, episodes=cfg.iterations * per_task, tasks=t)
        for track in trackers
    ]
