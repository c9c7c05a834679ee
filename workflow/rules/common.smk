# Shared settings and helpers of the workflow.
import os

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

PROFILE = config["profile"]
RESULTS = f"{config['results_dir']}/{PROFILE}"
FIGURES = f"{config['figures_dir']}/{PROFILE}"
PY = config["python"]

# The machine's CPU is shared out in `cpu_heavy` slots, so that `--cores 8` on a 2-core
# machine never oversubscribes it. Jobs that measure time or memory (framework comparison,
# elimination runtime, memory scaling) take every slot and run alone (ALONE); the others
# (training, search, costs, alignment: mostly sequential scans near one core each) take one
# slot, so two of them run side by side (SHARED), each on a core of its own
# (`python -m spikead.runs.cores`: a lease on one core, held until the job exits), so that
# their XLA threads never time-slice one core. Their recorded times (epoch time, search
# wall time, the framework comparison's single-core timings) are one core's, beside one
# other job. Figure jobs are light and take none. On a cluster the slurm profile raises
# the limit, and jobs are not pinned (nor when `--resources cpu_heavy=K` gives K > 2).
SLOTS = 2
ALONE, SHARED = SLOTS, 1
if "cpu_heavy" not in workflow.global_resources:
    workflow.register_resource("cpu_heavy", SLOTS)
CORES = os.cpu_count() or 1
_heavy = workflow.global_resources["cpu_heavy"]
# (pinning needs Linux's affinity calls; elsewhere shared jobs run unpinned)
PIN_SHARED = getattr(_heavy, "value", _heavy) <= SLOTS and hasattr(os, "sched_setaffinity")
# a pinned shared job uses one core: it declares one thread, so `--cores 2` runs two at once
# (and Snakemake sets OMP_NUM_THREADS=1 for it); unpinned (a cluster) it asks for every core
SHARED_THREADS = 1 if PIN_SHARED else CORES

_TARGETS = []


def target(*paths):
    """Register outputs that `rule all` builds; returns them for use in rules."""
    _TARGETS.extend(paths)
    return paths


def all_targets():
    return list(_TARGETS)


def experiment(name, outdir=None, extra="", shared=False):
    """Shell command running experiments/<name>.py into its result folder; ``shared``: the
    rule takes `cpu_heavy=SHARED` and runs on a leased core of its own."""
    outdir = outdir or f"{RESULTS}/{name}"
    lease = f"{PY} -m spikead.runs.cores -- " if shared and PIN_SHARED else ""
    return (
        f"{lease}{PY} experiments/{name}.py profile={PROFILE} hydra.run.dir={outdir} {extra}"
    )


def figure(script, results, out):
    """Shell command rendering one paper figure/table from result files."""
    return f"{PY} paper_figures/{script}.py --results {results} --out {out} --profile {PROFILE}"
