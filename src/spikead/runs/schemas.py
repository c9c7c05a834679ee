"""The schema of every experiment's ``scale`` config group, checked when Hydra composes.

Each experiment's ``scale`` group (``configs/scale/<experiment>/<profile>.yaml``) has a
dataclass here. :func:`register_scale_schemas` stores each one in Hydra's ConfigStore as
``schema/scale/<experiment>``, and every primary config lists it before the profile's file::

    defaults:
      - schema/scale@scale: train_snn          # the typed node (this module)
      - scale/train_snn@scale: ${profile}      # the profile's values, merged onto it

so the profile's YAML and every command-line override are merged onto a typed node: a value
of the wrong type (``scale.epochs=abc``, ``scale.sizes=7``) or an unknown key fails while
the config is composed, before anything runs, with an error naming the key
(``scale.epochs``) and the expected type. This holds for ``python experiments/X.py``,
``--cfg job`` and Hydra's ``compose`` API (the workflow's config digests) alike.

Fields without a default must be set by every profile's file: a profile that forgets one
fails when the experiment reads it (``Missing mandatory value``), instead of quietly taking
a default. Registration happens when :mod:`spikead.runs` is imported (the entry points and
:mod:`spikead.runs.fingerprint` import it), and is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SCALE_SCHEMAS", "SCHEMA_GROUP", "register_scale_schemas"]

# Hydra config group of the schemas (ConfigStore only; no folder under configs/).
SCHEMA_GROUP = "schema/scale"


@dataclass
class EliminationCostsScale:
    """``configs/scale/elimination_costs``: tasks whose elimination costs are counted, and the
    seconds of optimum search per task and convention (0: no optimum columns)."""

    tasks: list[str]
    optimum_time_limit: float


@dataclass
class EliminationRuntimeScale:
    """``configs/scale/elimination_runtime``: tasks, batch sizes and timing settings."""

    tasks: list[str]
    batch_sizes: list[int]
    warmup: int
    repeats: int
    # Skip a (task, method, batch) whose warm-up + timed calls are predicted, from one probe
    # call after compilation, to take longer than this (seconds); null: never skip.
    time_cap_s: float | None
    # Skip a job whose compiled program needs more memory than this (bytes: XLA's buffer
    # assignment, arguments + outputs + temporaries); null: never skip.
    memory_cap_bytes: float | None
    # Interleaved rounds of the goals' two comparisons at the largest batch (0: none).
    paired_rounds: int
    # Methods to time; null: every method the entry point knows.
    methods: list[str] | None = None


@dataclass
class EliminationSearchScale:
    """``configs/scale/elimination_search``: search tasks, methods, seeds and budgets."""

    tasks: list[str]
    methods: list[str]
    seeds: list[int]
    budget: int
    batch: int
    expand: int
    max_width: int
    anneal_from_baselines: bool
    anneal_t_start: float
    anneal_t_end: float
    # anneal_engine: annealing priced by the engine in Python (evaluations, chains, temperatures)
    engine_budget: int
    engine_chains: int
    engine_t_start: float
    engine_t_end: float
    exact_time_limit: float  # seconds of A* per task (the exact method)
    agent_tasks: list[str]
    pad_scalar: int
    pad_tensor: int
    dp_graphs: int
    dp_vertices: int


@dataclass
class FrameworkComparisonScale:
    """``configs/scale/framework_comparison``: layer sizes, frameworks and timing settings."""

    sizes: list[int]
    batch: int
    T: int
    warmup: int
    repeats: int
    frameworks: list[str]
    compile_n: int
    compile_layers: int
    timeout_s: float
    cpus: int | None
    time_cap_s: float | None
    parallel_n: int
    parallel_batch: int
    parallel_T: list[int]
    parallel_neurons: list[str]


@dataclass
class GradientAlignmentScale:
    """``configs/scale/gradient_alignment``: the grid of neurons, sizes and sequence lengths."""

    neurons: list[str]
    recurrent: list[bool]
    n_hidden: list[int]
    seq_len: list[int]
    seeds: int
    reference_max_n: int
    n_in: int
    n_out: int
    rate: float
    gain: float


@dataclass
class MemoryScalingScale:
    """``configs/scale/memory_scaling``: the T and N sweeps and the cross-checks."""

    methods: list[str]
    t_sweep: list[int]
    n_for_t: int
    n_sweep: list[int]
    t_for_n: list[int]
    batch: int
    n_in: int
    n_out: int
    max_seconds: float
    max_bytes: float
    flops_per_s: float
    warmup: int
    repeats: int
    rss_settings: list[list[Any]]
    factorised_t: list[int]
    probe_settings: list[list[Any]]
    probe_steps: list[int]
    lif_zero_t: list[int]
    peers: list[str]
    brainscale_venv: str
    braintrace_venv: str
    peer_settings: list[list[int]]


@dataclass
class TrainSnnScale:
    """``configs/scale/train_snn``: epochs, batch sizes, network width and data sizes."""

    epochs: int
    batch_size: int
    eval_batch_size: int
    max_train_batches: int
    width: int
    n_bins: int
    n_train: int
    n_valid: int
    n_test: int
    alif_input_scale: float
    peak_lr: float


# experiment name (configs/<name>.yaml) -> schema of its scale group
SCALE_SCHEMAS: dict[str, type] = {
    "elimination_costs": EliminationCostsScale,
    "elimination_runtime": EliminationRuntimeScale,
    "elimination_search": EliminationSearchScale,
    "framework_comparison": FrameworkComparisonScale,
    "gradient_alignment": GradientAlignmentScale,
    "memory_scaling": MemoryScalingScale,
    "train_snn": TrainSnnScale,
}


def register_scale_schemas() -> None:
    """Store every schema of :data:`SCALE_SCHEMAS` in Hydra's ConfigStore as
    ``schema/scale/<experiment>`` (idempotent: storing again replaces the same node)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for name, schema in SCALE_SCHEMAS.items():
        store.store(group=SCHEMA_GROUP, name=name, node=schema)


register_scale_schemas()
