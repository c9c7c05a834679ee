"""Per-equation breakdown of Table 1 differences: this engine's count vs the paper's game.

For a task and a baseline order (forward, reverse or Markowitz), :func:`breakdown` lists
per jaxpr equation the multiplications of eliminating its vertex

* here: ``spikead.ad`` under ``convention="paper"`` (eliminating our vertices in the
  order named, ours), and
* in the reconstruction of the authors' vertex game (:mod:`._vertex_game`, in the game's
  own order of the same name),

so that the difference of the totals is attributed to equations and primitives.
:func:`summary` groups it by primitive. Run ``python -m spikead.tasks.paper._causes
[TASK ...] [--order forward|reverse|markowitz] [--rows]`` for the tables in
``docs/table1_differences.md``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses

import jax

from ... import ad
from .. import load
from . import _vertex_game as vg

__all__ = ["Row", "breakdown", "game_of", "game_totals", "summary"]

ORDERS = ("forward", "reverse", "markowitz")


@dataclasses.dataclass(frozen=True)
class Row:
    """One jaxpr equation: its primitive, output shape, and the two counts of eliminating it
    (``None`` where that model has no eliminable vertex for the equation)."""

    eqn: int
    primitive: str
    shape: tuple[int, ...]
    ours: int | None
    game: int | None

    @property
    def difference(self) -> int:
        return (self.ours or 0) - (self.game or 0)


def game_of(name: str) -> vg.Game:
    """The vertex game's graph of registered task ``name`` (its jaxpr under this JAX)."""
    task = load(name)
    return vg.build(jax.make_jaxpr(task.fn)(*task.args))


def _game_steps(game: vg.Game, order: str) -> list[tuple[int, int]]:
    if order == "forward":
        return vg.forward(game)
    if order == "reverse":
        return vg.reverse(game)
    if order == "markowitz":
        return vg.run_order(game, vg.markowitz_order(game))
    raise ValueError(f"unknown order {order!r}; expected one of {ORDERS}")


def game_totals(name: str) -> tuple[int, int, int, int]:
    """(eliminable vertices, forward, reverse, Markowitz) of task ``name`` in the game."""
    game = game_of(name)
    return (game.n_eliminable, *(sum(c for _, c in _game_steps(game, o)) for o in ORDERS))


def _eqn_index(where: str) -> int:
    """Top-level equation index of a vertex's ``where`` ('top/eqn 12' -> 12)."""
    parts = where.split("/")
    if len(parts) != 2 or not parts[1].startswith("eqn "):
        raise ValueError(
            f"vertex at {where!r} is not a top-level equation; the breakdown "
            "needs a jaxpr without nested calls"
        )
    return int(parts[1][4:])


def breakdown(name: str, order: str = "forward") -> list[Row]:
    """Per-equation counts of task ``name`` under baseline ``order`` (see module docstring)."""
    task = load(name)
    closed = jax.make_jaxpr(task.fn)(*task.args)
    game = vg.build(closed)
    game_cost = {game.eqn_of[v - 1]: c for v, c in _game_steps(game, order)}
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    ids = ad.resolve_order(graph, order)
    costs = ad.apply_order(graph, ids, convention="paper")
    ours = {_eqn_index(graph.vertices[k].where): c for k, c in zip(ids, costs)}
    rows = []
    for n, eqn in enumerate(closed.jaxpr.eqns):
        if n not in ours and n not in game_cost:
            continue
        shape = tuple(eqn.outvars[0].aval.shape)
        rows.append(Row(n, eqn.primitive.name, shape, ours.get(n), game_cost.get(n)))
    return rows


def summary(rows: list[Row]) -> dict[str, tuple[int, int, int]]:
    """Per primitive: (equations, our total, the game's total), largest difference first."""
    acc: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for r in rows:
        a = acc[r.primitive]
        a[0] += 1
        a[1] += r.ours or 0
        a[2] += r.game or 0
    items = sorted(acc.items(), key=lambda kv: -abs(kv[1][1] - kv[1][2]))
    return {k: tuple(v) for k, v in items}


def _print(name: str, order: str, show_rows: bool) -> None:
    rows = breakdown(name, order)
    ours = sum(r.ours or 0 for r in rows)
    game = sum(r.game or 0 for r in rows)
    print(f"## {name}, {order}: ours {ours}, game {game}, difference {ours - game}")
    if show_rows:
        print("eqn  primitive            shape        ours    game    diff")
        for r in rows:
            if r.difference:
                print(
                    f"{r.eqn:>3}  {r.primitive:<20} {r.shape!s:<12} {r.ours!s:>6} "
                    f"{r.game!s:>7} {r.difference:>7}"
                )
    print("primitive            eqns    ours    game    diff")
    for prim, (n, o, g) in summary(rows).items():
        if o != g:
            print(f"{prim:<20} {n:>4} {o:>7} {g:>7} {o - g:>7}")
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "tasks", nargs="*", default=["RoeFlux_3d", "BlackScholes_Jacobian", "MLP", "Encoder", "f"]
    )
    parser.add_argument("--order", choices=ORDERS, default="forward")
    parser.add_argument("--rows", action="store_true", help="print every differing equation")
    args = parser.parse_args(argv)
    for name in args.tasks:
        print(
            f"# {name}: game (vertices, fwd, rev, Markowitz) = {game_totals(name)}; "
            f"paper = {tuple(load(name).paper[k] for k in ('vertices', *ORDERS))}"
        )
        _print(name, args.order, args.rows)


if __name__ == "__main__":
    main()
