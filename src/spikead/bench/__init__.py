"""Benchmarking utilities: wall-clock timing, compile time, and memory measurement.

- :func:`time_fn` -> :class:`Timing`: warm-up, then median/quantiles of synchronised runs.
- :func:`time_alternating` -> :class:`PairedTiming`: two callables timed in interleaved
  rounds in one process (ratio of medians, quartiles of per-round ratios).
- :func:`time_pair_capped` -> :class:`CappedTimings`: fwd and fwd+bwd timing, skipped
  when a probe run predicts it over a wall-clock cap.
- :func:`compile_time`: seconds to lower and compile a jitted function.
- :func:`compiled_memory` -> :class:`Memory`: XLA's static buffer assignment.
- :func:`peak_rss_of` / :func:`measure_peak_rss`: VmHWM of code in a fresh interpreter.

Framework comparison peers live in :mod:`spikead.bench.peers` (one subprocess each):
:func:`compare_frameworks` runs them, :func:`compare_paired` times spikead against the
hand scan in one subprocess per size, :func:`compare_parallel` times `snn.run`'s
parallel-in-time mode against the sequential one and the hand scan over T, all with one :class:`ComparisonSettings`
(problem, neuron and timing settings). :func:`choose_cores` / :func:`core_loads` pick
the least loaded allowed cores a subprocess is pinned to (``cpus``).
"""

from ._capped import CAP_STATUS as CAP_STATUS
from ._capped import CappedTimings as CappedTimings
from ._capped import time_pair_capped as time_pair_capped
from ._comparison import COLUMNS as COLUMNS
from ._comparison import FRAMEWORKS as FRAMEWORKS
from ._comparison import PAIRED_COLUMNS as PAIRED_COLUMNS
from ._comparison import PAIRED_ORDERS as PAIRED_ORDERS
from ._comparison import Framework as Framework
from ._comparison import UnknownFrameworkError as UnknownFrameworkError
from ._comparison import agreement as agreement
from ._comparison import check_frameworks as check_frameworks
from ._comparison import compare_frameworks as compare_frameworks
from ._comparison import compare_paired as compare_paired
from ._comparison import comparison_metrics as comparison_metrics
from ._comparison import make_problem as make_problem
from ._comparison import paired_metrics as paired_metrics
from ._comparison import run_peer as run_peer
from ._comparison import spikead_network_compile_time as spikead_network_compile_time
from ._compiled import Memory as Memory
from ._compiled import compile_time as compile_time
from ._compiled import compile_time_and_memory as compile_time_and_memory
from ._compiled import compiled_memory as compiled_memory
from ._errors import BenchError as BenchError
from ._errors import SubprocessMeasurementError as SubprocessMeasurementError
from ._parallel_comparison import PARALLEL_COLUMNS as PARALLEL_COLUMNS
from ._parallel_comparison import compare_parallel as compare_parallel
from ._parallel_comparison import parallel_metrics as parallel_metrics
from ._pinning import PinningError as PinningError
from ._pinning import allowed_cores as allowed_cores
from ._pinning import choose_cores as choose_cores
from ._pinning import core_loads as core_loads
from ._rss import RssMeasurement as RssMeasurement
from ._rss import measure_peak_rss as measure_peak_rss
from ._rss import peak_rss_of as peak_rss_of
from ._settings import ComparisonSettings as ComparisonSettings
from ._settings import ComparisonSettingsError as ComparisonSettingsError
from ._timing import PairedTiming as PairedTiming
from ._timing import Timing as Timing
from ._timing import synchronize as synchronize
from ._timing import time_alternating as time_alternating
from ._timing import time_fn as time_fn
