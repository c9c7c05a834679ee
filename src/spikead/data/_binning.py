"""Events -> dense spike tensors on a fixed time grid (pure, vectorised numpy)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._errors import DataConfigError, DatasetFormatError

#: Microseconds per second (tonic returns event times in microseconds).
US_PER_S = 1e6


class BinStats(NamedTuple):
    """Event counts of one `bin_events` call: `total` seen, `overflow` at or past the end."""

    total: int
    overflow: int


def bin_events(
    times_us: np.ndarray,
    units: np.ndarray,
    sample_ids: np.ndarray,
    n_samples: int,
    *,
    n_bins: int,
    duration: float,
    n_channels: int,
    pool: int = 1,
    overflow: str = "drop",
    binary: bool = False,
) -> tuple[np.ndarray, BinStats]:
    """Bin a flat list of events of `S` samples into a dense `(S, T, C)` float32 tensor.

    Event `e` lands in bin `floor(times_us[e] / (duration * 1e6 / n_bins))` and channel
    `units[e] // pool`. Events with time >= `duration` are dropped (`overflow="drop"`) or
    put into the last bin (`"clip"`); negative times are an error.

    Args:
        times_us: (E,) event times in microseconds (tonic's unit).
        units: (E,) input channel of each event, 0..n_channels-1.
        sample_ids: (E,) sample index 0..S-1 of each event.
        n_samples: S.
        n_bins: T, number of time bins.
        duration: seconds covered by the T bins.
        n_channels: channels before pooling; must be divisible by `pool`.
        pool: size of the channel groups that are summed; C = n_channels // pool.
        overflow: `drop` or `clip`.
        binary: return 1.0 for any spike in a bin instead of the count.

    Returns:
        `(x, stats)`: x of shape (S, T, C) float32 and the event `BinStats`.
    """
    if n_channels % pool:
        raise DataConfigError(
            f"pool={pool} does not divide n_channels={n_channels}; choose a divisor (700: 1, 2, 4, 5, 7, 10, ...)."
        )
    if overflow not in ("drop", "clip"):
        raise DataConfigError(f"overflow={overflow!r}; expected 'drop' or 'clip'.")
    times_us = np.asarray(times_us, dtype=np.float64)
    units = np.asarray(units, dtype=np.int64)
    sample_ids = np.asarray(sample_ids, dtype=np.int64)
    if not times_us.shape == units.shape == sample_ids.shape or times_us.ndim != 1:
        raise ValueError(
            f"times_us {times_us.shape}, units {units.shape}, sample_ids {sample_ids.shape}: expected equal (E,) shapes."
        )
    if units.size and (units.min() < 0 or units.max() >= n_channels):
        raise DatasetFormatError(
            f"event units span {units.min()}..{units.max()}; expected channels 0..{n_channels - 1}."
        )
    if times_us.size and times_us.min() < 0:
        raise DatasetFormatError(
            f"event time {times_us.min()} us is negative; expected times >= 0."
        )
    n_out = n_channels // pool
    bin_us = duration * US_PER_S / n_bins
    bins = np.floor(times_us / bin_us).astype(np.int64)
    late = bins >= n_bins
    n_late = int(late.sum())
    if overflow == "clip":
        bins = np.minimum(bins, n_bins - 1)
    else:
        keep = ~late
        bins, units, sample_ids = bins[keep], units[keep], sample_ids[keep]
    flat = (sample_ids * n_bins + bins) * n_out + units // pool
    counts = np.bincount(flat, minlength=n_samples * n_bins * n_out)
    x = counts.reshape(n_samples, n_bins, n_out).astype(np.float32)
    if binary:
        x = np.minimum(x, 1.0)
    return x, BinStats(total=int(times_us.size), overflow=n_late)
