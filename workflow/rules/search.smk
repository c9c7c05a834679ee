# Paper C: elimination-order search (Table 1: classical search and RL agents vs baselines).


rule elimination_search:
    input:
        script=entry_point("elimination_search"),
    output:
        results=f"{result_dir('elimination_search')}/results.csv",
        curves=f"{result_dir('elimination_search')}/curves.csv",
        metrics=f"{result_dir('elimination_search')}/metrics.json",
    log:
        log_file("elimination_search", "elimination_search"),
    benchmark:
        benchmark_file("elimination_search", "elimination_search")
    params:
        **run_params("elimination_search"),
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
        **figure_inputs("elimination_search"),
    output:
        target(figure_file("table1_search.png", "elimination_search")),
    log:
        log_file("figure_elimination_search", "elimination_search"),
    params:
        **figure_params("elimination_search"),
    shell:
        figure("elimination_search", result_dir("elimination_search"), "{output}") + " > {log} 2>&1"
