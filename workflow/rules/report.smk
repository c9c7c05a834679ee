# RESULTS.md: every number of this profile beside the paper's, from the finished runs.
# Included last: its inputs are every figure and table registered by the other rule files.


rule results_report:
    input:
        figures=list(all_targets()),
        script="paper_figures/results_report.py",
    output:
        target(f"{FIGURES}/RESULTS.md")[0],
    log:
        f"{RESULTS}/logs/results_report.log",
    shell:
        f"{PY} paper_figures/results_report.py --results {RESULTS} --figures {FIGURES} "
        f"--profile {PROFILE} --out {{output}} > {{log}} 2>&1"
