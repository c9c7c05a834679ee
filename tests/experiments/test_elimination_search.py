"""Smoke run of experiments/elimination_search.py (Table 1 search, Paper C)."""

import functools
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import elimination_search
from conftest import SMOKE_GROUP

from spikead import ad, alphagrad

RESULT_COLUMNS = [
    "task",
    "convention",
    "method",
    "seed",
    "best_cost",
    "evaluations",
    "wall_s",
    "forward",
    "reverse",
    "markowitz",
    "gain_vs_best_baseline_pct",
    "paper_alphagrad",
    "paper_gain_pct",
    "lower_bound",  # the exact method's rows only
    "proven",
]


def _cfg(*overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(
            config_name="elimination_search",
            overrides=["profile=smoke", "wandb.mode=disabled", *overrides],
        )


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run(smoke_workflow):
    """The workflow's smoke run (every method, agents on one task, the joint agent)."""
    out = smoke_workflow.results / "elimination_search"
    cfg = _cfg()

    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == RESULT_COLUMNS
    tasks = list(cfg.scale.tasks)
    assert list(dict.fromkeys(results["task"])) == tasks
    # agents only on the agent tasks, classical methods everywhere
    for task in tasks:
        got = set(results.loc[results["task"] == task, "method"])
        rl = set(alphagrad.AGENTS + alphagrad.JOINT)
        want = set(cfg.scale.methods) - (set() if task in cfg.scale.agent_tasks else rl)
        assert got == want, task
    best_base = results[["forward", "reverse", "markowitz"]].min(axis=1)
    gain = 100 * (best_base - results["best_cost"]) / best_base
    assert (gain - results["gain_vs_best_baseline_pct"]).abs().max() < 0.01
    assert (results["evaluations"] > 0).all()
    # every cost is counted in the configured convention (the paper's by default)
    assert cfg.convention == "paper" and set(results["convention"]) == {"paper"}
    # every saved order is the engine's and has the reported cost
    tg = alphagrad.load_task_graph(tasks[0], cfg.convention)
    assert (
        results.loc[results["task"] == tasks[0], "forward"].iloc[0] == tg.baseline_costs["forward"]
    )
    for row in results[results["task"] == tasks[0]].itertuples():
        rec = ad.load_order(
            out / "orders" / f"{row.task}_{row.method}_seed{row.seed}.json", tg.graph
        )
        assert rec["convention"] == cfg.convention
        assert rec["cost"] == row.best_cost == tg.engine_cost(rec["order"])

    curves = pd.read_csv(out / "curves.csv")
    assert list(curves.columns) == ["task", "method", "seed", "evaluations", "best_cost"]
    last = curves.groupby(["task", "method", "seed"])["best_cost"].last()
    merged = results.set_index(["task", "method", "seed"])["best_cost"]
    assert (last.loc[merged.index] == merged).all()

    exact = results[results["method"] == "exact"]
    assert len(exact) == len(tasks) and (exact["lower_bound"] <= exact["best_cost"]).all()
    assert results.loc[results["method"] != "exact", "lower_bound"].isna().all()

    table = (out / "table1.md").read_text()
    assert all(t in table for t in tasks) and "gain_pct" in table
    assert "paper_alphagrad" in table and "Counting convention: paper" in table
    assert (out / "table1.tex").read_text().lstrip().startswith("\\begin")

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["meta"]["profile"] == "smoke" and metrics["methods"] == list(cfg.scale.methods)
    assert metrics["convention"] == "paper"
    assert set(metrics["tasks_beating_best_baseline"]) <= set(
        metrics["tasks_at_or_below_best_baseline"]
    )


def test_dp_gap_and_returned_metrics(tmp_path, monkeypatch):
    """The exact-optimum gap (off in the smoke profile) and run()'s return value. One search
    method keeps it short: tests/alphagrad/test_search.py checks every method >= the optimum."""
    monkeypatch.setattr(
        alphagrad, "dp_gap", functools.partial(alphagrad.dp_gap, methods=["random"])
    )
    cfg = _cfg(
        "scale.tasks=[PropaneCombustion]",
        "scale.methods=[random]",
        "scale.dp_graphs=2",
        "scale.dp_vertices=6",
    )
    payload = elimination_search.run(cfg, out_dir=tmp_path)
    gap = pd.read_csv(tmp_path / "dp_gap.csv")
    assert gap["graph"].tolist() == [0, 1] and set(gap["method"]) == {"random"}
    assert (gap["cost"] >= gap["optimum"]).all() and (gap["gap_pct"] >= 0).all()
    assert gap["gap_pct"].tolist() == pytest.approx(
        (100 * (gap["cost"] - gap["optimum"]) / gap["optimum"]).tolist(), abs=0.01
    )
    assert payload["dp_gap_pct_mean"] == {"random": pytest.approx(gap["gap_pct"].mean(), abs=0.01)}
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == payload and metrics["meta"]["profile"] == "smoke"
    assert pd.read_csv(tmp_path / "results.csv")["method"].tolist() == ["random"]


def test_config_rejects_unknown_method(tmp_path):
    with pytest.raises(alphagrad.UnknownMethodError, match="choose from"):
        elimination_search.run(_cfg("scale.methods=[genetic]"), out_dir=tmp_path)


def test_every_profile_composes():
    for profile in ("smoke", "quick", "paper"):
        with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
            cfg = compose(config_name="elimination_search", overrides=[f"profile={profile}"])
        scale = elimination_search.typed_config(cfg.scale, elimination_search.Scale, where="scale")
        agent = elimination_search.typed_config(cfg.agent, alphagrad.AgentConfig, where="agent")
        assert set(scale.methods) <= set(alphagrad.METHODS) and agent.games > 0
