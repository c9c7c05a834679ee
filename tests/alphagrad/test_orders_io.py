"""Best orders round-trip through the engine's order files."""

from __future__ import annotations

import pytest

from spikead import ad
from spikead import alphagrad as ag


def test_search_orders_round_trip(tmp_path):
    tg = ag.load_task_graph("PropaneCombustion")
    search = ag.SearchConfig(budget=16, batch=8, expand=2, max_width=4)
    rows, curves = ag.search_task(tg, ["beam_fill_in", "random"], [0], search=search,
                                  agent=ag.AgentConfig(), order_dir=tmp_path)
    assert {r["method"] for r in rows} == {"beam_fill_in", "random"} and curves
    for row in rows:
        record = ad.load_order(tmp_path / f"PropaneCombustion_{row['method']}_seed0.json", tg.graph)
        assert record["cost"] == row["best_cost"]
        assert int(sum(ad.apply_order(tg.graph, record["order"]))) == row["best_cost"]
        assert row["gain_vs_best_baseline_pct"] == pytest.approx(
            100 * (tg.best_baseline - row["best_cost"]) / tg.best_baseline, abs=0.01)
    other = ag.load_task_graph("MLP")
    with pytest.raises(ad.OrderMismatchError):
        ad.load_order(tmp_path / "PropaneCombustion_random_seed0.json", other.graph)


def test_position_and_id_orders_invert():
    tg = ag.load_task_graph("MLP")
    pos = list(tg.sym.eliminable)
    assert tg.sym.position_order(tg.sym.id_order(pos)) == pos
    with pytest.raises(ag.GraphError, match="unknown vertex id"):
        tg.sym.position_order([10_000])
