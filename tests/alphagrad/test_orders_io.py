"""Best orders round-trip through the engine's order files, in the search's convention."""

from __future__ import annotations

import pandas as pd
import pytest

from spikead import ad
from spikead import alphagrad as ag


def test_search_orders_round_trip(tmp_path):
    """Under the paper's count: the rows, the order files and the engine agree."""
    tg = ag.load_task_graph("PropaneCombustion", "paper")
    assert tg.baseline_costs == {b: tg.paper[b] for b in ag.BASELINES}  # Table 1's baselines
    search = ag.SearchConfig(budget=16, batch=8, expand=2, max_width=4)
    rows, curves = ag.search_task(
        tg,
        ["beam_fill_in", "random"],
        [0],
        search=search,
        agent=ag.AgentConfig(),
        order_dir=tmp_path,
    )
    assert {r["method"] for r in rows} == {"beam_fill_in", "random"} and curves
    for row in rows:
        assert row["convention"] == "paper" and row["paper_alphagrad"] == tg.paper["alphagrad"]
        record = ad.load_order(tmp_path / f"PropaneCombustion_{row['method']}_seed0.json", tg.graph)
        assert record["cost"] == row["best_cost"] and record["convention"] == "paper"
        assert (
            sum(ad.apply_order(tg.graph, record["order"], convention="paper")) == row["best_cost"]
        )
        assert sum(ad.apply_order(tg.graph, record["order"])) < row["best_cost"]  # another count
        assert row["gain_vs_best_baseline_pct"] == pytest.approx(
            100 * (tg.best_baseline - row["best_cost"]) / tg.best_baseline, abs=0.01
        )
    other = ag.load_task_graph("MLP")
    with pytest.raises(ad.OrderMismatchError):
        ad.load_order(tmp_path / "PropaneCombustion_random_seed0.json", other.graph)


def test_task_graphs_of_two_conventions_are_not_searched_together():
    tgs = [ag.load_task_graph("PropaneCombustion", c) for c in ("paper", "structured")]
    with pytest.raises(ValueError, match="one convention"):
        ag.pad_task_graphs(tgs)


def test_table1_sits_beside_the_paper():
    """table1 / summary: our gain, the paper's AlphaGrad cost and gain, best-ever cost and
    whether our baselines are the paper's, per task."""
    paper = {
        "A": {
            "forward": 10,
            "reverse": 8,
            "markowitz": 9,
            "alphagrad": 7,
            "gain_percent": 12.5,
            "best_seen": 6,
        },
        "B": {"forward": 5, "reverse": 5, "markowitz": 5, "alphagrad": 4, "gain_percent": 20.0},
    }
    rows = [
        {
            "task": t,
            "convention": "paper",
            "method": m,
            "seed": 0,
            "best_cost": c,
            "forward": f,
            "reverse": r,
            "markowitz": k,
            "paper_alphagrad": paper[t]["alphagrad"],
            "paper_gain_pct": paper[t]["gain_percent"],
        }
        for t, m, c, f, r, k in [
            ("A", "random", 8, 10, 8, 9),
            ("A", "anneal", 6, 10, 8, 9),
            ("B", "random", 5, 6, 5, 5),
            ("B", "anneal", 5, 6, 5, 5),
        ]
    ]
    table = ag.table1(pd.DataFrame(rows), {"A": 3, "B": 2}, paper=paper)
    a, b = (table[table["task"] == t].iloc[0] for t in "AB")
    assert (a["best"], a["gain_pct"], a["paper_alphagrad"], a["paper_gain_pct"]) == (
        6,
        25.0,
        7,
        12.5,
    )
    assert a["paper_best_seen"] == 6 and bool(a["same_baselines"]) is True
    assert (b["best"], b["gain_pct"]) == (5, 0.0) and bool(b["same_baselines"]) is False
    summary = ag.summary(table)
    assert summary["tasks_meeting_paper_gain"] == ["A"] and summary["n_beating"] == 1


def test_position_and_id_orders_invert():
    tg = ag.load_task_graph("MLP")
    pos = list(tg.sym.eliminable)
    assert tg.sym.position_order(tg.sym.id_order(pos)) == pos
    with pytest.raises(ag.GraphError, match="unknown vertex id"):
        tg.sym.position_order([10_000])
