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
# slot, so two of them run side by side (SHARED). Their recorded wall times (epoch time,
# search wall time) are then from a shared machine; their CPU times are not affected.
# Figure jobs are light and take none. On a cluster the slurm profile raises the limit.
SLOTS = 2
ALONE, SHARED = SLOTS, 1
if "cpu_heavy" not in workflow.global_resources:
    workflow.register_resource("cpu_heavy", SLOTS)
CORES = os.cpu_count() or 1

_TARGETS = []


def target(*paths):
    """Register outputs that `rule all` builds; returns them for use in rules."""
    _TARGETS.extend(paths)
    return paths


def all_targets():
    return list(_TARGETS)


def experiment(name, outdir=None, extra=""):
    """Shell command running experiments/<name>.py into its result folder."""
    outdir = outdir or f"{RESULTS}/{name}"
    return (
        f"{PY} experiments/{name}.py profile={PROFILE} hydra.run.dir={outdir} {extra}"
    )


def figure(script, results, out):
    """Shell command rendering one paper figure/table from result files."""
    return f"{PY} paper_figures/{script}.py --results {results} --out {out} --profile {PROFILE}"
