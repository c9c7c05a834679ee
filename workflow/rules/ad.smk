# Paper C: the structured-Jacobian engine (costs of baseline orders, runtime of jacve).


rule elimination_costs:
    input:
        script=entry_point("elimination_costs"),
    output:
        csv=f"{result_dir('elimination_costs')}/costs.csv",
        metrics=f"{result_dir('elimination_costs')}/metrics.json",
    log:
        log_file("elimination_costs", "elimination_costs"),
    benchmark:
        benchmark_file("elimination_costs", "elimination_costs")
    params:
        **run_params("elimination_costs"),
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("elimination_costs", shared=True) + " > {log} 2>&1"


rule figure_elimination_costs:
    input:
        rules.elimination_costs.output,  # every file the figure reads
        **figure_inputs("elimination_costs"),
    output:
        target(figure_file("table1_baselines.png", "elimination_costs"))[0],
    log:
        log_file("figure_elimination_costs", "elimination_costs"),
    params:
        **figure_params("elimination_costs"),
    shell:
        figure("elimination_costs", result_dir("elimination_costs"), "{output}") + " > {log} 2>&1"


rule elimination_runtime:
    input:
        script=entry_point("elimination_runtime"),
        # the search's order files (jacve_best): orders/ is complete once metrics.json exists
        search=f"{result_dir('elimination_search')}/metrics.json",
    output:
        csv=f"{result_dir('elimination_runtime')}/runtime.csv",
        metrics=f"{result_dir('elimination_runtime')}/metrics.json",
        paired=f"{result_dir('elimination_runtime')}/paired.csv",
    log:
        log_file("elimination_runtime", "elimination_runtime"),
    benchmark:
        benchmark_file("elimination_runtime", "elimination_runtime")
    params:
        **run_params("elimination_runtime",
                     [f"orders_dir={result_dir('elimination_search')}/orders"]),
    threads: CORES
    resources:
        cpu_heavy=ALONE,
    shell:
        experiment("elimination_runtime") + " > {log} 2>&1"


rule figure_elimination_runtime:
    input:
        rules.elimination_runtime.output,  # every file the figure reads
        **figure_inputs("elimination_runtime"),
    output:
        curves=target(figure_file("elimination_runtime.png", "elimination_runtime"))[0],
        bars=target(figure_file("elimination_runtime_bars.png", "elimination_runtime"))[0],
    log:
        log_file("figure_elimination_runtime", "elimination_runtime"),
    params:
        **figure_params("elimination_runtime"),
    shell:
        figure("elimination_runtime", result_dir("elimination_runtime"), "{output.curves}")
        + " > {log} 2>&1"
