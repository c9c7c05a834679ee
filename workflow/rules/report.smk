# RESULTS.md: every number of this profile beside the paper's, from the finished runs.
# Included after the experiment and figure rules: its inputs are every figure and table they
# registered. With overrides it reads the variants' folders and is written as RESULTS@<digest>.md.

REPORTED = ("elimination_costs", "elimination_search", "elimination_runtime", "gradient_alignment",
            "memory_scaling", "framework_comparison", "train_snn")
REPORT_VARIANT = fingerprint.variant_suffix(
    {name: OVERRIDES[name] for name in sorted(OVERRIDES) if OVERRIDES[name]})


rule results_report:
    input:
        figures=list(all_targets()),
        **figure_inputs("results_report"),
    output:
        target(f"{FIGURES}/RESULTS{REPORT_VARIANT}.md")[0],
    params:
        **figure_params("results_report"),
        runs=" ".join(f"--run {name}={result_dir(name)}" for name in REPORTED if variant(name)),
    log:
        f"{RESULTS}/logs/results_report{REPORT_VARIANT}.log",
    localrule: True
    shell:
        f"{PY} paper_figures/results_report.py --results {RESULTS} --figures {FIGURES} "
        f"--profile {PROFILE} --out {{output}} {{params.runs}} > {{log}} 2>&1"
