# Paper C: the structured-Jacobian engine (costs of baseline orders, runtime of jacve).


rule elimination_costs:
    output:
        csv=f"{RESULTS}/elimination_costs/costs.csv",
        metrics=f"{RESULTS}/elimination_costs/metrics.json",
    log:
        f"{RESULTS}/logs/elimination_costs.log",
    benchmark:
        f"{RESULTS}/benchmarks/elimination_costs.tsv"
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("elimination_costs", shared=True) + " > {log} 2>&1"


rule figure_elimination_costs:
    input:
        rules.elimination_costs.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/table1_baselines.png")[0],
    log:
        f"{RESULTS}/logs/figure_elimination_costs.log",
    shell:
        figure("elimination_costs", f"{RESULTS}/elimination_costs", "{output}") + " > {log} 2>&1"


rule elimination_runtime:
    input:
        # the search's order files (jacve_best): orders/ is complete once metrics.json exists
        search=f"{RESULTS}/elimination_search/metrics.json",
    output:
        csv=f"{RESULTS}/elimination_runtime/runtime.csv",
        metrics=f"{RESULTS}/elimination_runtime/metrics.json",
        paired=f"{RESULTS}/elimination_runtime/paired.csv",
    log:
        f"{RESULTS}/logs/elimination_runtime.log",
    benchmark:
        f"{RESULTS}/benchmarks/elimination_runtime.tsv"
    threads: CORES
    resources:
        cpu_heavy=ALONE,
    shell:
        experiment("elimination_runtime", extra=f"orders_dir={RESULTS}/elimination_search/orders")
        + " > {log} 2>&1"


rule figure_elimination_runtime:
    input:
        rules.elimination_runtime.output,  # every file the figure reads
    output:
        curves=target(f"{FIGURES}/elimination_runtime.png")[0],
        bars=target(f"{FIGURES}/elimination_runtime_bars.png")[0],
    log:
        f"{RESULTS}/logs/figure_elimination_runtime.log",
    shell:
        figure("elimination_runtime", f"{RESULTS}/elimination_runtime", "{output.curves}")
        + " > {log} 2>&1"
