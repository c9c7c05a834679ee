# Paper C: elimination-order search (Table 1: classical search and RL agents vs baselines).


rule elimination_search:
    output:
        results=f"{RESULTS}/elimination_search/results.csv",
        curves=f"{RESULTS}/elimination_search/curves.csv",
        metrics=f"{RESULTS}/elimination_search/metrics.json",
    log:
        f"{RESULTS}/logs/elimination_search.log",
    benchmark:
        f"{RESULTS}/benchmarks/elimination_search.tsv"
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    # the longest shared job (and elimination_runtime waits for it): started first, so that
    # the training runs share the CPU with it instead of running before it
    priority: 10
    shell:
        experiment("elimination_search", shared=True) + " > {log} 2>&1"


rule figure_elimination_search:
    input:
        rules.elimination_search.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/table1_search.png"),
    log:
        f"{RESULTS}/logs/figure_elimination_search.log",
    shell:
        figure("elimination_search", f"{RESULTS}/elimination_search", "{output}") + " > {log} 2>&1"
