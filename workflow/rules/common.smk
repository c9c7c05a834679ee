# Shared settings and helpers of the workflow.
import os

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

PROFILE = config["profile"]
RESULTS = f"{config['results_dir']}/{PROFILE}"
FIGURES = f"{config['figures_dir']}/{PROFILE}"
PY = config["python"]

# Every JAX job uses all cores of the machine (XLA's intra-op threads), and timing and
# memory jobs must run alone: each experiment job takes the one `cpu_heavy` slot, so
# `--cores 8` on a 2-core machine never oversubscribes it. Figure jobs are light and
# run beside them. On a cluster the slurm profile raises the limit.
if "cpu_heavy" not in workflow.global_resources:
    workflow.register_resource("cpu_heavy", 1)
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
