"""Value-free elimination graphs the search works on, and random ones for tests.

A :class:`SymGraph` is the part of a computational graph that decides elimination
costs: vertex shapes, one :class:`~spikead.ad._structure.Structure` per edge, and which
vertices are inputs, outputs and eliminable. It is built from the engine's graph with
:func:`from_engine` or generated with :func:`random_scalar_graph` /
:func:`random_tensor_graph`. Vertex *positions* ``0..V-1`` index every array of the
search; ``ids`` maps a position back to the engine's vertex id (orders are saved in ids).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from spikead.ad._structure import IndexMap, Structure, for_convention

Shape = tuple[int, ...]
Edge = tuple[int, int]


class GraphError(ValueError):
    """A graph is inconsistent (edge shapes vs vertex shapes, unknown vertex, ...)."""


@dataclasses.dataclass(frozen=True, eq=False)
class SymGraph:
    """Shapes and edge structures of an elimination graph (positions ``0..V-1``).

    Attributes:
        shapes: per vertex, its shape (``()`` for a scalar).
        edges: ``(src, dst) -> Structure`` of ``d dst / d src`` (out = dst, in = src).
        inputs, outputs, eliminable: vertex positions; eliminable are the intermediates.
        ids: the engine's vertex id of each position (default: the position).
        name: a label for messages (task name).
    """

    shapes: tuple[Shape, ...]
    edges: Mapping[Edge, Structure]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    eliminable: tuple[int, ...]
    ids: tuple[Any, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        v = len(self.shapes)
        if not self.ids:
            object.__setattr__(self, "ids", tuple(range(v)))
        if len(self.ids) != v:
            raise GraphError(f"{self.name}: {len(self.ids)} ids for {v} vertices")
        for (i, j), s in self.edges.items():
            if not (0 <= i < v and 0 <= j < v):
                raise GraphError(f"{self.name}: edge {(i, j)} names a vertex outside 0..{v - 1}")
            if s.out_shape != tuple(self.shapes[j]) or s.in_shape != tuple(self.shapes[i]):
                raise GraphError(
                    f"{self.name}: edge {(i, j)} has structure {s} with shapes "
                    f"{s.out_shape}<-{s.in_shape}, expected {self.shapes[j]}<-{self.shapes[i]}"
                )
        bad = set(self.eliminable) & (set(self.inputs) | set(self.outputs))
        if bad:
            raise GraphError(f"{self.name}: vertices {sorted(bad)} are eliminable and input/output")

    @property
    def num_vertices(self) -> int:
        return len(self.shapes)

    def priced(self, convention: str) -> SymGraph:
        """The graph ``convention`` counts: under ``"paper"`` every index map densified
        (as :meth:`spikead.ad.Graph.priced`)."""
        edges = {e: for_convention(s, convention) for e, s in self.edges.items()}
        return dataclasses.replace(self, edges=edges)

    @property
    def max_rank(self) -> int:
        return max((len(s) for s in self.shapes), default=0)

    def id_order(self, positions) -> list:
        """Translate an order of positions into the engine's vertex ids."""
        return [self.ids[int(p)] for p in positions]

    def position_order(self, ids) -> list[int]:
        """Translate an order of engine ids into positions."""
        where = {vid: p for p, vid in enumerate(self.ids)}
        try:
            return [where[vid] for vid in ids]
        except KeyError as err:
            raise GraphError(
                f"{self.name}: order names unknown vertex id {err.args[0]!r}"
            ) from None

    def __str__(self) -> str:
        valued = sum(s.val_dims is not None for s in self.edges.values())
        return (
            f"SymGraph({self.name or '?'}: {len(self.inputs)} in, {len(self.eliminable)} "
            f"eliminable, {len(self.outputs)} out, {len(self.edges)} edges, {valued} valued, "
            f"max rank {self.max_rank})"
        )


def from_engine(graph, name: str = "") -> SymGraph:
    """Convert a graph of :func:`spikead.ad.make_graph` into a :class:`SymGraph`.

    ``graph`` has ``vertices`` (with ``id`` and ``shape``), ``edges`` (``(src, dst) ->``
    edge), ``structure(edge)``, ``inputs``, ``outputs`` and ``eliminable`` (vertex ids).
    """
    vertices = list(graph.vertices)
    ids = tuple(v.id for v in vertices)
    pos = {vid: p for p, vid in enumerate(ids)}
    shapes = tuple(tuple(v.shape) for v in vertices)
    edges = {(pos[src], pos[dst]): graph.structure(e) for (src, dst), e in graph.edges.items()}
    return SymGraph(
        shapes=shapes,
        edges=edges,
        inputs=tuple(pos[i] for i in graph.inputs),
        outputs=tuple(pos[i] for i in graph.outputs),
        eliminable=tuple(pos[i] for i in graph.eliminable),
        ids=ids,
        name=name,
    )


# --------------------------------------------------------------- random graphs
def _scalar_edge(valued: bool) -> Structure:
    return Structure((), (), (), () if valued else None)


def random_scalar_graph(
    seed: int,
    n_inputs: int = 3,
    n_eliminable: int = 10,
    n_outputs: int = 2,
    max_fan_in: int = 2,
    p_identity: float = 0.25,
) -> SymGraph:
    """A random DAG of scalar vertices (a scalar program's graph).

    Vertices ``0..n_inputs-1`` are inputs, then ``n_eliminable`` intermediates, then the
    outputs. Every non-input vertex reads 1..``max_fan_in`` earlier vertices (outputs
    never feed others); an edge is a pure identity (as from ``add``) with probability
    ``p_identity``, otherwise valued.
    """
    rng = np.random.default_rng(seed)
    n = n_inputs + n_eliminable + n_outputs
    edges: dict[Edge, Structure] = {}
    first_out = n_inputs + n_eliminable
    for j in range(n_inputs, n):
        pool = min(j, first_out)
        k = int(rng.integers(1, max_fan_in + 1))
        # bias towards recent vertices so the graph is deep, not a star
        weights = np.exp(np.linspace(-2.0, 0.0, pool))
        srcs = rng.choice(pool, size=min(k, pool), replace=False, p=weights / weights.sum())
        for i in srcs:
            edges[(int(i), j)] = _scalar_edge(bool(rng.random() >= p_identity))
    return SymGraph(
        shapes=((),) * n,
        edges=edges,
        inputs=tuple(range(n_inputs)),
        outputs=tuple(range(first_out, n)),
        eliminable=tuple(range(n_inputs, first_out)),
        name=f"scalar{seed}",
    )


def random_index_map(rng, n_out: int, n_in: int) -> IndexMap:
    """A random one-to-one partial map from ``n_out`` output to ``n_in`` input indices."""
    m = int(rng.integers(1, min(n_out, n_in) + 1)) if min(n_out, n_in) else 0
    src = np.full(n_out, -1)
    src[rng.choice(n_out, m, replace=False)] = rng.choice(n_in, m, replace=False)
    return IndexMap(tuple(int(i) for i in src), n_in)


def _random_structure(rng, out_shape: Shape, in_shape: Shape, p_map: float = 0.0) -> Structure:
    pair: list = []
    maps: list = []
    used: set[int] = set()
    for q, size in enumerate(in_shape):
        options = [p for p, s in enumerate(out_shape) if s == size and p not in used]
        mapped = p_map > 0 and rng.random() < p_map
        if mapped:  # an index map may pair dims of any sizes
            options = [p for p in range(len(out_shape)) if p not in used]
        if options and rng.random() < 0.6:
            p = int(rng.choice(options))
            used.add(p)
            pair.append(p)
            maps.append(random_index_map(rng, out_shape[p], size) if mapped else None)
        else:
            pair.append(None)
            maps.append(None)
    s = Structure(tuple(out_shape), tuple(in_shape), tuple(pair), (), tuple(maps))
    if rng.random() < 0.2 and any(p is not None for p in pair):
        return Structure(s.out_shape, s.in_shape, s.pair, None, s.maps)
    labels = s.labels()
    keep = tuple(sorted(int(lab) for lab in labels if rng.random() < 0.6))
    return Structure(s.out_shape, s.in_shape, s.pair, keep, s.maps)


def random_tensor_graph(
    seed: int,
    n_inputs: int = 2,
    n_eliminable: int = 8,
    n_outputs: int = 2,
    max_fan_in: int = 2,
    max_rank: int = 2,
    sizes: tuple[int, ...] = (2, 3),
    p_map: float = 0.0,
) -> SymGraph:
    """A random DAG of small tensor vertices with random structured edges.

    Shapes have rank ``0..max_rank`` with dims drawn from ``sizes``; each edge pairs some
    equal-sized dims and stores values on a random subset of labels (or none), so
    products exercise pairs, broadcast dims, scalars and pure identities. With
    ``p_map > 0`` each input dim is, with that probability, paired through a random
    index map (:func:`random_index_map`) with an output dim of any size.
    """
    rng = np.random.default_rng(seed)
    n = n_inputs + n_eliminable + n_outputs
    shapes = tuple(
        tuple(int(rng.choice(sizes)) for _ in range(int(rng.integers(0, max_rank + 1))))
        for _ in range(n)
    )
    edges: dict[Edge, Structure] = {}
    first_out = n_inputs + n_eliminable
    for j in range(n_inputs, n):
        pool = min(j, first_out)
        k = int(rng.integers(1, max_fan_in + 1))
        for i in rng.choice(pool, size=min(k, pool), replace=False):
            edges[(int(i), j)] = _random_structure(rng, shapes[j], shapes[int(i)], p_map)
    return SymGraph(
        shapes=shapes,
        edges=edges,
        inputs=tuple(range(n_inputs)),
        outputs=tuple(range(first_out, n)),
        eliminable=tuple(range(n_inputs, first_out)),
        name=f"tensor{seed}",
    )


def scalar_size(graph: SymGraph) -> int:
    """Total number of scalars over all vertices (for reports)."""
    return sum(math.prod(s) for s in graph.shapes)
