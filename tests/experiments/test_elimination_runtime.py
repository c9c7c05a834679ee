"""The elimination_runtime experiment: every job timed or recorded as skipped, never dropped;
the search's best order (issue #7) timed beside forward / reverse / Markowitz."""

import itertools
import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments"))

import elimination_runtime

from spikead import ad, tasks
from spikead.runs import ConfigError
from spikead.tasks import _registry

TOY = "runtime_toy"
TINY = [
    "profile=smoke",
    "wandb.mode=disabled",
    f"scale.tasks=[{TOY}]",
    "scale.batch_sizes=[4]",
    "scale.warmup=1",
    "scale.repeats=3",
]


def _toy_fn(x, y):
    # a scalar chain whose cheapest order (chain first, then the add) beats fwd, rev and Markowitz
    e = jnp.exp(jnp.square(jnp.tanh(jnp.cos(y + x))))
    return jnp.tanh(e), e


@pytest.fixture
def toy(monkeypatch):
    """A tiny task in the registry for the duration of one test."""
    task = tasks.Task(
        name=TOY, fn=_toy_fn, args=(jnp.float32(0.3), jnp.float32(0.2)), argnums=(0, 1)
    )
    monkeypatch.setitem(_registry._FACTORIES, TOY, lambda: task)
    monkeypatch.setitem(_registry._CACHE, TOY, task)
    return task


def _graph(task):
    return ad.make_graph(task.fn, *task.args, argnums=task.argnums)


def _cheapest(graph):
    """Exhaustive search over all orders (the toy graph has 5 eliminable vertices)."""
    return min((sum(ad.apply_order(graph, p)), p) for p in itertools.permutations(graph.eliminable))


@pytest.fixture
def orders_dir(tmp_path, toy):
    """A search output folder: the optimum, a worse order, a foreign and a broken file."""
    graph = _graph(toy)
    cost, order = _cheapest(graph)
    folder = tmp_path / "orders"
    ad.save_order(
        folder / f"{TOY}_anneal_seed3.json", task=TOY, graph=graph, order=order, cost=cost
    )
    rev = ad.reverse_order(graph)
    ad.save_order(
        folder / f"{TOY}_random_seed0.json",
        task=TOY,
        graph=graph,
        order=rev,
        cost=sum(ad.apply_order(graph, rev)),
    )
    other = ad.make_graph(lambda x, y: jnp.sin(x * y), *toy.args, argnums=(0, 1))  # another graph
    ad.save_order(
        folder / f"{TOY}_ppo_seed1.json",
        task=TOY,
        graph=other,
        order=other.eliminable,
        cost=sum(ad.apply_order(other, other.eliminable)),
    )
    (folder / f"{TOY}_beam_fill_in_seed0.json").write_text("{not json")
    ad.save_order(
        folder / "PropaneCombustion_anneal_seed0.json",
        task="PropaneCombustion",
        graph=other,
        order=other.eliminable,
        cost=0,
    )  # another task: not read
    return folder, cost


def _cfg(*extra):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="elimination_runtime", overrides=[*TINY, *extra])


def test_default_orders_dir_is_the_search_output_of_the_profile():
    assert _cfg().orders_dir == "results/smoke/elimination_search/orders"


def test_every_method_is_timed_and_compared(tmp_path, orders_dir):
    folder, best_cost = orders_dir
    out = elimination_runtime.run(_cfg(f"orders_dir={folder}"), out_dir=tmp_path / "run")
    frame = pd.read_csv(tmp_path / "run" / "runtime.csv")
    assert set(frame.method) == set(elimination_runtime.METHODS)
    assert (frame.status == "ok").all() and (frame.median_ms > 0).all()
    by_method = frame.set_index("method")
    fair = by_method.loc["vmap_jacrev", "median_ms"]
    row = by_method.loc["vmap_jacve_reverse"]
    assert row.speedup_vs_vmap_jacrev == pytest.approx(fair / row.median_ms)

    # the search's order: found, cheaper than the three baselines, its source recorded
    search = out["search_orders"][TOY]
    assert search["status"] == "cheaper" and search["cost"] == best_cost
    assert (search["method"], search["seed"]) == ("anneal", 3) and search["files"] == 4
    assert best_cost < min(search["baseline_costs"].values())
    reasons = sorted(r["reason"].split(":")[0] for r in search["refused"])
    assert reasons == ["JSONDecodeError", "OrderMismatchError"]  # reported, not dropped
    assert by_method.loc["jacve_best", "order_source"] == "anneal seed 3"

    # order_cost: the multiplications of the order eliminated on vmap(f)'s graph
    args = elimination_runtime.batched_args(tasks.load(TOY), 4, 0)
    vf = jax.vmap(_toy_fn)
    mapped = ad.transfer_order(
        _graph(tasks.load(TOY)),
        ad.make_graph(vf, *args, argnums=(0, 1)),
        _cheapest(_graph(tasks.load(TOY)))[1],
    )
    assert by_method.loc["jacve_best", "order_cost"] == ad.cost(vf, mapped, *args, argnums=(0, 1))
    assert by_method.loc["jacve_markowitz", "order_cost"] == ad.cost(
        vf, "markowitz", *args, argnums=(0, 1)
    )
    assert (
        by_method.loc["vmap_jacve_best", "order_cost"] == by_method.loc["jacve_best", "order_cost"]
    )

    summary = out["summary"][TOY]
    assert summary["batch"] == 4 and "best_vmap_jacve_over_vmap_jacrev" in summary
    assert summary["search_status"] == "cheaper" and "search_note" not in summary
    for key in (
        "search_jacve_over_jacrev_vmap",
        "search_vmap_jacve_over_vmap_jacrev",
        "search_jacve_over_best_jacve",
        "search_vmap_jacve_over_best_vmap_jacve",
    ):
        assert summary[key] > 0, key
    assert summary["search_jacve_ms"] == pytest.approx(by_method.loc["jacve_best", "median_ms"])
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["search_orders"][TOY]["refused"] == search["refused"]

    # the goals' two ratios, interleaved: the fastest named order against its baseline
    paired = pd.read_csv(tmp_path / "run" / "paired.csv")
    assert list(paired.columns) == list(elimination_runtime.PAIRED_COLUMNS)
    paired = paired.set_index("comparison")
    for comparison, group, baseline, key in elimination_runtime.PAIRED_COMPARISONS:
        row = paired.loc[comparison]
        assert (
            row.status == "ok"
            and row.rounds == _cfg().scale.paired_rounds
            and row.baseline == baseline
        )
        assert row.method == by_method.loc[list(group), "median_ms"].idxmin()
        assert row.ratio_q25 <= row.ratio_q75 and row.ratio > 0
        assert summary[key] == pytest.approx(row.ratio) and summary[f"{key}_method"] == row.method


def test_mapped_search_order_computes_the_jacobian(orders_dir):
    task = tasks.load(TOY)
    best = elimination_runtime.best_search_order(task, orders_dir[0])
    plan = elimination_runtime.order_plan(task, 4, 0, ["jacve_best", "vmap_jacve_best"], best)
    args = elimination_runtime.batched_args(task, 4, 0)
    got = elimination_runtime.jacobian_fn(
        "jacve_best", task.fn, task.argnums, plan["jacve_best"][0]
    )(*args)
    want = jax.jacrev(jax.vmap(task.fn), argnums=task.argnums)(*args)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    got = elimination_runtime.jacobian_fn(
        "vmap_jacve_best", task.fn, task.argnums, plan["vmap_jacve_best"][0]
    )(*args)
    want = jax.vmap(jax.jacrev(task.fn, argnums=task.argnums))(*args)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_search_order_no_cheaper_is_recorded_not_timed(tmp_path, toy):
    graph = _graph(toy)
    rev = ad.reverse_order(graph)
    ad.save_order(
        tmp_path / "orders" / f"{TOY}_random_seed0.json",
        task=TOY,
        graph=graph,
        order=rev,
        cost=sum(ad.apply_order(graph, rev)),
    )
    out = elimination_runtime.run(
        _cfg(
            f"orders_dir={tmp_path / 'orders'}",
            "scale.methods=[jacve_markowitz,jacve_best,vmap_jacve_best]",
        ),
        out_dir=tmp_path / "run",
    )
    frame = pd.read_csv(tmp_path / "run" / "runtime.csv").set_index("method")
    for method in ("jacve_best", "vmap_jacve_best"):
        assert frame.loc[method, "status"].startswith("not timed: the search found nothing cheaper")
        assert np.isnan(frame.loc[method, "median_ms"])
    assert frame.loc["jacve_markowitz", "status"] == "ok"
    assert out["search_orders"][TOY]["status"] == "not cheaper"
    assert out["summary"][TOY]["search_note"] == "the search found nothing cheaper"
    assert "search_jacve_ms" not in out["summary"][TOY]


def test_missing_orders_folder_is_recorded(tmp_path, toy):
    out = elimination_runtime.run(
        _cfg(f"orders_dir={tmp_path / 'nowhere'}", "scale.methods=[jacve_best]"),
        out_dir=tmp_path / "run",
    )
    frame = pd.read_csv(tmp_path / "run" / "runtime.csv")
    assert frame.status.str.startswith("not timed: no usable search order").all()
    assert out["search_orders"][TOY]["status"] == "none"


def test_order_that_does_not_transfer_is_recorded(tmp_path, orders_dir, monkeypatch):
    def refuse(*args, name="graph", **kwargs):
        raise ad.OrderTransferError(f"{name}: no vertex correspondence (test)")

    monkeypatch.setattr(elimination_runtime.ad, "transfer_order", refuse)
    elimination_runtime.run(
        _cfg(f"orders_dir={orders_dir[0]}", "scale.methods=[jacve_best]"), out_dir=tmp_path / "run"
    )
    status = pd.read_csv(tmp_path / "run" / "runtime.csv").status
    assert status.str.startswith(f"not timed: the order does not transfer to vmap(f): {TOY}").all()


def test_search_method_needs_an_order(toy):
    with pytest.raises(ConfigError, match="explicit order"):
        elimination_runtime.jacobian_fn("jacve_best", toy.fn, toy.argnums)


def test_time_cap_records_skipped_jobs(tmp_path, toy):
    elimination_runtime.run(
        _cfg("scale.time_cap_s=1e-9", "scale.methods=[jacve_reverse,vmap_jacrev]"), out_dir=tmp_path
    )
    frame = pd.read_csv(tmp_path / "runtime.csv")
    assert len(frame) == 2
    assert frame.status.str.startswith("skipped: over time cap").all()
    assert np.isnan(frame.median_ms).all()
    paired = pd.read_csv(tmp_path / "paired.csv")  # nothing timed: the reason, not a ratio
    assert list(paired.comparison) == ["dense", "per_example"]
    assert paired.status.str.startswith("not timed: ").all() and np.isnan(paired.ratio).all()


def test_paired_timing_can_be_turned_off_and_rejects_negative_rounds(tmp_path, toy):
    out = elimination_runtime.run(
        _cfg("scale.paired_rounds=0", "scale.methods=[jacve_reverse,jacrev_vmap]"),
        out_dir=tmp_path / "off",
    )
    assert pd.read_csv(tmp_path / "off" / "paired.csv").empty
    assert "best_jacve_over_jacrev_vmap_paired" not in out["summary"][TOY]
    with pytest.raises(ConfigError, match="paired_rounds"):
        elimination_runtime.run(_cfg("scale.paired_rounds=-1"), out_dir=tmp_path / "bad")


def test_bad_time_cap_is_rejected(tmp_path, toy):
    with pytest.raises(ConfigError, match="time_cap_s"):
        elimination_runtime.run(_cfg("scale.time_cap_s=0"), out_dir=tmp_path)


def test_memory_cap_records_skipped_jobs(tmp_path, toy):
    elimination_runtime.run(
        _cfg("scale.memory_cap_bytes=1", "scale.methods=[jacrev_vmap]"), out_dir=tmp_path
    )
    frame = pd.read_csv(tmp_path / "runtime.csv")
    assert frame.status.str.startswith("skipped: over memory cap").all()
    assert (frame.memory_bytes > 1).all() and np.isnan(frame.median_ms).all()
