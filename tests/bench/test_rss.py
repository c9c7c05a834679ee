import pytest

from spikead.bench import SubprocessMeasurementError, measure_peak_rss, peak_rss_of

MB = 1024 * 1024


def test_peak_grows_with_allocation():
    setup = "import numpy as np"
    small = measure_peak_rss("x = np.ones(1_000_000)", setup=setup)
    large = measure_peak_rss("x = np.ones(40_000_000)", setup=setup)  # 320 MB
    assert large.delta_bytes - small.delta_bytes >= 280 * MB
    assert small.baseline_bytes > 0
    assert large.peak_bytes >= large.baseline_bytes + 300 * MB


def test_setup_allocation_is_outside_the_delta():
    m = measure_peak_rss("y = 1", setup="import numpy as np; x = np.ones(40_000_000); del x")
    assert m.delta_bytes < 100 * MB


def test_peak_rss_of_absolute_and_subtracted():
    code = "import numpy as np; x = np.ones(20_000_000)"
    absolute = peak_rss_of(code)
    delta = peak_rss_of(code, setup="import numpy as np", subtract_baseline=True)
    assert absolute > delta >= 150 * MB


def test_env_reaches_the_child():
    code = "import os\nassert os.environ['SPIKEAD_RSS_TEST'] == 'yes'"
    assert peak_rss_of(code, env={"SPIKEAD_RSS_TEST": "yes"}) > 0


def test_failure_reports_stderr_tail():
    with pytest.raises(SubprocessMeasurementError, match="boom-from-child"):
        peak_rss_of("raise ValueError('boom-from-child')")
