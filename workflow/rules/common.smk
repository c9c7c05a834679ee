# Shared settings and helpers of the workflow.
import functools
import glob
import os
import shlex
from pathlib import Path

from snakemake.utils import validate

from spikead.runs import fingerprint

validate(config, "../schemas/config.schema.yaml")

PROFILE = config["profile"]
RESULTS = f"{config['results_dir']}/{PROFILE}"
FIGURES = f"{config['figures_dir']}/{PROFILE}"
PY = config["python"]
CONFIGS = os.path.abspath("configs")  # like experiments/ and paper_figures/: in the work folder

# --- Scale-out ---------------------------------------------------------------------------
# The CPU is shared out in `cpu_heavy` slots, one per core the workflow may use: --cores,
# but never more than the cores of this machine (MACHINE_CORES, the cores this process may
# run on), so that `--cores 8` on a 2-core machine never oversubscribes it; `--resources
# cpu_heavy=K` sets K slots instead. Jobs that measure time or memory (elimination
# runtime, memory scaling) take every slot and run alone (ALONE); the others (training,
# search, costs, alignment, framework comparison: mostly sequential scans near one core each)
# take one slot (SHARED), so that as many run side by side as there are slots: 2 on a 2-core
# machine, 64 on a 64-core one. Each runs on a core of its own (`python -m spikead.runs.cores`:
# a lease on one core, held until the job exits), so that their XLA threads never
# time-slice one core; their recorded times (epoch time, search wall time, the framework
# comparison's single-core timings) are one core's, beside other such jobs. Figure jobs are
# light and take none. Where the slots outnumber the cores (the slurm profile sets
# cpu_heavy=1000: cluster jobs own their nodes) jobs are not pinned and ask for every core.
MACHINE_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_given_cores = workflow.resource_settings.cores  # None without --cores (--summary, a cluster)
if "cpu_heavy" not in workflow.global_resources:
    workflow.register_resource("cpu_heavy", max(1, min(_given_cores or MACHINE_CORES, MACHINE_CORES)))
_heavy = workflow.global_resources["cpu_heavy"]
SLOTS = int(getattr(_heavy, "value", _heavy))
ALONE, SHARED = SLOTS, 1
CORES = MACHINE_CORES
# (pinning needs Linux's affinity calls; elsewhere shared jobs run unpinned)
PIN_SHARED = SLOTS <= MACHINE_CORES and hasattr(os, "sched_setaffinity")
# a pinned shared job uses one core: it declares one thread, so `--cores 2` runs two at once
# (and Snakemake sets OMP_NUM_THREADS=1 for it); unpinned (a cluster) it asks for every core
SHARED_THREADS = 1 if PIN_SHARED else CORES

# --- Overrides and variants --------------------------------------------------------------
# `--config 'overrides={"train_snn": ["optimizer.peak_lr=3e-3"]}'` passes Hydra overrides to
# every run of an entry point. Such a run is a variant: its results, logs and figures carry
# the suffix "@<8 hex digits>" (a digest of the overrides of the experiment and of the
# experiments it reads) and never overwrite the default ones; its metrics.json lists the
# overrides (meta.overrides).
OVERRIDES = {name: [str(value) for value in values]
             for name, values in (config.get("overrides") or {}).items()}
# experiments whose results another experiment reads: their overrides make it a variant too
UPSTREAM = {"elimination_runtime": ("elimination_search",)}
# keys the rules set themselves (one folder per value): an override of them would mislabel
# every run of the grid
RULE_KEYS = {
    "train_snn": ("data", "model", "algorithm", "seed"),
    "elimination_runtime": ("orders_dir",),
}


def _override_key(override):
    return override.lstrip("~+").split("=", 1)[0]


for _name, _values in OVERRIDES.items():
    for _value in _values:
        _key = _override_key(_value)
        if _key in RULE_KEYS.get(_name, ()) + ("profile",) or _key.split(".")[0] == "hydra":
            raise ValueError(
                f"overrides: {_name}: {_value!r} sets {_key!r}, which the workflow sets itself "
                f"(profile: --config profile=...; train_snn's seeds: --config 'train_seeds=[0,1]'; "
                f"hydra.*: the run folder). Run it by hand instead: python experiments/{_name}.py "
                f"{_value} (results/manual/), then its figures with the `manual` target of "
                "workflow/Snakefile.")


def variant(name):
    """"" for the default runs of experiment ``name``, else "@<digest of its overrides>"."""
    return fingerprint.variant_suffix(
        {upstream: OVERRIDES.get(upstream, []) for upstream in (name, *UPSTREAM.get(name, ()))})


def result_dir(name):
    """Result folder of experiment ``name`` (of its variant, with overrides)."""
    return f"{RESULTS}/{name}{variant(name)}"


def figure_file(filename, name):
    """Path of figure ``filename`` made from experiment ``name`` (the variant's beside it)."""
    stem, dot, suffix = filename.partition(".")
    return f"{FIGURES}/{stem}{variant(name)}{dot}{suffix}"


def log_file(stem, name):
    return f"{RESULTS}/logs/{stem}{variant(name)}.log"


def benchmark_file(stem, name):
    return f"{RESULTS}/benchmarks/{stem}{variant(name)}.tsv"


# --- Reruns from content -----------------------------------------------------------------
# Snakemake reruns a job when an input is newer than its outputs or when its params differ
# from the last run's (the default rerun triggers). Experiment rules list their entry point
# as input and take as params the digest of their composed Hydra config (every value of
# configs/ they read, the profile, the rule's and the user's overrides) and of the spikead
# subpackages they import; figure rules list their script and the shared figure modules
# (paper_figures/_*.py) as inputs and the digest of the package code those import.
FIGURE_MODULES = sorted(glob.glob("paper_figures/_*.py"))


@functools.cache
def _code_digest(*scripts):
    return fingerprint.code_digest(*scripts)


def entry_point(name):
    """The entry point script of experiment ``name``: the input every experiment rule lists."""
    return f"experiments/{name}.py"


def run_params(name, rule_overrides=()):
    """``params`` of an experiment rule (splice them in with ``**``): ``overrides``, the Hydra
    overrides of its command line (the profile, ``rule_overrides`` -- a list, or a function
    of the wildcards -- and the user's); ``config``, the digest of the config they compose;
    ``code``, the digest of the package code the entry point imports."""

    def args(wildcards):
        given = rule_overrides(wildcards) if callable(rule_overrides) else rule_overrides
        return [f"profile={PROFILE}", *given, *OVERRIDES.get(name, [])]

    return {
        "overrides": lambda wildcards: shlex.join(args(wildcards)),
        "config": lambda wildcards: fingerprint.config_digest(CONFIGS, name, args(wildcards)),
        "code": _code_digest(entry_point(name)),
    }


def figure_inputs(script):
    """Inputs of a figure rule beside the results it reads: its script and the shared
    figure modules (splice them in with ``**``)."""
    return {"script": f"paper_figures/{script}.py", "modules": FIGURE_MODULES}


def figure_params(script):
    """``params`` of a figure rule: ``code``, the digest of the package code it imports."""
    return {"code": _code_digest(f"paper_figures/{script}.py", *FIGURE_MODULES)}


_TARGETS = []


def target(*paths):
    """Register outputs that `rule all` builds; returns them for use in rules."""
    _TARGETS.extend(paths)
    return paths


def all_targets():
    return list(_TARGETS)


def experiment(name, outdir=None, shared=False):
    """Shell command running experiments/<name>.py into ``outdir`` (default its result
    folder) with the rule's ``params.overrides`` (see :func:`run_params`); ``shared``: the
    rule takes `cpu_heavy=SHARED` and runs on a leased core of its own."""
    outdir = outdir or result_dir(name)
    lease = f"{PY} -m spikead.runs.cores -- " if shared and PIN_SHARED else ""
    return f"{lease}{PY} {entry_point(name)} hydra.run.dir={outdir} {{params.overrides}}"


def figure(script, results, out):
    """Shell command rendering one paper figure/table from result files."""
    return f"{PY} paper_figures/{script}.py --results {results} --out {out} --profile {PROFILE}"
