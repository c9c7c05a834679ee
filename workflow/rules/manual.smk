# Figures of runs made by hand. `python experiments/<name>.py key=value ...` writes
# results/manual/<name>/<date>_<time>/ (its metrics.json lists the overrides); then
#   snakemake --cores 2 manual
# renders the figures of every finished manual run (one with metrics.json) into
# <figures_dir>/manual/<name>/<date>_<time>/. Runs already rendered are up to date.

MANUAL_RESULTS = f"{config['results_dir']}/manual"
MANUAL_FIGURES = f"{config['figures_dir']}/manual"
# experiment: {file the figure script is given as --out (it writes its siblings): script}
FIGURES_OF_EXPERIMENT = {
    "elimination_costs": {"table1_baselines.png": "elimination_costs"},
    "elimination_runtime": {"elimination_runtime.png": "elimination_runtime"},
    "elimination_search": {"table1_search.png": "elimination_search"},
    "framework_comparison": {"framework_comparison.png": "framework_comparison",
                             "framework_parallel.png": "framework_parallel"},
    "gradient_alignment": {"paper_a_gradient_alignment.png": "gradient_alignment"},
    "memory_scaling": {"paper_a_memory_scaling.png": "memory_scaling"},
    "train_snn": {"train_learning_curves.png": "learning_curves",
                  "train_accuracy_table.md": "accuracy_table"},
}
# figure scripts that read a folder of run folders (the workflow's train_snn/): a manual
# run is shown to them alone, in a folder of its own
READS_RUN_FOLDERS = {"train_snn"}
MANUAL_RUNS = [Path(path).parent for path in sorted(glob.glob(f"{MANUAL_RESULTS}/*/*/metrics.json"))
               if Path(path).parts[-3] in FIGURES_OF_EXPERIMENT]


def _manual_script(wildcards):
    return f"paper_figures/{FIGURES_OF_EXPERIMENT[wildcards.experiment][wildcards.figure]}.py"


rule manual_figure:
    input:
        run=f"{MANUAL_RESULTS}/{{experiment}}/{{run}}/metrics.json",
        script=_manual_script,
        modules=FIGURE_MODULES,
    output:
        f"{MANUAL_FIGURES}/{{experiment}}/{{run}}/{{figure}}",
    log:
        f"{MANUAL_RESULTS}/logs/figures_{{experiment}}_{{run}}_{{figure}}.log",
    params:
        run=lambda w, input: os.path.dirname(input.run),
        view=lambda w: "yes" if w.experiment in READS_RUN_FOLDERS else "",
    shell:
        'results={params.run}; if [ -n "{params.view}" ]; then view=$(mktemp -d); '
        'trap \'rm -r "$view"\' EXIT; ln -s "$PWD/{params.run}" "$view/{wildcards.run}"; '
        f'results=$view; fi; {PY} {{input.script}} --results "$results" --out {{output}} '
        '--profile manual > {log} 2>&1'

rule manual:
    input:
        [f"{MANUAL_FIGURES}/{run.parts[-2]}/{run.name}/{figure}"
         for run in MANUAL_RUNS for figure in FIGURES_OF_EXPERIMENT[run.parts[-2]]],


workflow.localrules("manual", "manual_figure")
