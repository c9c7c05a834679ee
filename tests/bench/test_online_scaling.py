"""probe_time's extrapolation: a line through one-call probe timings, never below the
time measured at the largest probe (times injected; no timing here)."""

import math

import pytest

from spikead.bench.online import extrapolate_probe_times


def test_rising_probes_follow_the_line():
    bound, est, clamped = extrapolate_probe_times([2, 4], [30.0, 50.0], 10)
    assert (bound, clamped) == (50.0, False)
    assert est == pytest.approx(10.0 + 10.0 * 10)  # a + b T with a = 10, b = 10


def test_least_squares_line_through_three_probes():
    bound, est, clamped = extrapolate_probe_times([2, 3, 4], [10.0, 14.0, 15.0], 20)
    # slope 2.5 through the mean (3, 13): intercept 13 - 7.5 = 5.5, so 5.5 + 2.5 * 20
    assert (bound, clamped) == (15.0, False) and est == pytest.approx(55.5)


def test_load_tilted_line_is_clamped_to_the_bound():
    # the first probe ran under load: the line falls with T (seen: -65 ms at T)
    bound, est, clamped = extrapolate_probe_times([2, 3], [120.0, 40.0], 300)
    assert bound == 40.0 and clamped and est == bound


def test_rising_line_below_the_last_probe_is_clamped():
    # slope 1 through the mean (3, 29/3), so 29/3 + 2 = 35/3 at T = 5: under the 12 ms
    # measured at T = 4, which a scan of 5 steps cannot beat
    bound, est, clamped = extrapolate_probe_times([2, 3, 4], [10.0, 7.0, 12.0], 5)
    assert clamped and est == bound == 12.0


def test_one_probe_scales_in_proportion():
    bound, est, clamped = extrapolate_probe_times([5], [8.0], 50)
    assert (bound, est, clamped) == (8.0, 80.0, False)


def test_not_finite_line_falls_back_to_the_bound():
    bound, est, clamped = extrapolate_probe_times([2, 3], [math.inf, 7.0], 10)
    assert clamped and est == bound == 7.0


@pytest.mark.parametrize(
    ("steps", "times", "match"),
    [
        ([], [], "one time per probe"),
        ([2, 3], [1.0], "one time per probe"),
        ([3, 2], [1.0, 2.0], "ascending"),
        ([2, 10], [1.0, 2.0], "below T=10"),
    ],
)
def test_bad_probes(steps, times, match):
    with pytest.raises(ValueError, match=match):
        extrapolate_probe_times(steps, times, 10)


@pytest.mark.parametrize(
    "times", [[5.0, 1.0, 3.0], [1.0, 2.0, 3.0], [3.0, 3.0, 0.5], [0.1, 50.0, 2.0]]
)
def test_estimate_never_below_the_bound(times):
    bound, est, _ = extrapolate_probe_times([2, 3, 4], times, 9)
    assert bound == times[-1] and est >= bound
