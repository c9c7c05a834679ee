"""The computational graph: vertices (tensors) and edges (structured partial Jacobians).

Vertex numbering (the ids used by explicit elimination orders): after inlining nested
``jit``/``pjit``/``closed_call``/``remat2`` (``jax.checkpoint``) equations, ids are
assigned in this order and are contiguous from 0:

1. one vertex per differentiated input leaf (flattened pytree of ``argnums``, in order);
2. one vertex per differentiable equation output, in jaxpr order (outputs that do not
   depend on an input or do not reach an output are dropped before numbering);
3. one copy vertex per output leaf that is an input, is used by a later equation, is a
   repeated output, or is constant (then it has no incoming edges).

Inputs and outputs are never eliminated; every other vertex is *eliminable*.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Generic, TypeVar

from ._structure import Structure, for_convention

INPUT, INTERMEDIATE, OUTPUT = "input", "intermediate", "output"

E = TypeVar("E")


@dataclasses.dataclass(frozen=True)
class Vertex:
    """A tensor of the program. ``primitive`` is the producing primitive ('input', 'copy', ...)."""

    id: int
    shape: tuple[int, ...]
    dtype: str
    primitive: str
    kind: str
    where: str = ""

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclasses.dataclass
class Graph(Generic[E]):
    """Vertices plus edges ``(src, dst) -> E`` (a :class:`Structure` or an ``STensor``)."""

    vertices: list[Vertex]
    edges: dict[tuple[int, int], E]

    def __post_init__(self) -> None:
        self.preds: dict[int, set[int]] = {v.id: set() for v in self.vertices}
        self.succs: dict[int, set[int]] = {v.id: set() for v in self.vertices}
        for src, dst in self.edges:
            self.succs[src].add(dst)
            self.preds[dst].add(src)

    # ------------------------------------------------------------------ queries
    @property
    def inputs(self) -> tuple[int, ...]:
        return tuple(v.id for v in self.vertices if v.kind == INPUT)

    @property
    def outputs(self) -> tuple[int, ...]:
        return tuple(v.id for v in self.vertices if v.kind == OUTPUT)

    @property
    def eliminable(self) -> tuple[int, ...]:
        return tuple(v.id for v in self.vertices if v.kind == INTERMEDIATE)

    def structure(self, edge: E) -> Structure:
        return edge if isinstance(edge, Structure) else edge.structure

    def structures(self) -> Graph[Structure]:
        """A value-free copy (edges replaced by their structures)."""
        return Graph(list(self.vertices), {k: self.structure(e) for k, e in self.edges.items()})

    def priced(self, convention: str) -> Graph[Structure]:
        """The value-free copy that ``convention`` counts: under ``"paper"`` every index map
        densified (:meth:`Structure.densified`, as Graphax stores them), else
        :meth:`structures`."""
        edges = {k: for_convention(self.structure(e), convention) for k, e in self.edges.items()}
        return Graph(list(self.vertices), edges)

    def copy(self) -> Graph[E]:
        return Graph(list(self.vertices), dict(self.edges))

    def fingerprint(self) -> str:
        """Stable hash of vertices (id, shape, kind, primitive) and edge structures (index
        maps included where an edge has one); no values."""
        payload = {
            "vertices": [[v.id, list(v.shape), v.kind, v.primitive] for v in self.vertices],
            "edges": [
                [
                    s,
                    d,
                    list(st.out_shape),
                    list(st.in_shape),
                    [(-1 if p is None else p) for p in st.pair],
                    None if st.val_dims is None else list(st.val_dims),
                ]
                + (
                    [[None if m is None else [*m.src, m.in_size] for m in st.maps]]
                    if st.maps
                    else []
                )
                for (s, d), st in sorted((k, self.structure(e)) for k, e in self.edges.items())
            ],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    # --------------------------------------------------------------- mutation
    def set_edge(self, src: int, dst: int, edge: E) -> None:
        self.edges[(src, dst)] = edge
        self.succs[src].add(dst)
        self.preds[dst].add(src)

    def remove_vertex_edges(self, k: int) -> None:
        for i in self.preds[k]:
            del self.edges[(i, k)]
            self.succs[i].discard(k)
        for j in self.succs[k]:
            del self.edges[(k, j)]
            self.preds[j].discard(k)
        self.preds[k] = set()
        self.succs[k] = set()

    def check(self, removed: int | None = None) -> None:
        """Invariants: edge shapes match vertex shapes; no edge touches ``removed``."""
        shapes = {v.id: v.shape for v in self.vertices}
        for (src, dst), e in self.edges.items():
            s = self.structure(e)
            if s.in_shape != shapes[src] or s.out_shape != shapes[dst]:
                raise AssertionError(
                    f"edge {src}->{dst} has structure {s}, vertices {shapes[src]} -> {shapes[dst]}"
                )
            if removed is not None and removed in (src, dst):
                raise AssertionError(f"edge {src}->{dst} still touches eliminated vertex {removed}")

    # ------------------------------------------------------------ printing
    def __str__(self) -> str:
        lines = [
            (
                f"Graph: {len(self.vertices)} vertices ({len(self.inputs)} in, "
                f"{len(self.eliminable)} eliminable, {len(self.outputs)} out), {len(self.edges)} edges"
            )
        ]
        for v in self.vertices:
            shape = "x".join(map(str, v.shape)) or "scalar"
            ins = ", ".join(
                f"{i}:{self.structure(self.edges[(i, v.id)])}" for i in sorted(self.preds[v.id])
            )
            lines.append(f"  [{v.id:3d}] {v.kind[:5]:5s} {v.primitive:18s} {shape:10s} <- {ins}")
        return "\n".join(lines)
