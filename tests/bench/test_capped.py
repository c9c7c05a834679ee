import time

import numpy as np
import pytest

from spikead.bench import (
    CAP_STATUS,
    ComparisonSettings,
    ComparisonSettingsError,
    compare_frameworks,
    time_pair_capped,
)
from spikead.bench._comparison import _over_cap


def _counting(sleep_s):
    calls = []

    def fn(x):
        calls.append(x)
        time.sleep(sleep_s)
        return x

    return fn, calls


def test_without_cap_times_full_repeats_and_counts_warmup():
    fwd, fwd_calls = _counting(0.001)
    bwd, bwd_calls = _counting(0.002)
    timed = time_pair_capped(fwd, bwd, 3, warmup=3, repeats=5)
    assert timed.status == "ok"
    # warm-up + probe (both part of warmup=3) + 1 more warm-up + 5 timed
    assert len(fwd_calls) == len(bwd_calls) == 8
    assert timed.fwd.repeats == timed.fwdbwd.repeats == 5
    assert timed.fwdbwd.median_ms >= 2.0 and timed.probe_fwdbwd_ms >= 2.0
    assert timed.predicted_s == pytest.approx(
        6 * (timed.probe_fwd_ms + timed.probe_fwdbwd_ms) / 1e3
    )
    assert timed.timing_s > 0


def test_over_cap_skips_after_the_probe():
    fwd, fwd_calls = _counting(0.01)
    bwd, bwd_calls = _counting(0.01)
    timed = time_pair_capped(fwd, bwd, 0, warmup=3, repeats=20, cap_s=0.05, label="n=7")
    assert len(fwd_calls) == len(bwd_calls) == 2  # warm-up and probe only
    assert timed.fwd is None and timed.fwdbwd is None and timed.timing_s == 0.0
    assert timed.predicted_s >= 21 * 0.02  # (warmup - 2 + repeats) * (fwd + fwdbwd)
    assert timed.status.startswith(CAP_STATUS) and "n=7" in timed.status
    assert "> 0.05 s" in timed.status and "," not in timed.status  # one CSV field


def test_generous_cap_times_everything():
    fwd, calls = _counting(0.0)
    timed = time_pair_capped(fwd, fwd, 0, warmup=2, repeats=20, cap_s=60.0)
    assert timed.status == "ok" and timed.fwd.repeats == 20 and len(calls) == 2 * 22


@pytest.mark.parametrize("kw", [{"cap_s": 0.0}, {"cap_s": -1.0}, {"repeats": 0}])
def test_bad_arguments_fail(kw):
    with pytest.raises(ValueError, match="must be"):
        time_pair_capped(lambda: None, lambda: None, **kw)


def test_over_cap_rule():
    skipped = {
        "status": f"{CAP_STATUS} (predicted 90 s > 40 s at n=256)",
        "predicted_timing_s": 90.4,
    }
    assert _over_cap(skipped, 40.0, 256) == "predicted 90 s at n=256"
    slow = {"status": "ok", "timing_s": 55.0}
    assert _over_cap(slow, 40.0, 512) == "55 s at n=512"  # timed, but slower than the cap
    assert _over_cap({"status": "ok", "timing_s": 12.0}, 40.0, 512) is None
    assert _over_cap(slow, None, 512) is None
    assert _over_cap({"status": "failed: boom"}, 40.0, 512) is None


def test_capped_framework_skips_larger_sizes_and_keeps_agreement(tmp_path):
    settings = ComparisonSettings(
        batch=2, steps=10, warmup=2, repeats=20, time_cap_s=1e-9, timeout=300, cpus=1
    )  # pinned with taskset to one core
    rows, details = compare_frameworks(["jax_scan"], [32, 16], settings, workdir=tmp_path)
    assert [r["n"] for r in rows] == [16, 32]  # ascending whatever the given order
    first, second = rows
    assert first["status"].startswith(f"{CAP_STATUS} (predicted") and "n=16" in first["status"]
    assert np.isnan(first["fwd_ms"]) and first["agreement"] == 1.0  # spikes still compared
    assert second["status"].startswith(CAP_STATUS) and "at n=16)" in second["status"]
    assert np.isnan(second["fwdbwd_ms"]) and np.isnan(second["agreement"])
    assert details["jax_scan"]["n"] == 16 and details["jax_scan"]["probe_fwd_ms"] > 0
    assert not (tmp_path / "result_jax_scan_n32.json").exists()  # never launched
    with pytest.raises(ComparisonSettingsError, match="time_cap_s=0.0"):
        ComparisonSettings(batch=2, steps=10, time_cap_s=0.0)
