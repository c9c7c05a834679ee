import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn
from spikead.bench import make_problem, run_peer
from spikead.bench.peers import PeerResult, PeerSettings, load_problem, load_spikes, save_spikes
from spikead.bench.peers._protocol import peer_main
from spikead.bench.peers.jax_scan import lif_scan
from spikead.bench.peers.spikead import make_model

BETA, THR, SLOPE = 0.95, 1.0, 10.0


def _numpy_lif(weight, x):
    """Reference forward pass written independently: x (B, T, M) -> spikes (B, T, N)."""
    batch, steps, _ = x.shape
    v = np.zeros((batch, weight.shape[0]), np.float32)
    z = np.zeros_like(v)
    out = np.zeros((batch, steps, weight.shape[0]), np.float32)
    for t in range(steps):
        v = np.float32(BETA) * (v * (1 - z)) + x[:, t] @ weight.T
        z = (v - THR > 0).astype(np.float32)
        out[:, t] = z
    return out


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    path = make_problem(tmp_path_factory.mktemp("p") / "p.npz", 24, 3, 30, seed=1)
    return load_problem(path)


@pytest.mark.parametrize("hoist", [True, False])
def test_hand_scan_matches_numpy(problem, hoist):
    spikes = lif_scan(
        jnp.asarray(problem.weight),
        jnp.asarray(problem.inputs),
        beta=BETA,
        threshold=THR,
        slope=SLOPE,
        hoist=hoist,
    )
    ref = _numpy_lif(problem.weight, problem.inputs)
    assert 0.02 < ref.mean() < 0.5  # the problem makes the layer spike, but not always
    np.testing.assert_array_equal(np.asarray(spikes), ref)


def test_spikead_model_matches_hand_scan_values_and_gradients(problem):
    model = make_model(problem.n, beta=BETA, threshold=THR, slope=SLOPE, key=jax.random.key(0))
    w, x = jnp.asarray(problem.weight), jnp.asarray(problem.inputs)

    def spikead_loss(weight):
        m = eqx.tree_at(lambda m: m.layers[0].weight, model, weight)
        return snn.run_batched(m, x)[1].sum()

    def scan_loss(weight):
        return lif_scan(weight, x, beta=BETA, threshold=THR, slope=SLOPE).sum()

    assert float(spikead_loss(w)) == float(scan_loss(w))
    g_spikead, g_scan = jax.grad(spikead_loss)(w), jax.grad(scan_loss)(w)
    assert float(jnp.abs(g_scan).max()) > 0
    np.testing.assert_allclose(g_spikead, g_scan, rtol=1e-4, atol=1e-5)


def test_spikes_roundtrip_and_validation(tmp_path):
    spikes = np.random.default_rng(0).random((2, 5, 7)) < 0.3
    save_spikes(tmp_path / "s.npz", spikes)
    np.testing.assert_array_equal(load_spikes(tmp_path / "s.npz"), spikes)
    with pytest.raises(ValueError, match="binary"):
        save_spikes(tmp_path / "t.npz", np.full((1, 1, 2), 0.5))
    with pytest.raises(ValueError, match=r"\(B, T, N\)"):
        save_spikes(tmp_path / "t.npz", np.zeros((2, 2)))


def _settings(tmp_path, problem_path="missing.npz"):
    cfg = PeerSettings(
        framework="x",
        problem_path=str(problem_path),
        spikes_path=str(tmp_path / "s.npz"),
        result_path=str(tmp_path / "r.json"),
    )
    (tmp_path / "c.json").write_text(cfg.to_json())
    return cfg


@pytest.mark.parametrize(
    "exc, prefix",
    [(ImportError("No module named 'snnlib'"), "missing: "), (RuntimeError("boom"), "failed: ")],
)
def test_peer_main_turns_errors_into_statuses(tmp_path, exc, prefix):
    problem = make_problem(tmp_path / "p.npz", 4, 1, 2)
    _settings(tmp_path, problem)

    def measure(settings, problem):
        raise exc

    assert peer_main(measure, ["--config", str(tmp_path / "c.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["status"].startswith(prefix) and str(exc.args[0])[:10] in result["status"]
    assert result["fwd"] is None


def test_peer_result_serialises_timings():
    from spikead.bench import Timing

    out = PeerResult(framework="f", fwd=Timing.from_samples([1.0, 2.0])).to_dict()
    assert out["fwd"]["median_ms"] == 1.5 and out["fwdbwd"] is None


def test_run_peer_reports_a_failing_peer(tmp_path):
    settings = _settings(tmp_path, tmp_path / "does_not_exist.npz")
    result = run_peer("jax_scan", settings, timeout=300)
    assert result["status"].startswith("failed: ")
    assert "does_not_exist" in result["status"] or "No such file" in result["status"]


def test_torch_peers_use_one_thread_per_allowed_core():
    """Pinned to one core, a PyTorch peer runs one intra-op thread (not one per machine core)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("torch")
    core = max(os.sched_getaffinity(0))
    code = (
        "import torch; from spikead.bench.peers._torch_measure import match_threads_to_cores; "
        "print(match_threads_to_cores(), torch.get_num_threads())"
    )
    out = subprocess.run(
        ["taskset", "-c", str(core), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]
